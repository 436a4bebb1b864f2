// The Flex Consumption plan and the function app that runs the custom handler, its app settings
// (identity-based connections only) and the role assignments of its system-assigned identity.
param location string
param tags object
param planName string
param functionAppName string
param storageAccountName string
param deploymentContainerName string
param serviceBusNamespaceName string
param serviceBusHostName string
param keyVaultName string
param keyVaultUri string
param keyVaultKeyName string
param appInsightsName string
param appInsightsConnectionString string
param publicBaseUrl string
param maximumInstanceCount int
param instanceMemoryMB int
param httpPerInstanceConcurrency int

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  // azd finds the app to deploy the 'api' service to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // No always-ready instances: at idle the app runs nothing and costs nothing for compute.
        alwaysReady: []
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// Publishing goes through Entra ID; the basic-auth (user name and password) endpoints stay closed.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

var baseUrl = empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}/' : publicBaseUrl

// Written after the site exists so the public base URL can use the host name Azure assigned.
// Each "<Connection>__<property>" group is an identity-based connection: the Functions host and
// the Azure SDK build the client from the URI or namespace and authenticate with the app's identity.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // The Functions host's own storage (leases, timers' schedule monitor).
    AzureWebJobsStorage__accountName: storageAccount.name
    // Connection "Storage": payment state in tables, and queueTrigger's connection when the
    // Storage Queues transport is chosen.
    Storage__tableServiceUri: 'https://${storageAccount.name}.table.${environment().suffixes.storage}'
    Storage__queueServiceUri: 'https://${storageAccount.name}.queue.${environment().suffixes.storage}'
    // Connection "ServiceBus": serviceBusTrigger's connection and the publisher's namespace.
    ServiceBus__fullyQualifiedNamespace: serviceBusHostName
    Messaging__Transport: 'ServiceBus'
    // The key ring: Key Vault keys over REST with the app's identity. The named key wraps the data
    // keys that encrypt app secrets, webhook secrets and channel credentials at rest.
    Keys__Provider: 'KeyVault'
    Keys__VaultUri: keyVaultUri
    Keys__KeyName: keyVaultKeyName
    Payments__PublicBaseUrl: baseUrl
    // Per-app token bucket, per instance (the app code leaves it off when these are unset).
    RateLimiting__PermitsPerSecond: '50'
    RateLimiting__Burst: '100'
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
    // Telemetry is sent with the app's Entra token; the component refuses key-only ingestion.
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  }
  // Granted first, so the host's first start can already reach storage, the bus and the vault.
  dependsOn: [
    storageRoleAssignments
    serviceBusRoleAssignments
    keyVaultRoleAssignment
    appInsightsRoleAssignment
  ]
}

// Built-in role definition ids (identical in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  keyVaultCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
var serviceBusRoles = [
  roles.serviceBusDataSender
  roles.serviceBusDataReceiver
]

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storageAccount.id, site.id, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: site.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource serviceBusRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in serviceBusRoles: {
    name: guid(serviceBus.id, site.id, roleId)
    scope: serviceBus
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: site.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource keyVaultRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, site.id, roles.keyVaultCryptoUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCryptoUser)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appInsightsRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, site.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.monitoringMetricsPublisher
    )
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output apiBaseUrl string = '${baseUrl}api/'
output callbackBaseUrl string = '${baseUrl}api/v1/callbacks/'
