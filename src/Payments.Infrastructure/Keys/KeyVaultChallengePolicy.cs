using Azure.Core;
using Azure.Core.Pipeline;

namespace Payments.Infrastructure.Keys;

/// <summary>Key Vault's challenge-based authentication, as the official SDK's
/// ChallengeBasedAuthenticationPolicy does it. The vault, not the client, says which token it wants:
/// the first request goes without a token and without its body; the vault answers 401 with
/// <c>WWW-Authenticate: Bearer authorization="https://login.../&lt;tenant&gt;", resource="https://vault.azure.net"</c>
/// (or <c>scope=</c>); the token is then asked for <c>&lt;resource&gt;/.default</c> in that tenant
/// and the request is sent again with its body. Later requests carry the cached token straight away.
/// <para>The body is held back until the vault has answered because a vault may demand a scheme that
/// protects the body too. The challenge's resource must be a parent domain of the vault's host, so an
/// endpoint that is not a vault cannot obtain a token for another service.</para></summary>
internal sealed class KeyVaultChallengePolicy(TokenCredential credential) : BearerTokenAuthenticationPolicy(credential, Array.Empty<string>())
{
    private const string HeldContent = "Payments.KeyVault.HeldContent";

    private Challenge? _challenge;

    protected override ValueTask AuthorizeRequestAsync(HttpMessage message)
    {
        if (Volatile.Read(ref _challenge) is { } challenge)
        {
            return AuthenticateAndAuthorizeRequestAsync(message, challenge.Context(message));
        }

        HoldContent(message);
        return default;
    }

    protected override void AuthorizeRequest(HttpMessage message)
    {
        if (Volatile.Read(ref _challenge) is { } challenge)
        {
            AuthenticateAndAuthorizeRequest(message, challenge.Context(message));
            return;
        }

        HoldContent(message);
    }

    protected override async ValueTask<bool> AuthorizeRequestOnChallengeAsync(HttpMessage message)
    {
        if (!Accept(message, out var challenge))
        {
            return false;
        }

        await AuthenticateAndAuthorizeRequestAsync(message, challenge.Context(message));
        return true;
    }

    protected override bool AuthorizeRequestOnChallenge(HttpMessage message)
    {
        if (!Accept(message, out var challenge))
        {
            return false;
        }

        AuthenticateAndAuthorizeRequest(message, challenge.Context(message));
        return true;
    }

    private static void HoldContent(HttpMessage message)
    {
        // A retry of the unauthenticated first request finds the content already held: keep it.
        if (message.Request.Content is { } content && !message.TryGetProperty(HeldContent, out _))
        {
            message.SetProperty(HeldContent, content);
            message.Request.Content = null;
        }
    }

    private bool Accept(HttpMessage message, out Challenge challenge)
    {
        if (message.Request.Content is null && message.TryGetProperty(HeldContent, out object? held) && held is RequestContent content)
        {
            message.Request.Content = content;
        }

        var bearer = message.Response.Headers.TryGetValue("WWW-Authenticate", out string? header) ? BearerParameters(header) : [];
        string? scope = bearer.TryGetValue("resource", out string? resource)
            ? resource.TrimEnd('/') + "/.default"
            : bearer.GetValueOrDefault("scope");
        if (scope is null)
        {
            challenge = null!;
            return false;
        }

        if (!Uri.TryCreate(scope, UriKind.Absolute, out var scopeUri))
        {
            throw new InvalidOperationException($"The vault's challenge names an invalid scope '{scope}'.");
        }

        string host = message.Request.Uri.Host ?? "";
        if (!host.EndsWith("." + scopeUri.Host, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The challenge resource '{scopeUri.Host}' is not a parent domain of {host}: no token is sent for it. Is Keys:VaultUri a Key Vault?");
        }

        string? authorization = bearer.GetValueOrDefault("authorization") ?? bearer.GetValueOrDefault("authorization_uri");
        // The tenant is a hint for credentials that can ask any tenant; a managed identity ignores it.
        string? tenant = Uri.TryCreate(authorization, UriKind.Absolute, out var authorizationUri) && authorizationUri.Segments.Length > 1
            ? authorizationUri.Segments[1].Trim('/')
            : null;
        challenge = new Challenge(scope, tenant);
        Volatile.Write(ref _challenge, challenge);
        return true;
    }

    /// <summary>The parameters of the Bearer challenge in a WWW-Authenticate value (RFC 9110 section
    /// 11.6.1): <c>Scheme name="value", name=token, ...</c>, possibly after or before other schemes'
    /// challenges. Azure.Core's own parser is internal to it.</summary>
    internal static Dictionary<string, string> BearerParameters(string header)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? scheme = null;
        int i = 0;
        while (i < header.Length)
        {
            while (i < header.Length && (header[i] == ' ' || header[i] == ','))
            {
                i++;
            }

            int start = i;
            while (i < header.Length && header[i] is not (' ' or ',' or '='))
            {
                i++;
            }

            string token = header[start..i];
            int afterToken = i;
            while (i < header.Length && header[i] == ' ')
            {
                i++;
            }

            if (i >= header.Length || header[i] != '=')
            {
                // A token not followed by '=' starts the next challenge.
                scheme = token;
                i = afterToken;
                continue;
            }

            i++;
            while (i < header.Length && header[i] == ' ')
            {
                i++;
            }

            var value = new System.Text.StringBuilder();
            if (i < header.Length && header[i] == '"')
            {
                for (i++; i < header.Length && header[i] != '"'; i++)
                {
                    if (header[i] == '\\' && i + 1 < header.Length)
                    {
                        i++;
                    }

                    value.Append(header[i]);
                }

                i++;
            }
            else
            {
                for (; i < header.Length && header[i] is not (',' or ' '); i++)
                {
                    value.Append(header[i]);
                }
            }

            if (string.Equals(scheme, "Bearer", StringComparison.OrdinalIgnoreCase) && token.Length > 0)
            {
                parameters.TryAdd(token, value.ToString());
            }
        }

        return parameters;
    }

    private sealed record Challenge(string Scope, string? TenantId)
    {
        public TokenRequestContext Context(HttpMessage message) =>
            new([Scope], parentRequestId: message.Request.ClientRequestId, tenantId: TenantId);
    }
}
