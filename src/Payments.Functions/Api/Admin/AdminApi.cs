namespace Payments.Functions.Api.Admin;

/// <summary>Everything under /api/v1/admin: operator keys only (merchant signatures get 401), with the
/// role each endpoint needs declared where it is mapped.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").RequireOperator();
        admin.MapExceptionsApi();
        admin.MapPaymentsAdminApi();
        admin.MapAuditApi();
        admin.MapMerchantsApi();
        admin.MapAppsApi();
        admin.MapRoutesApi();
        admin.MapRiskRulesApi();
        admin.MapWebhookDeliveriesApi();
        admin.MapReconciliationsApi();
        return app;
    }

    public static IServiceCollection AddAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        var operators = new OperatorOptions();
        configuration.GetSection("Operators").Bind(operators);
        operators.Validate();
        services.AddSingleton(operators);
        services.AddSingleton<ChannelEndpoints>();
        return services;
    }
}
