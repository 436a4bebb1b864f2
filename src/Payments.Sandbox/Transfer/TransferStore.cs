using System.Collections.Concurrent;
using System.Security.Cryptography;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Transfer;

internal sealed record TransferMerchant(string CorporateId, string ApiKeyHex, string NotifyKeyHex, string? ChannelAccountId);

internal sealed class TransferNotificationRecord(string notificationId, string eventType, string? refundRef, string notifyUrl, string body, string timestamp, string nonce, string signature, bool dropped)
    : DeliveryTally
{
    public string NotificationId { get; } = notificationId;
    public string NotifyUrl { get; } = notifyUrl;
    public string Body { get; } = body;
    public string Timestamp { get; } = timestamp;
    public string Nonce { get; } = nonce;
    public string Signature { get; } = signature;

    public TransferNotificationInspection Inspect() =>
        Read((attempts, deliveries, acknowledged) => new TransferNotificationInspection(NotificationId, eventType, refundRef, attempts, deliveries, acknowledged, dropped));
}

/// <summary>
/// One collection order: a virtual account and reference code for one merchant reference. It takes credits until
/// paid in full or closed/expired; afterwards the bank returns whatever arrives. Money credited stays with the bank
/// for the merchant until refunded, whatever the collection's status.
/// </summary>
internal sealed class TransferCollectionState(
    string id, TransferMerchant merchant, string merchantRef, long amountDue, string currency, string remark, DateTimeOffset expiresAt, string notifyUrl, string virtualAccount, string referenceCode)
{
    public const string Open = "OPEN";
    public const string PartiallyPaid = "PARTIALLY_PAID";
    public const string Paid = "PAID";
    public const string Closed = "CLOSED";
    public const string Expired = "EXPIRED";

    public Lock Gate { get; } = new();
    public string Id { get; } = id;
    public TransferMerchant Merchant { get; } = merchant;
    public string MerchantRef { get; } = merchantRef;
    public long AmountDue { get; } = amountDue;
    public string Currency { get; } = currency;
    public string Remark { get; } = remark;
    public DateTimeOffset ExpiresAt { get; } = expiresAt;
    public string NotifyUrl { get; } = notifyUrl;
    public string VirtualAccount { get; } = virtualAccount;
    public string ReferenceCode { get; } = referenceCode;
    public string Status { get; set; } = Open;
    public DateTimeOffset? PaidAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public int CreateCalls { get; set; } = 1;
    public int CloseCalls { get; set; }
    public int RejectedTransfers { get; set; }
    public List<TransferCreditWire> Credits { get; } = [];
    public List<TransferCreditWire> ReturnedCredits { get; } = [];
    public List<TransferRefundAnswer> Refunds { get; } = [];
    public List<TransferNotificationRecord> Notifications { get; } = [];

    public ExpiryTimer? ExpiryTimer { get; set; }

    public bool TakesCredits => Status is Open or PartiallyPaid;

    public long Credited => Credits.Sum(c => c.Amount);

    public long Refunded => Refunds.Where(r => r.Status != "FAILED").Sum(r => r.Amount);

    /// <summary>The collection as the API answers it; <paramref name="pageBase"/> null leaves out the payer page (notifications).</summary>
    public TransferCollectionAnswer Answer(string? pageBase) =>
        new(Id, MerchantRef, Status, Currency, AmountDue, Credited, Refunded, VirtualAccount, "Sandbox Merchant " + Merchant.CorporateId, "Sandbox Bank",
            ReferenceCode, TakesCredits && pageBase is not null ? pageBase + "transfer/pay/" + Id : null, ExpiresAt, PaidAt, ClosedAt, [.. Credits]);

    public TransferCollectionInspection Inspect()
    {
        lock (Gate)
        {
            return new(Id, MerchantRef, Merchant.CorporateId, Status, AmountDue, Credited, Refunded, CreateCalls, CloseCalls, RejectedTransfers,
                [.. Credits], [.. ReturnedCredits], [.. Refunds], [.. Notifications.Select(n => n.Inspect())]);
        }
    }
}

/// <summary>Merchants, collections (by id and by merchant reference), refunds and seen nonces, in memory as the sandbox's state is.</summary>
internal sealed class TransferStore
{
    private readonly Lock _createGate = new();
    private readonly ConcurrentDictionary<string, TransferMerchant> _merchants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TransferCollectionState> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Corporate, string MerchantRef), TransferCollectionState> _byReference = new();
    private readonly ConcurrentDictionary<(string Corporate, string RefundRef), TransferCollectionState> _refunds = new();
    private readonly ConcurrentDictionary<(string Corporate, string Nonce), byte> _nonces = new();

    public TransferMerchant Register(string corporateId, string? channelAccountId)
    {
        var merchant = new TransferMerchant(corporateId, RandomNumberGenerator.GetHexString(64, lowercase: true), RandomNumberGenerator.GetHexString(64, lowercase: true), channelAccountId);
        _merchants[corporateId] = merchant;
        return merchant;
    }

    public TransferMerchant? Merchant(string corporateId) => _merchants.GetValueOrDefault(corporateId);

    public IEnumerable<TransferMerchant> Merchants => _merchants.Values;

    /// <summary>False when the corporate already used the nonce: a replayed request.</summary>
    public bool UseNonce(string corporateId, string nonce) => _nonces.TryAdd((corporateId, nonce), 0);

    /// <summary>The collection for the reference: the one already allocated, or <paramref name="create"/>'s, made once
    /// even when retries race (a collection made and thrown away would still expire and notify).</summary>
    public (TransferCollectionState Collection, bool Created) GetOrAdd(TransferMerchant merchant, string merchantRef, Func<TransferCollectionState> create)
    {
        lock (_createGate)
        {
            if (_byReference.TryGetValue((merchant.CorporateId, merchantRef), out var existing))
            {
                return (existing, false);
            }

            var collection = create();
            _byId[collection.Id] = collection;
            _byReference[(merchant.CorporateId, merchantRef)] = collection;
            return (collection, true);
        }
    }

    public TransferCollectionState? ById(string id) => _byId.GetValueOrDefault(id);

    public TransferCollectionState? ByReference(string corporateId, string merchantRef) => _byReference.GetValueOrDefault((corporateId, merchantRef));

    public TransferCollectionState? AnyByReference(string merchantRef) => _byReference.FirstOrDefault(kv => kv.Key.MerchantRef == merchantRef).Value;

    public IEnumerable<TransferCollectionState> Collections(string corporateId) => _byReference.Where(kv => kv.Key.Corporate == corporateId).Select(kv => kv.Value);

    /// <summary>Claims a refund reference for a collection; false when another collection already has it.</summary>
    public bool ClaimRefund(string corporateId, string refundRef, TransferCollectionState collection) =>
        _refunds.GetOrAdd((corporateId, refundRef), collection) == collection;

    public TransferCollectionState? CollectionOfRefund(string corporateId, string refundRef) => _refunds.GetValueOrDefault((corporateId, refundRef));
}
