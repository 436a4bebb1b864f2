using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Payments.Core.Audit;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Refunds;
using Payments.Core.Webhooks;
using Payments.Infrastructure.Messaging;

namespace Payments.Infrastructure.Storage;

/// <summary>One partition per payment: the payment, its outbox, its inbox and its webhook events.
/// Every state change and the messages it causes commit in one entity-group transaction guarded by
/// the payment's ETag.</summary>
public sealed class TablePaymentStore(StorageClients clients, OutboxRelay relay, TimeProvider time) : IPaymentStore
{
    private TableClient Table => clients.Payments;

    public async Task<(CreateOutcome Outcome, Versioned<Payment> Payment)> CreateAsync(Payment payment, IReadOnlyList<OutboxMessage> outbox, CancellationToken cancellationToken)
    {
        (payment, var created) = PaymentAudit.Created(payment, "app:" + payment.AppId);
        // Tells our own insert (answered 409 when the SDK retries it) from a concurrent caller's: two
        // identical requests in the same clock tick carry everything else alike.
        string claim = Guid.NewGuid().ToString("N");
        var entity = PaymentEntity(payment);
        entity["CreateClaim"] = claim;
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, entity),
            new(TableTransactionActionType.Add, AuditEntity(payment.Id, created)),
        };
        actions.AddRange(outbox.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace, OutboxEntity(payment.Id, m))));
        try
        {
            var response = await Table.SubmitTransactionAsync(actions, cancellationToken);
            relay.Dispatch(payment.Id, outbox);
            return (CreateOutcome.Created, new Versioned<Payment>(payment, response.Value[0].Headers.ETag?.ToString() ?? ""));
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            var existing = await GetAsync(payment.Id, cancellationToken)
                ?? throw new InvalidOperationException($"Insert of {payment.Id} conflicted but nothing is there.", e);

            // An SDK retry of our own successful insert also answers 409: recognise our own write.
            var stored = await Table.GetEntityIfExistsAsync<TableEntity>(payment.Id, RowKeys.Payment, select: ["CreateClaim"], cancellationToken: cancellationToken);
            bool ours = stored.HasValue && stored.Value?.GetString("CreateClaim") == claim;
            if (ours)
            {
                relay.Dispatch(payment.Id, outbox);
            }

            return (ours ? CreateOutcome.Created : CreateOutcome.AlreadyExists, existing);
        }
    }

    public async Task<Versioned<Payment>?> GetAsync(string paymentId, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(paymentId, RowKeys.Payment, cancellationToken: cancellationToken);
        if (!response.HasValue || response.Value is null)
        {
            return null;
        }

        var record = JsonSerializer.Deserialize(response.Value.GetString("Data"), StorageJson.Default.PaymentRecord)!;
        var payment = record.ToDomain() with
        {
            AuditSequence = response.Value.GetInt64("AuditSeq") ?? 0, AuditHash = response.Value.GetString("AuditHash") ?? AuditChain.Genesis,
        };
        return new Versioned<Payment>(payment, response.Value.ETag.ToString());
    }

    public async Task<bool> TryCommitAsync(PaymentChange change, CancellationToken cancellationToken)
    {
        // Every money state change carries its audit records in the same transaction.
        change = PaymentAudit.Record(change);
        // What the change made final goes to the reconciliation index through the outbox, in the same transaction.
        change = change with { Outbox = [.. change.Outbox, .. Core.Reconciliation.ReconciliationFeed.For(change)] };
        string pk = change.Current.Value.Id;
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, PaymentEntity(change.Next), new ETag(change.Current.ETag)),
        };
        actions.AddRange(change.Outbox.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace, OutboxEntity(pk, m))));
        actions.AddRange(change.NewEvents.Select(e => new TableTransactionAction(TableTransactionActionType.Add, EventEntity(e))));
        actions.AddRange(change.NewRefunds.Select(r => new TableTransactionAction(TableTransactionActionType.Add, RefundEntity(r))));
        actions.AddRange(change.UpdatedRefunds.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, RefundEntity(r))));
        actions.AddRange(change.AuditEntries.Select(a => new TableTransactionAction(TableTransactionActionType.Add, AuditEntity(pk, a))));
        if (change.ProcessedInbox is { } inbox)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, InboxEntity(inbox)));
        }

        try
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 409 or 404)
        {
            // Someone else changed the payment (or an SDK retry of our own commit found it changed):
            // the caller re-reads and decides again; a decision already applied becomes a no-op.
            return false;
        }

        relay.Dispatch(pk, change.Outbox);
        return true;
    }

    public async Task<InboxOutcome> StoreInboxAsync(InboxEntry entry, OutboxMessage message, CancellationToken cancellationToken)
    {
        var exists = await Table.GetEntityIfExistsAsync<TableEntity>(entry.PaymentId, RowKeys.Payment, select: ["PartitionKey"], cancellationToken: cancellationToken);
        if (!exists.HasValue)
        {
            return InboxOutcome.UnknownPayment;
        }

        TableTransactionAction[] actions =
        [
            new(TableTransactionActionType.Add, InboxEntity(entry)),
            new(TableTransactionActionType.UpsertReplace, OutboxEntity(entry.PaymentId, message)),
        ];
        try
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            return InboxOutcome.Duplicate;
        }

        relay.Dispatch(entry.PaymentId, [message]);
        return InboxOutcome.Stored;
    }

    public async Task<InboxEntry?> GetInboxAsync(string paymentId, string notificationId, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(paymentId, RowKeys.Inbox(notificationId), cancellationToken: cancellationToken);
        if (!response.HasValue || response.Value is null)
        {
            return null;
        }

        var e = response.Value;
        return new InboxEntry(notificationId, paymentId, e.GetString("Channel"), e.GetString("Payload"), e.GetDateTimeOffset("ReceivedAt")!.Value, e.GetBoolean("Processed") ?? false);
    }

    public async Task<Core.Refunds.Refund?> GetRefundAsync(string paymentId, string refundId, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(paymentId, RowKeys.Refund(refundId), cancellationToken: cancellationToken);
        return response.HasValue && response.Value is not null
            ? JsonSerializer.Deserialize(response.Value.GetString("Data"), StorageJson.Default.RefundRecord)!.ToDomain()
            : null;
    }

    public async Task<IReadOnlyList<Core.Refunds.Refund>> ListRefundsAsync(string paymentId, CancellationToken cancellationToken)
    {
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {paymentId} and RowKey ge {RowKeys.RefundPrefix} and RowKey lt {"refund}"}");
        var refunds = new List<Core.Refunds.Refund>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            refunds.Add(JsonSerializer.Deserialize(e.GetString("Data"), StorageJson.Default.RefundRecord)!.ToDomain());
        }

        return refunds.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<Versioned<WebhookEvent>?> GetEventAsync(string paymentId, string eventId, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(paymentId, RowKeys.Event(eventId), cancellationToken: cancellationToken);
        if (!response.HasValue || response.Value is null)
        {
            return null;
        }

        var evt = JsonSerializer.Deserialize(response.Value.GetString("Data"), StorageJson.Default.WebhookEvent)!;
        return new Versioned<WebhookEvent>(evt, response.Value.ETag.ToString());
    }

    public async Task<bool> TryUpdateEventAsync(Versioned<WebhookEvent> current, WebhookEvent next, OutboxMessage? followUp, CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, EventEntity(next), new ETag(current.ETag)) };
        if (followUp is not null)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, OutboxEntity(next.PaymentId, followUp)));
        }

        try
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }

        if (followUp is not null)
        {
            relay.Dispatch(next.PaymentId, [followUp]);
        }

        return true;
    }

    public async Task DeleteOutboxAsync(string paymentId, IEnumerable<string> messageIds, CancellationToken cancellationToken)
    {
        foreach (string id in messageIds)
        {
            try
            {
                await Table.DeleteEntityAsync(paymentId, RowKeys.Outbox(id), ETag.All, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Already gone: the sweeper and the relay may both have published it.
            }
        }
    }

    /// <summary>Outbox rows left behind (publish failed or the process died), oldest first within
    /// each partition. A scan: see docs/decisions.md for why this is acceptable for now.</summary>
    public async IAsyncEnumerable<(string PaymentId, OutboxMessage Message)> ListStaleOutboxAsync(
        TimeSpan olderThan, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - olderThan;
        string filter = TableClient.CreateQueryFilter($"RowKey ge {RowKeys.OutboxPrefix} and RowKey lt {"outbox}"} and WrittenAt le {cutoff}");
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return (e.PartitionKey, ToOutboxMessage(e));
        }
    }

    private TableEntity PaymentEntity(Payment p) => new(p.Id, RowKeys.Payment)
    {
        ["Data"] = JsonSerializer.Serialize(PaymentRecord.From(p), StorageJson.Default.PaymentRecord),
        // Plain columns for operators and ad-hoc queries; the Data blob is the source of truth.
        ["Status"] = p.Status.ToWire(),
        ["AppId"] = p.AppId,
        ["CreatedAt"] = p.CreatedAt,
        ["AuditSeq"] = p.AuditSequence,
        ["AuditHash"] = p.AuditHash,
    };

    private static TableEntity AuditEntity(string paymentId, AuditEntry entry) => Audit.AuditEntities.ToEntity(paymentId, RowKeys.Audit(entry.Sequence), entry);

    private TableEntity OutboxEntity(string paymentId, OutboxMessage m) => new(paymentId, RowKeys.Outbox(m.Id))
    {
        ["Queue"] = m.Queue,
        ["Body"] = m.Body,
        ["NotBefore"] = m.NotBefore,
        ["WrittenAt"] = time.GetUtcNow(),
    };

    private static OutboxMessage ToOutboxMessage(TableEntity e) =>
        new(e.RowKey[RowKeys.OutboxPrefix.Length..], e.GetString("Queue"), e.GetString("Body"), e.GetDateTimeOffset("NotBefore"));

    private static TableEntity EventEntity(WebhookEvent e) => new(e.PaymentId, RowKeys.Event(e.Id))
    {
        ["Data"] = JsonSerializer.Serialize(e, StorageJson.Default.WebhookEvent),
        ["Status"] = e.Status.ToString(),
    };

    private static TableEntity RefundEntity(Core.Refunds.Refund r) => new(r.PaymentId, RowKeys.Refund(r.Id))
    {
        ["Data"] = JsonSerializer.Serialize(RefundRecord.From(r), StorageJson.Default.RefundRecord),
        ["Status"] = r.Status.ToWire(),
        ["Amount"] = r.Amount.MinorUnits,
    };

    private static TableEntity InboxEntity(InboxEntry i) => new(i.PaymentId, RowKeys.Inbox(i.NotificationId))
    {
        ["Channel"] = i.Channel,
        ["Payload"] = i.Payload,
        ["ReceivedAt"] = i.ReceivedAt,
        ["Processed"] = i.Processed,
    };
}
