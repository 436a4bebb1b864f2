// Log Analytics workspace and a workspace-based Application Insights component that accepts only
// Entra-authenticated telemetry (local, key-based ingestion is off).
param location string
param tags object
param workspaceName string
param appInsightsName string

@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

output workspaceName string = workspace.name
output appInsightsName string = appInsights.name
// The connection string names the component and its ingestion endpoint; with local auth disabled
// it grants nothing without an Entra token, so it is not a secret.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
