using Payments.Sandbox;
using Payments.Sandbox.Alipay;
using Payments.Sandbox.Card;
using Payments.Sandbox.Ecny;
using Payments.Sandbox.Faults;
using Payments.Sandbox.PayerPage;
using Payments.Sandbox.Statements;
using Payments.Sandbox.Transfer;
using Payments.Sandbox.UnionPay;
using Payments.Sandbox.WeChatPay;

var builder = WebApplication.CreateBuilder(args);

// A fixed default port lets a developer point a locally running Functions host at the sandbox
// without extra configuration; --urls / ASPNETCORE_URLS still win.
if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
{
    builder.WebHost.UseUrls(SandboxDefaults.Url);
}

builder.Services.AddSandboxFaults();
builder.Services.AddWeChatPaySandbox();
builder.Services.AddSandboxStatements();
builder.Services.AddWeChatPayStatements();
builder.Services.AddAlipaySandbox();
builder.Services.AddCardSandbox();
builder.Services.AddTransferSandbox();
builder.Services.AddUnionPaySandbox();
builder.Services.AddEcnySandbox();

var app = builder.Build();

app.MapGet("/health", () => Results.Text("ok"));
app.MapSandboxFaults();
app.MapWeChatPaySandbox();
app.MapWeChatPayApi();
app.MapWeChatPayBills();
app.MapSandboxStatements();
app.MapWeChatPayPayerPage();
app.MapAlipaySandbox();
app.MapCardSandbox();
app.MapTransferSandbox();
app.MapUnionPaySandbox();
app.MapEcnySandbox();

app.Run();

// Exposed so tests can host the sandbox in-process with WebApplicationFactory<Program>.
public partial class Program;
