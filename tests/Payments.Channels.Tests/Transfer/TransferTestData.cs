using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Transfer;

internal static class TransferTestData
{
    public const string CorporateId = "CORP01";
    public const string ApiKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    public const string NotifyKeyHex = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    public static ChannelAccount Account(Uri endpoint) => new(
        "ca_transfer", "transfer", "sandbox", "mch_1", endpoint,
        new Dictionary<string, Secret>
        {
            ["corporateId"] = new(CorporateId),
            ["apiKeyHex"] = new(ApiKeyHex),
            ["notifyKeyHex"] = new(NotifyKeyHex),
        });

    /// <summary>A collection as the bank answers it; <paramref name="credits"/> are fen amounts credited one after another.</summary>
    public static string Collection(string status, long due = 12345, long[]? credits = null, string merchantRef = "pay_01", long refunded = 0)
    {
        credits ??= [];
        string creditList = string.Join(",", credits.Select((c, i) =>
            $$"""{"creditId":"CR0{{i + 1}}","amount":{{c}},"payerAccount":"6217********1234","payerName":"Payer","creditedAt":"2026-11-24T10:0{{i + 1}}:00+00:00"}"""));
        string paidAt = status == "PAID" ? ""","paidAt":"2026-11-24T10:09:00+00:00" """.Trim() : "";
        return $$"""{"collectionId":"COL01","merchantRef":"{{merchantRef}}","status":"{{status}}","currency":"CNY","amountDue":{{due}},"amountCredited":{{credits.Sum()}},"amountRefunded":{{refunded}},"virtualAccount":"95581234567890123456","referenceCode":"ABCDEF2345","payUrl":"http://bank/transfer/pay/COL01","expiresAt":"2026-11-25T10:00:00+00:00"{{paidAt}},"credits":[{{creditList}}]}""";
    }
}
