// Private endpoints for `vnetEnabled`, each with a private DNS zone linked to the VNet so that the
// app keeps using the public host names (st<token>.blob.core.windows.net, kv-<id>.vault.azure.net)
// and the VNet resolves them to private addresses. Same modules as the azd Flex Consumption
// quickstarts (infra/app/storage-PrivateEndpoint.bicep there), plus the vault they do not have.

param virtualNetworkName string
param subnetName string
param storageAccountName string
param keyVaultName string
param location string = resourceGroup().location
param tags object = {}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: virtualNetworkName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Durable Functions needs all three storage services (blob leases and large messages, queues,
// history tables); the quickstart enables blob only. Key Vault's zone is `vaultcore`, not `vault`.
var endpoints = [
  {
    groupId: 'blob'
    privateLinkServiceId: storageAccount.id
    zoneName: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    groupId: 'queue'
    privateLinkServiceId: storageAccount.id
    zoneName: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    groupId: 'table'
    privateLinkServiceId: storageAccount.id
    zoneName: 'privatelink.table.${environment().suffixes.storage}'
  }
  {
    groupId: 'vault'
    privateLinkServiceId: keyVault.id
    zoneName: 'privatelink${replace(environment().suffixes.keyvaultDns, 'vault', 'vaultcore')}'
  }
]

module privateDnsZones 'br/public:avm/res/network/private-dns-zone:0.7.1' = [
  for endpoint in endpoints: {
    name: '${endpoint.groupId}-private-dns-zone-deployment'
    params: {
      name: endpoint.zoneName
      location: 'global'
      tags: tags
      virtualNetworkLinks: [
        {
          name: '${virtualNetworkName}-${endpoint.groupId}-link'
          virtualNetworkResourceId: vnet.id
          registrationEnabled: false
          location: 'global'
          tags: tags
        }
      ]
    }
  }
]

module privateEndpoints 'br/public:avm/res/network/private-endpoint:0.11.0' = [
  for (endpoint, i) in endpoints: {
    name: '${endpoint.groupId}-private-endpoint-deployment'
    params: {
      name: '${endpoint.groupId}-private-endpoint'
      location: location
      tags: tags
      subnetResourceId: '${vnet.id}/subnets/${subnetName}'
      privateLinkServiceConnections: [
        {
          name: '${endpoint.groupId}PrivateLinkConnection'
          properties: {
            privateLinkServiceId: endpoint.privateLinkServiceId
            groupIds: [
              endpoint.groupId
            ]
          }
        }
      ]
      customDnsConfigs: []
      privateDnsZoneGroup: {
        name: '${endpoint.groupId}PrivateDnsZoneGroup'
        privateDnsZoneGroupConfigs: [
          {
            name: '${endpoint.groupId}ARecord'
            privateDnsZoneResourceId: privateDnsZones[i].outputs.resourceId
          }
        ]
      }
    }
  }
]
