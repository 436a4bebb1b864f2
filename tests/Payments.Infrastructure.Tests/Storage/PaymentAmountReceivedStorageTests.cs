using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Payments.Core;

namespace Payments.Infrastructure.Tests.Storage;

/// <summary>What a payer sent to a reference is part of the stored payment, and rows written before it existed still read.</summary>
public class PaymentAmountReceivedStorageTests(StoreFixture fx) : IClassFixture<StoreFixture>
{
    [Fact]
    public async Task TheAmountReceivedAndWhenItArrivedAreStoredWithThePayment()
    {
        var receivedAt = new DateTimeOffset(2026, 11, 24, 2, 30, 0, TimeSpan.Zero);
        var p = StoreFixture.NewPayment(amount: 1000) with { AmountReceived = new Money(1250, Currency.CNY), ReceivedAt = receivedAt };
        await fx.Store.CreateAsync(p, [], default);

        var read = (await fx.Store.GetAsync(p.Id, default))!.Value;
        Assert.Equal((new Money(1000, Currency.CNY), new Money(1250, Currency.CNY), receivedAt), (read.Amount, read.AmountReceived, read.ReceivedAt));
    }

    [Fact]
    public async Task APaymentRowWrittenBeforeTheAmountReceivedExistedReadsWithoutOne()
    {
        var p = StoreFixture.NewPayment(amount: 1000) with { AmountReceived = new Money(1000, Currency.CNY), ReceivedAt = DateTimeOffset.UtcNow };
        await fx.Store.CreateAsync(p, [], default);
        var row = (await fx.Clients.Payments.GetEntityAsync<TableEntity>(p.Id, "payment")).Value;
        var data = JsonNode.Parse(row.GetString("Data"))!.AsObject();
        Assert.True(data.Remove("amountReceived") && data.Remove("receivedAt"), "the stored shape names the new fields as expected");
        row["Data"] = data.ToJsonString();
        await fx.Clients.Payments.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace);

        var read = (await fx.Store.GetAsync(p.Id, default))!.Value;
        Assert.Equal((1000L, (Money?)null, (DateTimeOffset?)null), (read.Amount.MinorUnits, read.AmountReceived, read.ReceivedAt));
    }
}
