using System.Net.Mime;
using System.Text.Encodings.Web;

namespace Payments.Sandbox.PayerPage;

/// <summary>
/// The page a wallet sandbox shows the payer: the order, Approve and Decline. A decision is posted as <c>{"decision":…}</c> back to
/// the very address the page was opened at (query included, which Alipay's gateway page needs), and the answer's status is shown.
/// </summary>
internal static class ApprovalPage
{
    /// <param name="statusField">The decision answer's field that holds the order's new status, in the channel's own words.</param>
    public static string Render(string title, string yuan, string description, string merchant, string reference, string statusField)
    {
        var html = HtmlEncoder.Default;
        return Html(title, $$"""
            <p class="amount">¥{{yuan}}</p>
            <p>{{html.Encode(description)}}</p>
            <p class="meta">{{html.Encode(merchant)}} · {{html.Encode(reference)}}</p>
            <button id="approve" onclick="decide('approve')">Approve</button>
            <button id="decline" onclick="decide('decline')">Decline</button>
            <p id="result"></p>
            <script>
              async function decide(decision) {
                const response = await fetch(location.href, {
                  method: 'POST',
                  headers: { 'Content-Type': '{{MediaTypeNames.Application.Json}}' },
                  body: JSON.stringify({ decision })
                });
                const body = await response.json();
                document.getElementById('result').textContent =
                  response.ok ? body.{{statusField}} : (body.code + ' ' + (body.message || ''));
              }
            </script>
            """);
    }

    /// <summary>The wallet pages' shell, also for their error pages (<c>class="error"</c> marks the code).</summary>
    public static string Html(string title, string content) => $$"""
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>{{title}} · Sandbox</title>
          <style>
            body { font-family: sans-serif; max-width: 24rem; margin: 2rem auto; text-align: center; }
            .amount { font-size: 2rem; font-weight: bold; }
            .meta { color: #888; font-size: 0.8rem; }
            .error { color: #c00; font-weight: bold; }
            button { font-size: 1rem; margin: 0.5rem; padding: 0.5rem 1.5rem; }
          </style>
        </head>
        <body>
        <h1>{{title}}</h1>
        {{content}}
        </body>
        </html>
        """;
}
