namespace Payments.Core.Payments.CreatePayment;

public sealed record PayerInput(string? Id, string? Ip);

/// <summary>The create request as the storefront sent it, before validation. Amount is a long so that
/// a fractional or oversized number is refused by the parser, not rounded.</summary>
public sealed record CreatePaymentCommand(
    string? MerchantOrderNo,
    long? Amount,
    string? Currency,
    string? Channel,
    string? Method,
    string? Subject,
    string? Description,
    string? NotifyUrl,
    string? ReturnUrl,
    int? ExpiresInSeconds,
    PayerInput? Payer,
    IReadOnlyDictionary<string, string>? Metadata);
