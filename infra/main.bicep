// The payment backend in one resource group: a Flex Consumption function app running the custom
// handler, its storage account, a Service Bus namespace, Key Vault, monitoring and alerts.
// Every connection is identity-based; no key or connection string is issued or stored.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Name of the environment (azd sets it from AZURE_ENV_NAME). Used in resource names and tags.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. It must offer Flex Consumption (and zone-redundant storage when storageSku is Standard_ZRS).')
param location string

@allowed([
  'Standard'
  'Premium'
])
@description('Service Bus tier. Standard carries a small fixed monthly charge; Premium buys dedicated capacity and isolation.')
param serviceBusSku string = 'Standard'

@allowed([
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_LRS'
])
@description('Redundancy of the storage account that holds the payment state.')
param storageSku string = 'Standard_ZRS'

@minLength(3)
@description('Email address that receives every operational alert.')
param alertEmail string

@description('Public base URL that channels post their callbacks to, ending in a slash. Empty means the function app\'s default host name; set it when a custom domain or a gateway fronts the app.')
param publicBaseUrl string = ''

@minValue(1)
@maxValue(1000)
@description('Upper bound on Flex Consumption instances.')
param maximumInstanceCount int = 100

@allowed([
  512
  2048
  4096
])
@description('Memory per Flex Consumption instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Concurrent HTTP requests one instance takes before the platform adds another.')
param httpPerInstanceConcurrency int = 16

@minValue(1)
@description('Active (deliverable now) messages on merchant-notifications that count as a webhook delivery backlog.')
param webhookBacklogThreshold int = 200

@minValue(1)
@maxValue(100)
@description('Share of API requests, in percent, answered with a 5xx status over 15 minutes that raises an alert.')
param http5xxPercentThreshold int = 5

// Names the application reads; a test holds them to Queues.All and StorageClients.TableNames.
var queueNames = [
  'channel-requests'
  'channel-notifications'
  'merchant-notifications'
  'reconciliations'
]
var tableNames = [
  'payments'
  'apps'
  'channelaccounts'
  'nonces'
  'openpayments'
  'exceptions'
  'audit'
  'merchants'
  'reconindex'
  'riskrules'
  'riskcounters'
  'reconruns'
]

var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// Names are derived from the subscription, the group and the environment, so a redeployment finds
// the same resources and two environments never collide on globally unique names.
var token = toLower(uniqueString(subscription().id, rg.id, environmentName))
var functionAppName = 'func-${environmentName}-${token}'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    workspaceName: 'log-${environmentName}-${token}'
    appInsightsName: 'appi-${environmentName}-${token}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    // Globally unique and at most 24 lower-case letters and digits, so the token alone names it.
    accountName: 'st${token}'
    sku: storageSku
    tableNames: tableNames
    queueNames: queueNames
    deploymentContainerName: 'app-package'
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    location: location
    tags: tags
    namespaceName: 'sb-${token}'
    sku: serviceBusSku
    queueNames: queueNames
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    vaultName: 'kv-${token}'
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: 'plan-${environmentName}-${token}'
    functionAppName: functionAppName
    storageAccountName: storage.outputs.accountName
    deploymentContainerName: storage.outputs.deploymentContainerName
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    serviceBusHostName: serviceBus.outputs.hostName
    keyVaultName: keyVault.outputs.vaultName
    keyVaultUri: keyVault.outputs.vaultUri
    keyVaultKeyName: keyVault.outputs.wrappingKeyName
    appInsightsName: monitoring.outputs.appInsightsName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    publicBaseUrl: publicBaseUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    tags: tags
    namePrefix: environmentName
    alertEmail: alertEmail
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    webhookQueueName: 'merchant-notifications'
    webhookBacklogThreshold: webhookBacklogThreshold
    keyVaultName: keyVault.outputs.vaultName
    workspaceName: monitoring.outputs.workspaceName
    location: location
    http5xxPercentThreshold: http5xxPercentThreshold
  }
  dependsOn: [
    functionApp
  ]
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output API_BASE_URL string = functionApp.outputs.apiBaseUrl
output CALLBACK_BASE_URL string = functionApp.outputs.callbackBaseUrl
output AZURE_KEY_VAULT_URI string = keyVault.outputs.vaultUri
output AZURE_KEY_VAULT_WRAPPING_KEY_NAME string = keyVault.outputs.wrappingKeyName
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.namespaceName
output SERVICE_BUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.hostName
