// The virtual network for `vnetEnabled`: one subnet for the private endpoints of storage and Key
// Vault, one for the Function App's outbound traffic. Same layout as the azd Flex Consumption
// quickstarts (Azure-Samples/functions-quickstart-typescript-azd, infra/app/vnet.bicep).

param vNetName string
param location string = resourceGroup().location
param tags object = {}
param peSubnetName string = 'private-endpoints-subnet'
param appSubnetName string = 'app'

module virtualNetwork 'br/public:avm/res/network/virtual-network:0.6.1' = {
  name: 'vnet-deployment'
  params: {
    name: vNetName
    location: location
    tags: tags
    addressPrefixes: [
      '10.0.0.0/16'
    ]
    subnets: [
      {
        name: peSubnetName
        addressPrefix: '10.0.1.0/24'
        privateEndpointNetworkPolicies: 'Disabled'
        privateLinkServiceNetworkPolicies: 'Enabled'
      }
      {
        name: appSubnetName
        addressPrefix: '10.0.2.0/24'
        privateEndpointNetworkPolicies: 'Disabled'
        privateLinkServiceNetworkPolicies: 'Enabled'
        // Flex Consumption runs on the Container Apps platform, so its integration subnet is
        // delegated to Microsoft.App/environments (not Microsoft.Web/serverFarms as for other plans);
        // the subscription needs the Microsoft.App resource provider registered.
        delegation: 'Microsoft.App/environments'
      }
    ]
  }
}

output peSubnetName string = peSubnetName
output appSubnetID string = '${virtualNetwork.outputs.resourceId}/subnets/${appSubnetName}'
