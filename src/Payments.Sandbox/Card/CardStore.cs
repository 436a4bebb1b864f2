using System.Collections.Concurrent;
using System.Security.Cryptography;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Card;

internal sealed record CardMerchant(string MerchantAccount, string ApiKey, string HmacKeyHex, string? ChannelAccountId);

internal sealed class CardNotificationRecord(string notificationId, string eventCode, bool success, string? refundReference, string notifyUrl, string body, string signature, bool dropped)
    : DeliveryTally
{
    public string NotificationId { get; } = notificationId;
    public string NotifyUrl { get; } = notifyUrl;
    public string Body { get; } = body;
    public string Signature { get; } = signature;

    public CardNotificationInspection Inspect() =>
        Read((attempts, deliveries, acknowledged) => new CardNotificationInspection(NotificationId, eventCode, success, refundReference, attempts, deliveries, acknowledged, dropped));
}

/// <summary>
/// One hosted payment page session. Holds the masked card only: the number the payer typed is checked,
/// reduced to brand and last four, and dropped within the request that carried it.
/// </summary>
internal sealed class CardSessionState(string id, CardMerchant merchant, string reference, CardAmountWire amount, string description, DateTimeOffset expiresAt, string notifyUrl)
{
    public Lock Gate { get; } = new();
    public string Id { get; } = id;
    public CardMerchant Merchant { get; } = merchant;
    public string Reference { get; } = reference;
    public CardAmountWire Amount { get; } = amount;
    public string Description { get; } = description;
    public DateTimeOffset ExpiresAt { get; } = expiresAt;
    public string NotifyUrl { get; } = notifyUrl;
    public string Status { get; set; } = "pending";
    public bool Challenged { get; set; }
    public string? PspReference { get; set; }
    public DateTimeOffset? AuthorisedAt { get; set; }
    public string? RefusalReason { get; set; }
    public CardMaskedCard? Card { get; set; }
    public int CreateCalls { get; set; } = 1;
    public int CancelCalls { get; set; }
    public List<CardRefundAnswer> Refunds { get; } = [];
    public List<CardNotificationRecord> Notifications { get; } = [];

    public ExpiryTimer? ExpiryTimer { get; set; }

    public CardSessionAnswer Answer(string pageBase) =>
        new(Id, Reference, Status, Amount, Status == "pending" ? pageBase + "card/pay/" + Id : null, PspReference, AuthorisedAt, RefusalReason, Card);

    public CardSessionInspection Inspect()
    {
        lock (Gate)
        {
            return new(Id, Reference, Merchant.MerchantAccount, Status, CreateCalls, CancelCalls, Card, [.. Notifications.Select(n => n.Inspect())], [.. Refunds]);
        }
    }
}

/// <summary>Merchants, sessions (by id and by merchant reference) and refunds, in memory as the sandbox's state is.</summary>
internal sealed class CardStore
{
    private readonly Lock _createGate = new();
    private readonly ConcurrentDictionary<string, CardMerchant> _merchants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CardSessionState> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Merchant, string Reference), CardSessionState> _byReference = new();
    private readonly ConcurrentDictionary<(string Merchant, string Reference), CardSessionState> _refunds = new();

    public CardMerchant Register(string merchantAccount, string? channelAccountId)
    {
        var merchant = new CardMerchant(
            merchantAccount, "ak_" + RandomNumberGenerator.GetHexString(40, lowercase: true), RandomNumberGenerator.GetHexString(64), channelAccountId);
        _merchants[merchantAccount] = merchant;
        return merchant;
    }

    public CardMerchant? Merchant(string merchantAccount) => _merchants.GetValueOrDefault(merchantAccount);

    public IEnumerable<CardMerchant> Merchants => _merchants.Values;

    /// <summary>The session for the reference: the one already opened, or <paramref name="create"/>'s, made
    /// once even when retries race (a session made and thrown away would still expire and notify).</summary>
    public (CardSessionState Session, bool Created) GetOrAdd(CardMerchant merchant, string reference, Func<CardSessionState> create)
    {
        lock (_createGate)
        {
            if (_byReference.TryGetValue((merchant.MerchantAccount, reference), out var existing))
            {
                return (existing, false);
            }

            var session = create();
            _byId[session.Id] = session;
            _byReference[(merchant.MerchantAccount, reference)] = session;
            return (session, true);
        }
    }

    public CardSessionState? ById(string id) => _byId.GetValueOrDefault(id);

    public CardSessionState? ByReference(string merchantAccount, string reference) => _byReference.GetValueOrDefault((merchantAccount, reference));

    public CardSessionState? AnyByReference(string reference) => _byReference.FirstOrDefault(kv => kv.Key.Reference == reference).Value;

    public IEnumerable<CardSessionState> Sessions(string merchantAccount) => _byReference.Where(kv => kv.Key.Merchant == merchantAccount).Select(kv => kv.Value);

    /// <summary>Claims a refund reference for a session; false when another session already has it.</summary>
    public bool ClaimRefund(string merchantAccount, string refundReference, CardSessionState session) =>
        _refunds.GetOrAdd((merchantAccount, refundReference), session) == session;

    public CardSessionState? SessionOfRefund(string merchantAccount, string refundReference) => _refunds.GetValueOrDefault((merchantAccount, refundReference));
}
