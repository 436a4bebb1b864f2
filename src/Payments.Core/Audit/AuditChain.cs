using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Payments.Core.Audit;

/// <summary>Who did what to which subject, and the state before and after (compact JSON or text).</summary>
public sealed record AuditRecord(
    DateTimeOffset At,
    string Actor,
    string Action,
    string Subject,
    string? Before,
    string? After,
    string? CorrelationId);

/// <summary>A record in its chain: its hash covers the record and the previous record's hash, so
/// changing, removing or reordering any record breaks every hash after it.</summary>
public sealed record AuditEntry(long Sequence, AuditRecord Record, string PreviousHash, string Hash);

public sealed record AuditVerification(bool Valid, long Checked, long? FirstBrokenSequence, string? Problem);

public static class AuditChain
{
    /// <summary>The "previous hash" of a chain's first record.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string HashOf(long sequence, AuditRecord r, string previousHash)
    {
        // Length-prefixed fields: no value can be crafted to shift text from one field into the next.
        var text = new StringBuilder();
        foreach (string? field in new[]
                 {
                     sequence.ToString(CultureInfo.InvariantCulture), previousHash, r.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                     r.Actor, r.Action, r.Subject, r.Before, r.After, r.CorrelationId,
                 })
        {
            text.Append(field is null ? "-1" : field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public static AuditEntry Next(long previousSequence, string previousHash, AuditRecord record) =>
        new(previousSequence + 1, record, previousHash, HashOf(previousSequence + 1, record, previousHash));

    /// <summary>Checks entries given in sequence order against each other and, when given, the chain's head.</summary>
    public static AuditVerification Verify(IEnumerable<AuditEntry> entries, (long Sequence, string Hash)? head = null)
    {
        long expected = 1;
        string previous = Genesis;
        long checkedCount = 0;
        foreach (var e in entries)
        {
            if (e.Sequence != expected)
            {
                return new AuditVerification(false, checkedCount, expected, $"record {expected} is missing (found {e.Sequence})");
            }

            if (e.PreviousHash != previous)
            {
                return new AuditVerification(false, checkedCount, e.Sequence, $"record {e.Sequence} does not follow record {e.Sequence - 1}");
            }

            if (HashOf(e.Sequence, e.Record, e.PreviousHash) != e.Hash)
            {
                return new AuditVerification(false, checkedCount, e.Sequence, $"record {e.Sequence} was altered");
            }

            previous = e.Hash;
            expected++;
            checkedCount++;
        }

        if (head is { } h && (h.Sequence != expected - 1 || h.Hash != previous))
        {
            return new AuditVerification(false, checkedCount, expected, $"the chain ends at {expected - 1} but its head says {h.Sequence}: records were removed from the end");
        }

        return new AuditVerification(true, checkedCount, null, null);
    }
}

/// <summary>The append-only trail of operator actions (one chain). Money state changes are chained in
/// each payment's own partition instead, committed with the change itself (see PaymentAudit).</summary>
public interface IAuditTrail
{
    Task<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>Newest first, starting below <paramref name="beforeSequence"/> when given.</summary>
    IAsyncEnumerable<AuditEntry> ListAsync(long? beforeSequence, CancellationToken cancellationToken);

    Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken);

    /// <summary>A payment's money trail, oldest first.</summary>
    IAsyncEnumerable<AuditEntry> ListPaymentAsync(string paymentId, CancellationToken cancellationToken);

    Task<AuditVerification?> VerifyPaymentAsync(string paymentId, CancellationToken cancellationToken);
}
