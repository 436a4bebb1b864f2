namespace Payments.Channels.Shared;

/// <summary>Where a statement is put so that a large one is never held in memory.</summary>
internal static class TemporaryFile
{
    /// <summary>A new, empty file in the temporary folder, deleted when the stream is disposed.</summary>
    public static FileStream Create(string prefix, string extension) => new(
        Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N") + extension),
        FileMode.CreateNew,
        FileAccess.ReadWrite,
        FileShare.None,
        bufferSize: 1 << 16,
        FileOptions.DeleteOnClose | FileOptions.Asynchronous);
}
