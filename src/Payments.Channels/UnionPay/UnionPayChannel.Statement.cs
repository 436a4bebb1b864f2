using System.Globalization;
using System.IO.Compression;
using System.Text;
using Payments.Channels.Shared;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.UnionPay;

/// <summary>The statement flow: the file transfer (txnType 76) of the day's settlement file.</summary>
public sealed partial class UnionPayChannel : IStatementChannel
{
    /// <summary>
    /// Asks the file transfer for <paramref name="date"/> (<c>settleDate</c> MMdd, a Beijing day). The verified
    /// answer carries the file as Base64 of its zlib-deflated bytes (<c>fileContent</c>), inflated here into a
    /// temporary file so the parser streams it. <c>respCode</c> 98 (no file that day) is an empty statement.
    /// </summary>
    public async Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct)
    {
        var fields = Common(account, "76", "01", "000000", "07");
        fields.Add(new("settleDate", date.ToString("MMdd", CultureInfo.InvariantCulture)));
        fields.Add(new("txnTime", UnionPayWire.FormatTime(_timeProvider.GetUtcNow())));
        fields.Add(new("fileType", "00"));
        var exchange = await CallAsync(account, UnionPayWire.FileTransferPath, fields, ct);
        if (exchange is Exchange.NoAnswer noAnswer)
        {
            return new ChannelResult<Stream>.Unknown(noAnswer.Reason);
        }

        var answered = (Exchange.Answered)exchange;
        if (answered.RespCode == UnionPayStatusMapping.NoFile)
        {
            return new ChannelResult<Stream>.Ok(new MemoryStream(Encoding.UTF8.GetBytes(UnionPayTradeBill.Header + "\n" + UnionPayTradeBill.TrailerMark + ",0\n"), writable: false));
        }

        if (answered.RespCode != UnionPayStatusMapping.Success)
        {
            return MapFailure<Stream>(answered);
        }

        byte[] compressed;
        try
        {
            compressed = Convert.FromBase64String(answered.Field("fileContent"));
        }
        catch (FormatException)
        {
            return new ChannelResult<Stream>.Unknown("fileContent is not base64");
        }

        var file = TemporaryFile.Create("unionpay-settlement-", ".csv");
        try
        {
            await using (var inflater = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress))
            {
                await inflater.CopyToAsync(file, ct);
            }

            file.Position = 0;
            return new ChannelResult<Stream>.Ok(file);
        }
        catch (InvalidDataException)
        {
            await file.DisposeAsync();
            return new ChannelResult<Stream>.Unknown("fileContent is not zlib data");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the settlement file line by line (see <see cref="UnionPayTradeBill"/>).</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        UnionPayTradeBill.ParseAsync(statement, ct);
}
