using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;
using Payments.Core.Payments.ProcessChannelRequest;
using Payments.Core.Routing;
using Payments.Core.Webhooks;

namespace Payments.Core.Tests.Routing;

/// <summary>The money rule of failover: once the create message has been processed (the order may exist
/// at the account, even when the answer was lost), nothing moves the payment to another account.</summary>
public class AccountStickinessTests
{
    public enum Step
    {
        CreateAnswersOk,
        CreateAnswersRejected,
        CreateTimesOut,
        QueryAnswersPending,
        QueryTimesOut,
        StorefrontRetriesCreate,
        CoolDownPasses,
    }

    private sealed class Store : IPaymentStore
    {
        private readonly Dictionary<string, Versioned<Payment>> _payments = [];
        private int _version;

        public Task<(CreateOutcome Outcome, Versioned<Payment> Payment)> CreateAsync(Payment payment, IReadOnlyList<OutboxMessage> outbox, CancellationToken cancellationToken)
        {
            if (_payments.TryGetValue(payment.Id, out var existing))
            {
                return Task.FromResult((CreateOutcome.AlreadyExists, existing));
            }

            var stored = _payments[payment.Id] = new Versioned<Payment>(payment, $"v{++_version}");
            return Task.FromResult((CreateOutcome.Created, stored));
        }

        public Task<Versioned<Payment>?> GetAsync(string paymentId, CancellationToken cancellationToken) =>
            Task.FromResult(_payments.TryGetValue(paymentId, out var p) ? p : null);

        public Task<bool> TryCommitAsync(PaymentChange change, CancellationToken cancellationToken)
        {
            if (_payments[change.Next.Id].ETag != change.Current.ETag)
            {
                return Task.FromResult(false);
            }

            _payments[change.Next.Id] = new Versioned<Payment>(change.Next, $"v{++_version}");
            return Task.FromResult(true);
        }

