// Service Bus namespace and the catalog's queues. Local (SAS) authentication is disabled, so only
// Entra identities with a data role can send or receive.
param location string
param tags object
param namespaceName string

@allowed([
  'Standard'
  'Premium'
])
param sku string
param queueNames array

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
    capacity: sku == 'Premium' ? 1 : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queue in queueNames: {
    parent: namespace
    name: queue
    properties: {
      // Outbox messages carry a stable MessageId; a relay and a sweep publishing the same row
      // minutes apart are collapsed here.
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      // Same limit as the local runtime and the Storage Queues host setting (maxDequeueCount).
      maxDeliveryCount: 10
      deadLetteringOnMessageExpiration: true
      defaultMessageTimeToLive: 'P14D'
      // The Functions host renews the lock while a handler runs.
      lockDuration: 'PT1M'
      maxSizeInMegabytes: 1024
      enableBatchedOperations: true
      requiresSession: false
      enablePartitioning: false
    }
  }
]

output namespaceName string = namespace.name
// serviceBusEndpoint is "https://<host>:443/"; the identity-based trigger wants the bare host.
output hostName string = split(split(namespace.properties.serviceBusEndpoint, '/')[2], ':')[0]
