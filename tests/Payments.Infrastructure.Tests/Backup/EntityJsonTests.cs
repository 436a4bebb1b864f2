using Azure.Data.Tables;
using Payments.Infrastructure.Backup;

namespace Payments.Infrastructure.Tests.Backup;

public class EntityJsonTests
{
    [Fact]
    public void ValuesJsonCannotHoldDirectlySurviveARoundTrip()
    {
        var entity = new TableEntity("p", "r")
        {
            ["NaN"] = double.NaN,
            ["Up"] = double.PositiveInfinity,
            ["Down"] = double.NegativeInfinity,
            ["Big"] = long.MinValue,
            ["Bytes"] = new BinaryData(new byte[] { 1, 2, 3 }),
        };

        var back = EntityJson.Read(EntityJson.Write(entity));

        Assert.True(double.IsNaN((double)back["NaN"]));
        Assert.Equal(double.PositiveInfinity, back["Up"]);
        Assert.Equal(double.NegativeInfinity, back["Down"]);
        Assert.Equal(long.MinValue, back["Big"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, (byte[])back["Bytes"]);
    }

    [Fact]
    public void UnannotatedValuesAreTypedAsTableStorageInfersThem()
    {
        var entity = EntityJson.Read("""{"PartitionKey":"p","RowKey":"r","S":"text","I":42,"D":4.5,"B":true}""");
        Assert.Equal("text", entity["S"]);
        Assert.Equal(42, entity["I"]);
        Assert.Equal(4.5, entity["D"]);
        Assert.Equal(true, entity["B"]);
    }

    [Fact]
    public void AnUnknownTypeIsRefusedRatherThanGuessed() =>
        Assert.Throws<FormatException>(() => EntityJson.Read("""{"PartitionKey":"p","RowKey":"r","X@odata.type":"Edm.Decimal","X":"1.5"}"""));
}