        public Task<InboxOutcome> StoreInboxAsync(InboxEntry entry, OutboxMessage message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Core.Refunds.Refund?> GetRefundAsync(string paymentId, string refundId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<Core.Refunds.Refund>> ListRefundsAsync(string paymentId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<InboxEntry?> GetInboxAsync(string paymentId, string notificationId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Versioned<WebhookEvent>?> GetEventAsync(string paymentId, string eventId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> TryUpdateEventAsync(Versioned<WebhookEvent> current, WebhookEvent next, OutboxMessage? followUp, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteOutboxAsync(string paymentId, IEnumerable<string> messageIds, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class Accounts : Core.Apps.IChannelAccountDirectory
    {
        public Task<ChannelAccount?> GetChannelAccountAsync(string channelAccountId, CancellationToken cancellationToken) =>
            Task.FromResult<ChannelAccount?>(new ChannelAccount(channelAccountId, "wechatpay", "sandbox", null, new Uri("http://127.0.0.1:9/"), new Dictionary<string, Secret>()));
    }

    private sealed class NoIndex : IOpenPaymentIndex
    {
        public Task AddAsync(Payment payment, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task RemoveAsync(Payment payment, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task AddAsync(Core.Refunds.Refund refund, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task RemoveAsync(Core.Refunds.Refund refund, CancellationToken cancellationToken) => Task.CompletedTask;

        public IAsyncEnumerable<string> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>Answers as the current step says and remembers which account every call went to.</summary>
    private sealed class Channel : IPaymentChannel
    {
        public Step Next { get; set; }

        public List<string> CalledAccounts { get; } = [];

        public string Name => "wechatpay";

        public Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken)
        {
            CalledAccounts.Add(account.Id);
            return Task.FromResult<ChannelResult<ChannelOrder>>(Next switch
            {
                Step.CreateAnswersOk => new ChannelResult<ChannelOrder>.Ok(new ChannelOrder("qr_code", "weixin://x")),
                Step.CreateAnswersRejected => new ChannelResult<ChannelOrder>.Rejected("PARAM_ERROR", "no"),
                _ => new ChannelResult<ChannelOrder>.Unknown("timeout"),
            });
        }

        public Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
        {
            CalledAccounts.Add(account.Id);
            return Task.FromResult<ChannelResult<ChannelPaymentState>>(Next == Step.QueryAnswersPending
                ? new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.Pending, null, null, null))
                : new ChannelResult<ChannelPaymentState>.Unknown("timeout"));
        }

        public Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
        {
            CalledAccounts.Add(account.Id);
            return Task.FromResult<ChannelResult<Unit>>(new ChannelResult<Unit>.Unknown("timeout"));
        }

        public Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body) => throw new NotSupportedException();
    }

    [Property(MaxTest = 200)]
    public Property APaymentNeverChangesAccountAfterItsFirstCreateMessageWasProcessed() =>
        Prop.ForAll(Gen.ListOf(Gen.Elements(Enum.GetValues<Step>())).ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), (steps, seed) =>
            RunAsync([.. steps], seed).GetAwaiter().GetResult());

    private static async Task<bool> RunAsync(List<Step> steps, int seed)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 4, 0, 0, TimeSpan.Zero));
        var breakers = new CircuitBreakers(time, new CircuitBreakerOptions { FailureThreshold = 1, CoolDown = TimeSpan.FromSeconds(30) });
        var store = new Store();
        var schedules = new PaymentSchedules();
        var channel = new Channel();
        var app = PaymentRouterTests.AppWith([new RouteCandidate("ca_a"), new RouteCandidate("ca_b")]);
        var create = new CreatePaymentHandler(store, time, schedules, health: breakers);
        var requests = new ProcessChannelRequestHandler(
            store, new PaymentCommitter(store, NullLogger<PaymentCommitter>.Instance), new ChannelStateApplier(schedules, NullLogger<ChannelStateApplier>.Instance),
            new Accounts(), [channel], new NoIndex(), new CallbackOptions(), schedules, time, NullLogger<ProcessChannelRequestHandler>.Instance, breakers);
        var command = new CreatePaymentCommand($"order-{seed}", 1999, "CNY", "wechatpay", "qr", "Tea", null, null, null, null, null, null);

        var created = (await create.HandleAsync(app, command, default)).Value!.Payment;
        string account = created.ChannelAccountId;

        // The first create message, whatever its outcome; a time-out opens the account's circuit at once.
        channel.Next = Step.CreateTimesOut;
        await requests.HandleAsync(new ChannelRequestMessage(ChannelRequestKind.Create, created.Id, 0, null), default);

        // Routed afresh now, the same payment would go to the other account: only the rule keeps it here.
        if (PaymentRouter.Route(app, "wechatpay", created.Id, created.Amount, "qr", breakers).Value!.ChannelAccountId == account)
        {
            return false;
        }

        foreach (var step in steps)
        {
            channel.Next = step;
            switch (step)
            {
                case Step.CoolDownPasses:
                    time.Advance(TimeSpan.FromSeconds(31));
                    break;
                case Step.StorefrontRetriesCreate:
                    var again = await create.HandleAsync(app, command, default);
                    if (again.Value is not { Created: false } retried || retried.Payment.ChannelAccountId != account)
                    {
                        return false;
                    }

                    break;
                case Step.QueryAnswersPending or Step.QueryTimesOut:
                    await requests.HandleAsync(new ChannelRequestMessage(ChannelRequestKind.Query, created.Id, 1, null), default);
                    break;
                default:
                    await requests.HandleAsync(new ChannelRequestMessage(ChannelRequestKind.Create, created.Id, 0, null), default);
                    break;
            }
        }

        var stored = (await store.GetAsync(created.Id, default))!.Value;
        return stored.ChannelAccountId == account
            && stored.Routing?.ChannelAccountId == account
            && channel.CalledAccounts.All(a => a == account);
    }
}
