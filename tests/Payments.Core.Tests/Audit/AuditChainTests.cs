using Payments.Core.Audit;

namespace Payments.Core.Tests.Audit;

public class AuditChainTests
{
    private static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        long sequence = 0;
        string hash = AuditChain.Genesis;
        for (int i = 0; i < count; i++)
        {
            var entry = AuditChain.Next(sequence, hash, new AuditRecord(
                DateTimeOffset.UnixEpoch.AddMinutes(i), "operator:ana", "merchant.suspended", "mch_" + i, "status=active", "status=suspended", "corr-" + i));
            entries.Add(entry);
            (sequence, hash) = (entry.Sequence, entry.Hash);
        }

        return entries;
    }

    [Fact]
    public void AnIntactChainVerifiesAgainstItsHead()
    {
        var chain = Chain(5);

        var result = AuditChain.Verify(chain, (5, chain[^1].Hash));

        Assert.Equal(new AuditVerification(true, 5, null, null), result);
    }

    [Fact]
    public void ChangingAnyFieldOfAnyRecordIsDetectedAtThatRecord()
    {
        for (int i = 0; i < 5; i++)
        {
            var chain = Chain(5);
            chain[i] = chain[i] with { Record = chain[i].Record with { After = "status=active" } };

            var result = AuditChain.Verify(chain, (5, chain[^1].Hash));

            Assert.False(result.Valid);
            Assert.Equal(i + 1, result.FirstBrokenSequence);
        }
    }

    [Fact]
    public void RemovingARecordInTheMiddleOrAtTheEndIsDetected()
    {
        var chain = Chain(5);
        string head = chain[^1].Hash;

        var middle = chain.Where(e => e.Sequence != 3).ToList();
        Assert.False(AuditChain.Verify(middle, (5, head)).Valid);

        var truncated = chain.Take(4).ToList();
        Assert.False(AuditChain.Verify(truncated, (5, head)).Valid);
    }

    [Fact]
    public void FieldBoundariesCannotBeShiftedToForgeTheSameHash()
    {
        var a = new AuditRecord(DateTimeOffset.UnixEpoch, "operator:a", "x", "s", "ab", "c", null);
        var b = a with { Before = "a", After = "bc" };

        Assert.NotEqual(AuditChain.HashOf(1, a, AuditChain.Genesis), AuditChain.HashOf(1, b, AuditChain.Genesis));
    }
}
