// Key Vault with RBAC authorization and purge protection, holding the RSA key that wraps the
// per-app data keys (envelope encryption). The key rotates itself on a schedule.
param location string
param tags object
param vaultName string
param wrappingKeyName string = 'envelope-wrapping'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Once on, it cannot be turned off: a deleted vault or key stays recoverable for the whole
    // retention period, so a wrapped data key can never lose its wrapping key by accident.
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource wrappingKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: wrappingKeyName
  properties: {
    kty: 'RSA'
    // RSA-2048: the vault's throughput limit (about 4,000 operations per 10 s) and its price per
    // operation are those of the standard key size; larger keys get fewer operations for more money.
    keySize: 2048
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    attributes: {
      enabled: true
    }
    rotationPolicy: {
      attributes: {
        expiryTime: 'P2Y'
      }
      lifetimeActions: [
        {
          trigger: {
            timeAfterCreate: 'P1Y'
          }
          action: {
            type: 'rotate'
          }
        }
        {
          trigger: {
            timeBeforeExpiry: 'P30D'
          }
          action: {
            type: 'notify'
          }
        }
      ]
    }
  }
}

output vaultName string = vault.name
output vaultUri string = vault.properties.vaultUri
output wrappingKeyName string = wrappingKey.name
