using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Payments.Infrastructure.Backup;

/// <summary>Where backups live: a folder of snapshots, one sub-folder per snapshot. Paths are relative
/// and use '/'.</summary>
public interface IBackupLocation
{
    /// <summary>For messages: the folder or URL.</summary>
    string Name { get; }

    Task<Stream> OpenWriteAsync(string path, CancellationToken cancellationToken);

    /// <summary>The file, or null when it does not exist.</summary>
    Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>The names of the sub-folders directly under the location.</summary>
    IAsyncEnumerable<string> ListFoldersAsync(CancellationToken cancellationToken);

    /// <summary>The same store, one folder down.</summary>
    IBackupLocation Folder(string name);
}

/// <summary>A local directory (development, or a disk the operator copies elsewhere).</summary>
public sealed class DirectoryBackupLocation(string root) : IBackupLocation
{
    public string Name => root;

    public Task<Stream> OpenWriteAsync(string path, CancellationToken cancellationToken)
    {
        string full = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return Task.FromResult<Stream>(new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true));
    }

    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        string full = Full(path);
        return Task.FromResult<Stream?>(File.Exists(full) ? new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true) : null);
    }

    public async IAsyncEnumerable<string> ListFoldersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (string dir in Directory.EnumerateDirectories(root))
        {
            yield return Path.GetFileName(dir);
        }
    }

    public IBackupLocation Folder(string name) => new DirectoryBackupLocation(Path.Combine(root, name));

    private string Full(string path) => Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar));
}

/// <summary>A blob container, optionally under a prefix ("folder") inside it.</summary>
public sealed class BlobBackupLocation(BlobContainerClient container, string prefix = "") : IBackupLocation
{
    private readonly string _prefix = prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/";
    private bool _containerExists;

    public string Name => container.Uri + (_prefix.Length > 0 ? "/" + _prefix.TrimEnd('/') : "");

    /// <summary>A container URL (…/container[/folder…]): with a SAS in the URL as it is, otherwise with
    /// <paramref name="credential"/> (Microsoft Entra identity).</summary>
    public static BlobBackupLocation FromUrl(Uri url, TokenCredential credential)
    {
        var parts = new BlobUriBuilder(url);
        string folder = parts.BlobName ?? "";
        parts.BlobName = "";
        var containerUri = parts.ToUri();
        var container = string.IsNullOrEmpty(url.Query) ? new BlobContainerClient(containerUri, credential) : new BlobContainerClient(containerUri);
        return new BlobBackupLocation(container, folder);
    }

    public async Task<Stream> OpenWriteAsync(string path, CancellationToken cancellationToken)
    {
        if (!_containerExists)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            _containerExists = true;
        }

        var blob = container.GetBlockBlobClient(_prefix + path);
        return await blob.OpenWriteAsync(overwrite: true, new BlockBlobOpenWriteOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = path.EndsWith(".jsonl", StringComparison.Ordinal) ? "application/x-ndjson" : "application/json" },
        }, cancellationToken);
    }

    public async Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await container.GetBlobClient(_prefix + path).OpenReadAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<string> ListFoldersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!await container.ExistsAsync(cancellationToken))
        {
            yield break;
        }

        await foreach (var item in container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", _prefix, cancellationToken))
        {
            if (item.IsPrefix)
            {
                yield return item.Prefix[_prefix.Length..].TrimEnd('/');
            }
        }
    }

    public IBackupLocation Folder(string name) => new BlobBackupLocation(container, _prefix + name);
}
