using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Core.Messaging;
using Payments.Infrastructure.Storage;
using Xunit.Abstractions;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Heavy enough to run on its own, after the parallel tests, so that its timing does not depend on theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection
{
    public const string Name = "chaos";
}

/// <summary>Hundreds of payments and refunds through the real processes while the sandbox duplicates,
/// reorders and drops callbacks and times out or fails calls, and the function app is killed once in the
/// middle. Then the money invariants are checked against our API, our raw tables and the channel's own
/// view. Everything the test decides comes from one seed (PAYMENTS_CHAOS_SEED, printed at the start and in
/// every failure); replaying a seed replays the same plan, though not the same thread interleaving.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ChaosEndToEndTests(ChaosFixture fx, ITestOutputHelper output) : IClassFixture<ChaosFixture>
{
    private const int PaymentCount = 200;
    private const int Concurrency = 40;
    // Generous: a payment caught by the restart waits out the outbox sweeper's 30 s grace on a busy machine.
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentQueue<string> _violations = new();
    private int _seed;

    private enum Fate
    {
        Pay,
        Decline,
        Expire,
        CloseWhilePaying,
        PayAfterExpiry,
    }

    private enum RefundStep
    {
        Partial,
        Repeat,
        Burst,
        OverRemaining,
        Rest,
        OverPaid,
    }

    private sealed record FaultPlan(string Operation, string Mode, int Count, int DelayMs);

    private sealed record PaymentPlan(int Index, string OrderNo, long Amount, Fate Fate, int? ExpiresInSeconds, FaultPlan? Fault, int WebhookFailures, int PayerStaggerMs, int RefundSeed);

    private sealed record AcceptedRefund(string Id, string No, long Amount, string SettleAs);

    /// <summary>What the storefront and the payer did to one payment, and what they were told.</summary>
    private sealed class PaymentRun(PaymentPlan plan)
    {
        public PaymentPlan Plan { get; } = plan;
        public string Id { get; set; } = "";
        public string? PayerAnswer { get; set; }
        public bool PaidLate { get; set; }

        /// <summary>The channel dropped the late payment's only notification (a fault): nothing tells us of
        /// it before the statement is reconciled, so there is no automatic refund yet.</summary>
        public bool LateNewsLost { get; set; }

        public TimeSpan Took { get; set; }
        public List<AcceptedRefund> Refunds { get; } = [];
    }

    private string Replay => $"PAYMENTS_CHAOS_SEED={_seed}";

    [Fact]
    public async Task MoneyIsNeverLostOrDoubledUnderDuplicateReorderedAndDroppedDeliveriesTimeoutsAndARestart()
    {
        _seed = Environment.GetEnvironmentVariable("PAYMENTS_CHAOS_SEED") is { Length: > 0 } given
            ? int.Parse(given, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"Chaos seed: {Replay}");
        try
        {
            await RunAsync();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"[{Replay}] {e.GetType().Name}: {e.Message}\nfunction app:\n{fx.Functions.Tail(30)}", e);
        }
    }

    private async Task RunAsync()
    {
        var total = Stopwatch.StartNew();
        await fx.ClearFaultsAsync();
        var random = new Random(_seed);
        var plans = Enumerable.Range(0, PaymentCount).Select(i => PlanPayment(random, i)).ToList();
        int restartAt = random.Next(PaymentCount * 2 / 5, PaymentCount * 3 / 5);
        output.WriteLine($"{PaymentCount} payments ({string.Join(", ", plans.GroupBy(p => p.Fate).Select(g => $"{g.Key} {g.Count()}"))}), " +
            $"{plans.Count(p => p.Fault is not null)} faults, restart when payment {restartAt} starts");

        var restartSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restart = Task.Run(async () =>
        {
            await restartSignal.Task;
            var down = Stopwatch.StartNew();
            await fx.RestartFunctionsAsync();
            output.WriteLine($"Function app killed and back in {down.ElapsedMilliseconds} ms, at {total.Elapsed.TotalSeconds:0.0} s");
        });

        var runs = plans.Select(p => new PaymentRun(p)).ToList();
        await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (run, _) =>
        {
            if (run.Plan.Index == restartAt)
            {
                restartSignal.TrySetResult();
            }

            var took = Stopwatch.StartNew();
            try
            {
                await DriveAsync(run);
            }
            catch (Exception e)
            {
                Violation(run, $"driving it failed: {e.GetType().Name}: {e.Message}");
            }

            run.Took = took.Elapsed;
        });
        await restart;
        output.WriteLine($"Driven in {total.Elapsed.TotalSeconds:0.0} s; seconds per payment (mean/max): " +
            string.Join(", ", runs.GroupBy(r => r.Plan.Fate).Select(g => $"{g.Key} {g.Average(r => r.Took.TotalSeconds):0.0}/{g.Max(r => r.Took.TotalSeconds):0.0}")));
        if (runs.Count(r => r.LateNewsLost) is > 0 and int lost)
        {
            output.WriteLine($"{lost} late payment(s) whose only notification the channel dropped: left for reconciliation");
        }

        await fx.ClearFaultsAsync();
        await SettleEverythingAsync(runs);
        output.WriteLine($"Settled in {total.Elapsed.TotalSeconds:0.0} s");

        await CheckInvariantsAsync(runs);
        output.WriteLine($"Checked in {total.Elapsed.TotalSeconds:0.0} s; {fx.Receiver.Received.Count} webhook deliveries received; " +
            $"storefront closes racing the payer: {runs.Count(r => r.Plan.Fate == Fate.CloseWhilePaying && r.PayerAnswer == "200")} paid, " +
            $"{runs.Count(r => r.Plan.Fate == Fate.CloseWhilePaying && r.PayerAnswer != "200")} closed; " +
            $"late payments {runs.Count(r => r.PaidLate)}; outbox sweeps that published: {fx.FunctionsOutput.Count(l => l.Contains("Outbox sweep published", StringComparison.Ordinal))}");
        Assert.True(_violations.IsEmpty,
            $"[{Replay}] {_violations.Count} invariant violation(s):\n{string.Join('\n', _violations.Take(40))}\nfunction app:\n{fx.Functions.Tail(30)}");
    }

    private static PaymentPlan PlanPayment(Random random, int index)
    {
        var fate = random.Next(100) switch
        {
            < 50 => Fate.Pay,
            < 63 => Fate.Decline,
            < 75 => Fate.Expire,
            < 92 => Fate.CloseWhilePaying,
            _ => Fate.PayAfterExpiry,
        };
        long amount = random.Next(10) == 0 ? random.Next(1, 6) : random.Next(6, 100_000);
        int? expires = fate switch
        {
            Fate.Expire => random.Next(4, 9),
            Fate.PayAfterExpiry => random.Next(3, 6),
            _ => null,
        };
        FaultPlan? fault = random.Next(100) < 30 ? PlanFault(random) : null;
        int webhookFailures = random.Next(20) == 0 ? random.Next(1, 3) : 0;
        return new PaymentPlan(index, $"CH-{index:D4}", amount, fate, expires, fault, webhookFailures, random.Next(0, 1200), random.Next());
    }

    /// <summary>Faults are queued per channel operation and hit whichever payment's call comes next.</summary>
    private static FaultPlan PlanFault(Random random) => random.Next(12) switch
    {
        0 => new("notify", "duplicate", random.Next(1, 4), 0),
        1 => new("notify", "reorder", random.Next(1, 4), random.Next(300, 2500)),
        2 => new("notify", "drop", random.Next(1, 3), 0),
        // Longer than the app's 2 s channel timeout: the channel acts, the answer never arrives.
        3 => new("create", "timeout", 1, 2500),
        4 => new("create", "error", random.Next(1, 3), 0),
        5 => new("query", "timeout", random.Next(1, 3), 2500),
        6 => new("query", "error", random.Next(1, 4), 0),
        7 => new("close", "error", 1, 0),
        8 => new("close", "timeout", 1, 2500),
        9 => new("refund", "timeout", 1, 2500),
        10 => new("refund", "error", random.Next(1, 3), 0),
        _ => new("refundQuery", "error", random.Next(1, 3), 0),
    };

    private async Task DriveAsync(PaymentRun run)
    {
        var plan = run.Plan;
        if (plan.Fault is { } fault)
        {
            await fx.FaultAsync(fault.Operation, fault.Mode, fault.Count, fault.DelayMs);
        }

        string expiry = plan.ExpiresInSeconds is { } seconds ? $",\"expiresInSeconds\":{seconds}" : "";
        var (status, created) = await ApiAsync(HttpMethod.Post, "/api/v1/payments",
            $$"""{"merchantOrderNo":"{{plan.OrderNo}}","amount":{{plan.Amount}},"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Chaos {{plan.Index}}"{{expiry}}}""");
        if (status is not (HttpStatusCode.Accepted or HttpStatusCode.OK))
        {
            Violation(run, $"create answered {(int)status}: {created}");
            return;
        }

        run.Id = created.GetProperty("id").GetString()!;
        if (plan.WebhookFailures > 0)
        {
            fx.Receiver.FailFor(run.Id, plan.WebhookFailures);
        }

        var placed = await WaitForPaymentAsync(run, s => s != "created", "to reach the channel");
        string? payerUrl = placed.GetProperty("nextAction") is { ValueKind: JsonValueKind.Object } next ? next.GetProperty("url").GetString() : null;
        if ((plan.Fate is Fate.Pay or Fate.Decline or Fate.CloseWhilePaying) && payerUrl is null)
        {
            Violation(run, $"{Status(placed)} without a payer page after create; expected pending");
            return;
        }

        switch (plan.Fate)
        {
            case Fate.Pay:
            case Fate.Decline:
                var answer = await fx.DecideAsync(payerUrl!, plan.Fate == Fate.Pay ? "approve" : "decline");
                run.PayerAnswer = ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture);
                break;

            case Fate.CloseWhilePaying:
                var closing = ApiAsync(HttpMethod.Post, $"/api/v1/payments/{run.Id}/close", "{}");
                // A seeded head start for the storefront, so that either side wins some of the races.
                await Task.Delay(plan.PayerStaggerMs);
                var paying = await fx.DecideAsync(payerUrl!, "approve");
                run.PayerAnswer = ((int)paying.StatusCode).ToString(CultureInfo.InvariantCulture);
                var (closeStatus, closeBody) = await closing;
                if (closeStatus is not (HttpStatusCode.Accepted or HttpStatusCode.Conflict))
                {
                    Violation(run, $"close answered {(int)closeStatus}: {closeBody}");
                }

                break;
        }

        var final = await WaitForPaymentAsync(run, IsTerminal, "to be final");
        if (plan.Fate == Fate.PayAfterExpiry && Status(final) == "closed" && await fx.SandboxOrderAsync(run.Id) is { } order)
        {
            // The payer pays an order we gave up on (the sandbox lets it through, as a lax channel would).
            var late = await fx.DecideAsync(order.GetProperty("codeUrl").GetString()!, "approve", force: true);
            run.PaidLate = late.StatusCode == HttpStatusCode.OK;
            if (!run.PaidLate)
            {
                Violation(run, $"the late payment was refused by the sandbox ({(int)late.StatusCode})");
            }
            else
            {
                await Until(async () =>
                {
                    var (_, list) = await ApiAsync(HttpMethod.Get, $"/api/v1/payments/{run.Id}/refunds");
                    if (list.GetProperty("data").EnumerateArray().Any(r => MerchantRefundNo(r).StartsWith("auto-late-", StringComparison.Ordinal)))
                    {
                        return true;
                    }

                    var notifications = (await fx.SandboxOrderAsync(run.Id))!.Value.GetProperty("notifications").EnumerateArray().ToList();
                    run.LateNewsLost = notifications.Count > 0 && notifications.All(n => n.GetProperty("dropped").GetBoolean());
                    return run.LateNewsLost;
                }, $"the automatic refund of late payment {plan.Index}");
            }
        }

        if (Status(final) == "succeeded")
        {
            await RefundAsync(run, final.GetProperty("amount").GetInt64());
        }

        await SettleRefundsAsync(run);
    }

    /// <summary>Sequential steps keep exact books (refunds settle only after the last step), so every answer
    /// can be predicted: accepted while within the refundable amount, 422 beyond it, and a burst accepts
    /// exactly as many as fit.</summary>
    private async Task RefundAsync(PaymentRun run, long paid)
    {
        var random = new Random(run.Plan.RefundSeed);
        long remaining = paid;
        int steps = random.Next(0, 5);
        for (int step = 0; step < steps; step++)
        {
            var kind = (RefundStep)random.Next(Enum.GetValues<RefundStep>().Length);
            string no = $"R{step}";
            switch (kind)
            {
                case RefundStep.Repeat when run.Refunds.Count > 0:
                {
                    var earlier = run.Refunds[random.Next(run.Refunds.Count)];
                    var (status, body) = await AskRefundAsync(run, earlier.No, earlier.Amount);
                    if (status != HttpStatusCode.OK || body.GetProperty("id").GetString() != earlier.Id)
                    {
                        Violation(run, $"repeating refund {earlier.No} answered {(int)status} {body}; expected 200 with {earlier.Id}");
                    }

                    break;
                }

                case RefundStep.Burst:
                {
                    int k = random.Next(2, 6);
                    long each = Math.Max(1, remaining / Math.Max(1, k - 1));
                    var answers = await Task.WhenAll(Enumerable.Range(0, k).Select(i => AskRefundAsync(run, $"{no}-{i}", each)));
                    long fit = Math.Min(k, remaining / each);
                    var accepted = answers.Where(a => a.Status is HttpStatusCode.Accepted or HttpStatusCode.OK).ToList();
                    if (accepted.Count != fit || answers.Any(a => a.Status is not (HttpStatusCode.Accepted or HttpStatusCode.OK) && !IsExceeds(a)))
                    {
                        Violation(run, $"a burst of {k} refunds of {each} with {remaining} refundable got {string.Join(",", answers.Select(a => (int)a.Status))}; expected {fit} accepted");
                    }

                    foreach (var a in accepted)
                    {
                        Accept(run, a.Body, each, random);
                    }

                    remaining -= accepted.Count * each;
                    break;
                }

                case RefundStep.OverRemaining or RefundStep.OverPaid:
                {
                    long amount = kind == RefundStep.OverPaid ? paid + random.Next(1, 1000) : remaining + 1;
                    var answer = await AskRefundAsync(run, no, amount);
                    if (!IsExceeds(answer))
                    {
                        Violation(run, $"refund of {amount} with {remaining} refundable answered {(int)answer.Status} {answer.Body}; expected 422 amount_exceeds_refundable");
                    }

                    break;
                }

                default:
                {
                    if (remaining == 0)
                    {
                        break;
                    }

                    long amount = kind == RefundStep.Rest ? remaining : random.NextInt64(1, Math.Max(2, remaining / 2 + 1));
                    var answer = await AskRefundAsync(run, no, amount);
                    if (answer.Status is not (HttpStatusCode.Accepted or HttpStatusCode.OK))
                    {
                        Violation(run, $"refund of {amount} with {remaining} refundable answered {(int)answer.Status} {answer.Body}");
                        break;
                    }

                    Accept(run, answer.Body, amount, random);
                    remaining -= amount;
                    break;
                }
            }
        }
    }

    private static void Accept(PaymentRun run, JsonElement refund, long amount, Random random)
    {
        run.Refunds.Add(new AcceptedRefund(
            refund.GetProperty("id").GetString()!, refund.GetProperty("merchantRefundNo").GetString()!, amount, random.Next(100) < 80 ? "SUCCESS" : "CLOSED"));
    }

    private static bool IsExceeds((HttpStatusCode Status, JsonElement Body) answer) =>
        answer.Status == HttpStatusCode.UnprocessableEntity && answer.Body.TryGetProperty("code", out var code) && code.GetString() == "amount_exceeds_refundable";

    private Task<(HttpStatusCode Status, JsonElement Body)> AskRefundAsync(PaymentRun run, string no, long amount) =>
        ApiAsync(HttpMethod.Post, $"/api/v1/payments/{run.Id}/refunds", $$"""{"merchantRefundNo":"{{no}}","amount":{{amount}}}""");

    /// <summary>Every refund the payment has (ours and automatic ones) settled at the channel, as planned
    /// (automatic ones succeed), and final on our side.</summary>
    private async Task SettleRefundsAsync(PaymentRun run)
    {
        var (_, list) = await ApiAsync(HttpMethod.Get, $"/api/v1/payments/{run.Id}/refunds?limit=100");
        await Task.WhenAll(list.GetProperty("data").EnumerateArray().Select(async refund =>
        {
            string id = refund.GetProperty("id").GetString()!;
            string settleAs = run.Refunds.FirstOrDefault(r => r.Id == id)?.SettleAs ?? "SUCCESS";
            await Until(async () =>
            {
                var atChannel = await fx.SandboxRefundAsync(id);
                string? channelStatus = atChannel?.GetProperty("status").GetString();
                if (channelStatus == "PROCESSING")
                {
                    await fx.TrySettleRefundAsync(id, settleAs);
                    return false;
                }

                if (channelStatus is null && (await ApiAsync(HttpMethod.Get, $"/api/v1/refunds/{id}")).Body.GetProperty("status").GetString() == "failed")
                {
                    return true; // refused before it reached the channel
                }

                return channelStatus is not null;
            }, $"refund {id} of payment {run.Plan.Index} to be settled at the channel");
            await Until(async () => (await ApiAsync(HttpMethod.Get, $"/api/v1/refunds/{id}")).Body.GetProperty("status").GetString() is "succeeded" or "failed",
                $"refund {id} of payment {run.Plan.Index} to be final");
        }));
    }

    private async Task SettleEverythingAsync(List<PaymentRun> runs)
    {
        // Automatic refunds can appear after a driver finished (a late payment's callback or query).
        await Parallel.ForEachAsync(runs.Where(r => r.Id != ""), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (run, _) =>
        {
            await WaitForPaymentAsync(run, IsTerminal, "to be final");
            await SettleRefundsAsync(run);
        });

        await Until(async () =>
        {
            var rows = await fx.Clients.Payments.QueryAsync<TableEntity>("RowKey ge 'outbox|' and RowKey lt 'outbox}'").ToListAsync();
            var undelivered = await fx.Clients.Payments.QueryAsync<TableEntity>("RowKey ge 'event|' and RowKey lt 'event}' and Status ne 'Delivered'").ToListAsync();
            return rows.Count == 0 && undelivered.Count == 0;
        }, "the outbox to drain and every webhook to be delivered");
    }

    private async Task CheckInvariantsAsync(List<PaymentRun> runs)
    {
        var rows = await fx.Clients.Payments.QueryAsync<TableEntity>().ToListAsync();
        var events = rows.Where(r => r.RowKey.StartsWith("event|", StringComparison.Ordinal)).ToLookup(r => r.PartitionKey);
        var storedEventIds = rows.Where(r => r.RowKey.StartsWith("event|", StringComparison.Ordinal)).ToDictionary(r => r.RowKey["event|".Length..], r => r);
        var received = fx.Receiver.Received.ToLookup(h => h.EventId);

        await Parallel.ForEachAsync(runs.Where(r => r.Id != ""), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (run, _) =>
        {
            var (_, payment) = await ApiAsync(HttpMethod.Get, $"/api/v1/payments/{run.Id}");
            var (_, refundList) = await ApiAsync(HttpMethod.Get, $"/api/v1/payments/{run.Id}/refunds?limit=100");
            var refunds = refundList.GetProperty("data").EnumerateArray().ToList();
            var order = await fx.SandboxOrderAsync(run.Id);
            CheckPayment(run, payment, refunds, order);
            CheckEvents(run, payment, refunds, events[run.Id].ToList(), received);
        });

        foreach (var hooks in received)
        {
            if (hooks.Select(h => h.Body).Distinct().Count() != 1)
            {
                Violation(null, $"webhook {hooks.Key} was delivered with {hooks.Select(h => h.Body).Distinct().Count()} different bodies");
            }

            if (!storedEventIds.ContainsKey(hooks.Key))
            {
                Violation(null, $"webhook {hooks.Key} was delivered but no such event is stored");
            }
        }

        if (rows.Any(r => r.RowKey.StartsWith("outbox|", StringComparison.Ordinal)))
        {
            Violation(null, "outbox rows are left: " + string.Join(", ", rows.Where(r => r.RowKey.StartsWith("outbox|", StringComparison.Ordinal)).Select(r => r.RowKey)));
        }

        foreach (string queue in Queues.All)
        {
            var dead = (await fx.Clients.Queue(StorageClients.DeadLetterName(queue)).PeekMessagesAsync(32)).Value;
            if (dead.Length > 0)
            {
                Violation(null, $"{dead.Length} dead-lettered message(s) in {queue}: {dead[0].MessageText}");
            }
        }

        output.WriteLine("Final: " + string.Join(", ", rows.Where(r => r.RowKey == "payment").GroupBy(r => r.GetString("Status")).Select(g => $"{g.Key} {g.Count()}")) +
            "; refunds " + string.Join(", ", rows.Where(r => r.RowKey.StartsWith("refund|", StringComparison.Ordinal)).GroupBy(r => r.GetString("Status")).Select(g => $"{g.Key} {g.Count()}")));
    }

    private void CheckPayment(PaymentRun run, JsonElement payment, List<JsonElement> refunds, JsonElement? order)
    {
        string status = Status(payment);
        long amount = payment.GetProperty("amount").GetInt64();
        string? tradeState = order?.GetProperty("tradeState").GetString();
        // The sandbox leaves out what is null.
        string? channelTransaction = order is { } o && o.TryGetProperty("transactionId", out var t) ? t.GetString() : null;
        bool paidAtChannel = tradeState is "SUCCESS" or "REFUND";

        string? expected = run.Plan.Fate switch
        {
            Fate.Pay => "succeeded",
            Fate.Decline => "failed",
            Fate.Expire or Fate.PayAfterExpiry => "closed",
            _ => run.PayerAnswer == "200" ? "succeeded" : "closed",
        };
        if (status != expected)
        {
            Violation(run, $"is {status}; the payer's answer was {run.PayerAnswer ?? "none"}, so it should be {expected}");
        }

        switch (status)
        {
            case "succeeded" when !paidAtChannel || channelTransaction != payment.GetProperty("channelTransactionId").GetString():
                Violation(run, $"is succeeded ({payment.GetProperty("channelTransactionId")}) but the channel says {tradeState} ({channelTransaction})");
                break;
            case "failed" when tradeState != "PAYERROR":
                Violation(run, $"is failed but the channel says {tradeState ?? "no such order"}");
                break;
            case "closed" when payment.GetProperty("succeededAt").ValueKind != JsonValueKind.Null:
                Violation(run, "is closed and has a succeededAt");
                break;
            case "closed" when paidAtChannel && !run.LateNewsLost && !refunds.Any(r => MerchantRefundNo(r) == "auto-late-" + channelTransaction):
                Violation(run, $"is closed, the channel was paid ({channelTransaction}), and there is no automatic refund");
                break;
            case "closed" when tradeState is not (null or "CLOSED" or "SUCCESS" or "REFUND"):
                Violation(run, $"is closed but its order is still {tradeState} at the channel");
                break;
        }

        if (run.PaidLate && !paidAtChannel)
        {
            Violation(run, $"was paid late but the channel says {tradeState}");
        }

        foreach (var refund in refunds.Where(r => RefundStatus(r) is not ("succeeded" or "failed")))
        {
            Violation(run, $"refund {refund.GetProperty("id")} is still {RefundStatus(refund)}");
        }

        var ours = refunds.Where(r => !MerchantRefundNo(r).StartsWith("auto-dup-", StringComparison.Ordinal) && RefundStatus(r) != "failed").ToList();
        long held = ours.Sum(r => r.GetProperty("amount").GetInt64());
        long amountRefunded = payment.GetProperty("amountRefunded").GetInt64();
        if (held > amount || amountRefunded != held)
        {
            Violation(run, $"refunds not failed total {held}, amountRefunded is {amountRefunded}, amount is {amount}");
        }

        if (!paidAtChannel && refunds.Count > 0)
        {
            Violation(run, $"has {refunds.Count} refund(s) but was never paid at the channel");
        }

        long oursSucceeded = refunds.Where(r => RefundStatus(r) == "succeeded").Sum(r => r.GetProperty("amount").GetInt64());
        var atChannel = order?.GetProperty("refunds").EnumerateArray().ToList() ?? [];
        long channelRefunded = atChannel.Where(r => r.GetProperty("status").GetString() == "SUCCESS").Sum(r => r.GetProperty("amount").GetInt64());
        if (oursSucceeded != channelRefunded)
        {
            Violation(run, $"we say {oursSucceeded} was refunded, the channel says {channelRefunded}");
        }

        long planned = run.Refunds.Where(r => r.SettleAs == "SUCCESS").Sum(r => r.Amount);
        long merchantSucceeded = refunds.Where(r => RefundStatus(r) == "succeeded" && !MerchantRefundNo(r).StartsWith("auto-", StringComparison.Ordinal)).Sum(r => r.GetProperty("amount").GetInt64());
        if (merchantSucceeded != planned)
        {
            Violation(run, $"the storefront's refunds that the channel settled total {planned}, we say {merchantSucceeded} succeeded");
        }

        foreach (var channelRefund in atChannel)
        {
            string id = channelRefund.GetProperty("outRefundNo").GetString()!;
            var mine = refunds.FirstOrDefault(r => r.GetProperty("id").GetString() == id);
            string? want = channelRefund.GetProperty("status").GetString() switch
            {
                "SUCCESS" => "succeeded",
                "CLOSED" => "failed",
                _ => null,
            };
            if (mine.ValueKind != JsonValueKind.Object || RefundStatus(mine) != want)
            {
                Violation(run, $"the channel's refund {id} is {channelRefund.GetProperty("status")}, ours is {(mine.ValueKind == JsonValueKind.Object ? RefundStatus(mine) : "missing")}");
            }
        }

        foreach (var refund in refunds.Where(r => RefundStatus(r) != "failed"))
        {
            if (!atChannel.Any(c => c.GetProperty("outRefundNo").GetString() == refund.GetProperty("id").GetString()))
            {
                Violation(run, $"refund {refund.GetProperty("id")} is {RefundStatus(refund)} but the channel never heard of it");
            }
        }
    }

    private void CheckEvents(PaymentRun run, JsonElement payment, List<JsonElement> refunds, List<TableEntity> stored, ILookup<string, ReceivedHook> received)
    {
        var types = new List<string>();
        foreach (var row in stored)
        {
            var evt = JsonDocument.Parse(row.GetString("Data")).RootElement;
            string id = evt.GetProperty("id").GetString()!;
            types.Add(evt.GetProperty("type").GetString()!);
            var hooks = received[id].ToList();
            if (!hooks.Any(h => h.AnsweredStatus is >= 200 and < 300))
            {
                Violation(run, $"event {id} ({evt.GetProperty("type")}) is {row.GetString("Status")} but the merchant never accepted it");
            }
            else if (hooks.Any(h => h.Body != evt.GetProperty("body").GetString()))
            {
                Violation(run, $"event {id} reached the merchant with another body than the stored one");
            }
        }

        var terminal = types.Where(t => t is "payment.succeeded" or "payment.failed" or "payment.closed").ToList();
        string status = Status(payment);
        if (terminal.Count != 1 || terminal[0] != "payment." + status)
        {
            Violation(run, $"is {status} but its terminal events are [{string.Join(", ", terminal)}]");
        }

        foreach (var refund in refunds)
        {
            string want = "refund." + RefundStatus(refund);
            string refundId = refund.GetProperty("id").GetString()!;
            bool told = stored.Any(row =>
            {
                var evt = JsonDocument.Parse(row.GetString("Data")).RootElement;
                return evt.GetProperty("type").GetString() == want && evt.GetProperty("body").GetString()!.Contains(refundId, StringComparison.Ordinal);
            });
            if (!told)
            {
                Violation(run, $"refund {refundId} is {RefundStatus(refund)} but no {want} event is stored");
            }
        }
    }

    private static string Status(JsonElement payment) => payment.GetProperty("status").GetString()!;

    private static string RefundStatus(JsonElement refund) => refund.GetProperty("status").GetString()!;

    private static string MerchantRefundNo(JsonElement refund) => refund.GetProperty("merchantRefundNo").GetString()!;

    private static bool IsTerminal(string status) => status is "succeeded" or "failed" or "closed";

    private void Violation(PaymentRun? run, string what) =>
        _violations.Enqueue(run is null ? what : $"payment {run.Plan.Index} {run.Id} ({run.Plan.Fate}, {run.Plan.Amount}): {what}");

    /// <summary>The storefront's side of the API: a call that finds the app down (killed, starting) is
    /// repeated with the same idempotency key until it answers, as a storefront would.</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body)> ApiAsync(HttpMethod method, string path, string? json = null)
    {
        var deadline = DateTime.UtcNow + Within;
        while (true)
        {
            string failure;
            try
            {
                using var response = await fx.Client.SendAsync(method, path, json);
                string text = await response.Content.ReadAsStringAsync();
                var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
                if ((int)response.StatusCode < 500)
                {
                    return (response.StatusCode, body);
                }

                failure = $"HTTP {(int)response.StatusCode}: {text}";
                _violations.Enqueue($"{method} {path} answered {failure}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                failure = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"[{Replay}] {method} {path} never answered within {Within.TotalSeconds} s: {failure}");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Long-polls the payment (the API's own wait, which holds the answer until the status changes)
    /// until its status satisfies <paramref name="done"/>.</summary>
    private async Task<JsonElement> WaitForPaymentAsync(PaymentRun run, Func<string, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Within;
        string wait = "";
        while (true)
        {
            var (_, payment) = await ApiAsync(HttpMethod.Get, $"/api/v1/payments/{run.Id}{wait}");
            wait = "?waitForSeconds=3";
            if (done(Status(payment)))
            {
                return payment;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"[{Replay}] payment {run.Plan.Index} {run.Id} ({run.Plan.Fate}) did not come {what} within {Within.TotalSeconds} s; it is {Status(payment)}");
            }
        }
    }

    private async Task Until(Func<Task<bool>> probe, string what)
    {
        var deadline = DateTime.UtcNow + Within;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"[{Replay}] timed out after {Within.TotalSeconds} s waiting for {what}");
            }

            await Task.Delay(Poll);
        }
    }
}
