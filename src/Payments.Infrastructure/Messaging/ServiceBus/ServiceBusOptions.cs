namespace Payments.Infrastructure.Messaging.ServiceBus;

/// <summary>Which queue service carries the outbox's messages. The same setting must choose the
/// trigger type in the generated function.json files (queueTrigger or serviceBusTrigger).</summary>
public enum MessageTransport
{
    StorageQueues,
    ServiceBus,
}

/// <summary>Bound from the <c>Messaging</c> section (<c>Messaging__Transport</c>).</summary>
public sealed class MessagingOptions
{
    public MessageTransport Transport { get; set; } = MessageTransport.StorageQueues;
}

/// <summary>Bound from the <c>ServiceBus</c> section. <c>ServiceBus__fullyQualifiedNamespace</c> is also
/// the setting the Functions host reads for the triggers' identity-based connection named
/// "ServiceBus", so one app setting serves sending and receiving.</summary>
public sealed class ServiceBusOptions
{
    /// <summary>The namespace host, e.g. <c>payments.servicebus.windows.net</c>.</summary>
    public string FullyQualifiedNamespace { get; set; } = "";

    /// <summary>The namespace as an https base address, or null when the setting is missing or names
    /// another scheme: bearer tokens never travel over plain HTTP.</summary>
    public Uri? Endpoint()
    {
        string value = FullyQualifiedNamespace.Trim();
        if (value.Length == 0)
        {
            return null;
        }

        if (!value.Contains("://", StringComparison.Ordinal))
        {
            value = "https://" + value;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri)
            && uri.Scheme == Uri.UriSchemeHttps
            && uri.AbsolutePath == "/"
            && string.IsNullOrEmpty(uri.Query)
            ? uri
            : null;
    }
}
