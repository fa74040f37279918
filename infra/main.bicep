targetScope = 'subscription'

// Guest sign-in email change: a Flex Consumption Function App (Node 22) with a user-assigned
// managed identity, identity-only storage, Entra-authenticated Application Insights and a Key Vault
// for the one secret. Graph and Exchange grants are not ARM resources: run
// infra/grant-permissions.ps1 after `azd up` (see the README, section Deploy).

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to make a short unique token for resource names.')
param environmentName string

// The regions that offer Flex Consumption, as listed by the azd Flex Consumption quickstart
// (Azure-Samples/functions-quickstart-typescript-azd, infra/main.bicep); azd offers only these.
@minLength(1)
@description('Primary location for all resources. Must be a region that offers Flex Consumption.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or pipeline running the deployment. It gets Key Vault Secrets Officer so that the grant script can create or rotate the form secret. Leave empty to skip.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

param resourceGroupName string = ''

@description('Puts storage (blob, queue, table) and Key Vault behind private endpoints in a new VNet, turns off their public network access and runs the app on a delegated subnet of that VNet.')
param vnetEnabled bool = false

// ---- Tenant-specific settings (see the README, section Deploy and src/config/settings.ts) ----

@minLength(1)
@description('Comma-separated verified domains of the tenant; new emails on them are declined.')
param tenantVerifiedDomains string

@minLength(1)
@description('UPN or object id of the Exchange Online mailbox that sends all mail.')
param mailSender string

@minLength(1)
@description('The organisation named in every mail and page, e.g. Contoso.')
param orgName string

@description('https URL of the organisation\'s logo, shown at the top of every mail and page. Empty: no logo.')
param orgLogoUrl string = ''

@description('Where readers get help, shown in every mail and page: an email address or an https URL. Empty: none shown.')
param supportContact string = ''

@description('Tenant that issues admin tokens. Empty: the deployment tenant.')
param adminTenantId string = ''

@description('Audience the admin API checks: the admin app registration\'s client id (v2 tokens). Empty until the app registration exists; the admin API then refuses every token.')
param adminApiAudience string = ''

param adminRole string = 'GuestReset.Admin'

@allowed(['required', 'off'])
@description('required: approvers sign in with Entra ID as the user the link was sent to before deciding.')
param approverSignIn string = 'required'

@description('Client id of the app registration approvers sign in with (infra/grant-permissions.ps1 -CreateSignInApp prints it). Empty: App Service Authentication is not configured, and with approverSignIn required approvals cannot be decided.')
param approverSignInClientId string = ''

@description('Comma-separated approvers used when a guest has no sponsor and no manager.')
param fallbackApprovers string = ''

@description('Comma-separated addresses of the admins: told of failed resets, mail left to put back, owner reports and requests nobody may approve (or sent a digest, see adminNotifications).')
param adminNotificationEmails string = ''

@description('How admin alerts go out: each (one mail per event), digest (urgent ones at once, the rest in a periodic digest), both.')
@allowed(['each', 'digest', 'both'])
param adminNotifications string = 'each'

@description('UTC time of day of the admin digest (HH:MM), then every adminDigestEvery (ISO 8601).')
param adminDigestTime string = '08:00'
param adminDigestEvery string = 'P1D'

param newEmailAllowedDomains string = ''
param newEmailDeniedDomains string = ''

@description('Where a guest lands after redeeming. Empty: My Apps for this tenant.')
param inviteRedirectUrl string = ''

param sendInvitationMessage bool = false

@description('Public base URL used in approval links. Empty: https://<function app>.azurewebsites.net.')
param publicBaseUrl string = ''

@description('Whether the new address must confirm a request before approvers are asked (DESIGN §2).')
param requireNewEmailConfirmation bool = true
param confirmationTimeout string = 'PT24H'
param approvalTimeout string = 'P7D'
param approvalReminderAfter string = 'P3D'
@description('How long after the approval an admin may retry a reset that failed on a transient fault.')
param retryWindow string = 'P7D'
param rateLimitWindow string = 'PT1H'
param rateLimitPerSource int = 10
param rateLimitPerTarget int = 3
param tableNamePrefix string = 'GuestEmailChange'

@secure()
@description('Anti-forgery key for approval pages (at least 32 characters). Empty: Bicep leaves the Key Vault secret alone and infra/grant-permissions.ps1 creates it.')
param approvalFormSecret string = ''

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var effectiveAdminTenantId = empty(adminTenantId) ? tenant().tenantId : adminTenantId
var adminApiIdentifierUri = 'api://guest-email-change-${resourceToken}'
var approvalFormSecretName = 'approval-form-secret'
var vNetName = '${abbrs.networkVirtualNetworks}${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The app's only identity: storage, Application Insights, Key Vault and (after the grant script) Graph.
module apiIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'apiUserAssignedIdentity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appserviceplan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

// Blob (deployment package, leases), queue and table (Durable Functions and the app's own tables).
// Shared keys are off, so every caller authenticates with Entra ID.
module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: vnetEnabled ? {
      defaultAction: 'Deny'
      bypass: 'None'
    } : {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [{ name: deploymentStorageContainerName }]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: '${uniqueString(deployment().name, location)}-loganalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

// Local (instrumentation-key) auth is off: telemetry is accepted only with the identity's token.
module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: '${uniqueString(deployment().name, location)}-appinsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

// RBAC-mode vault for the anti-forgery key.
// `azd down` without `--purge` leaves the vault soft-deleted, still holding its globally unique
// name, so a name made from resourceToken alone would come back on the next `azd up` and ARM would
// refuse to create it. The name therefore also follows the identity's principal id: the same
// while the environment lives (re-provisioning finds the same vault), new once `azd down` has
// deleted the identity. `kv-` plus 13 characters of uniqueString is 16 of the 24 allowed and
// starts with a letter. Purge protection off and the 7-day minimum retention let left-over vaults
// be purged at once (`az keyvault purge`) or disappear within a week; the secret is regenerable.
module keyVault 'br/public:avm/res/key-vault/vault:0.11.0' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${uniqueString(resourceToken, apiIdentity.outputs.principalId)}'
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enablePurgeProtection: false
    softDeleteRetentionInDays: 7
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    // With vnetEnabled only the private endpoint reaches the vault: ARM still writes the secret
    // (approvalFormSecret), but a deployer's machine outside the VNet cannot read or set it. Flex
    // Consumption's documentation (2025) says Key Vault references do not resolve from a
    // network-restricted vault even with VNet integration; see the README, section Deploy.
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: vnetEnabled ? {
      defaultAction: 'Deny'
      bypass: 'None'
    } : null
    secrets: empty(approvalFormSecret) ? [] : [
      {
        name: approvalFormSecretName
        value: approvalFormSecret
      }
    ]
  }
}

// With vnetEnabled, storage and the vault answer only on their private endpoints in this VNet, and
// the app reaches them through its delegated subnet.
module serviceVirtualNetwork 'app/vnet.bicep' = if (vnetEnabled) {
  name: 'serviceVirtualNetwork'
  scope: rg
  params: {
    vNetName: vNetName
    location: location
    tags: tags
  }
}

module privateEndpoints 'app/privateEndpoints.bicep' = if (vnetEnabled) {
  name: 'privateEndpoints'
  scope: rg
  params: {
    virtualNetworkName: vNetName
    subnetName: vnetEnabled ? serviceVirtualNetwork.outputs.peSubnetName : ''
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbacAssignments'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    keyVaultName: keyVault.outputs.name
    managedIdentityPrincipalId: apiIdentity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentStorageContainerName
    applicationInsightsName: monitoring.outputs.name
    identityId: apiIdentity.outputs.resourceId
    identityClientId: apiIdentity.outputs.clientId
    virtualNetworkSubnetId: vnetEnabled ? serviceVirtualNetwork.outputs.appSubnetID : ''
    approvalFormSecretUri: '${keyVault.outputs.uri}secrets/${approvalFormSecretName}'
    tableNamePrefix: tableNamePrefix
    tenantVerifiedDomains: tenantVerifiedDomains
    newEmailAllowedDomains: newEmailAllowedDomains
    newEmailDeniedDomains: newEmailDeniedDomains
    publicBaseUrl: !empty(publicBaseUrl) ? publicBaseUrl : 'https://${functionAppName}.azurewebsites.net'
    requireNewEmailConfirmation: requireNewEmailConfirmation
    confirmationTimeout: confirmationTimeout
    approvalTimeout: approvalTimeout
    approvalReminderAfter: approvalReminderAfter
    retryWindow: retryWindow
    fallbackApprovers: fallbackApprovers
    mailSender: mailSender
    orgName: orgName
    orgLogoUrl: orgLogoUrl
    supportContact: supportContact
    adminNotificationEmails: adminNotificationEmails
    adminNotifications: adminNotifications
    adminDigestTime: adminDigestTime
    adminDigestEvery: adminDigestEvery
    inviteRedirectUrl: !empty(inviteRedirectUrl) ? inviteRedirectUrl : 'https://myapps.microsoft.com/?tenantid=${effectiveAdminTenantId}'
    sendInvitationMessage: sendInvitationMessage
    adminTenantId: effectiveAdminTenantId
    adminApiAudience: !empty(adminApiAudience) ? adminApiAudience : adminApiIdentifierUri
    adminRole: adminRole
    approverSignIn: approverSignIn
    approverSignInClientId: approverSignInClientId
    rateLimitWindow: rateLimitWindow
    rateLimitPerSource: rateLimitPerSource
    rateLimitPerTarget: rateLimitPerTarget
  }
  // The host starts as soon as the app exists; give it its storage and vault roles first and,
  // with vnetEnabled, the private endpoints it reaches them through.
  dependsOn: [
    rbac
    privateEndpoints
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.SERVICE_API_NAME
output AZURE_FUNCTION_NAME string = api.outputs.SERVICE_API_NAME
output AZURE_FUNCTION_URL string = api.outputs.SERVICE_API_URL
output AZURE_FUNCTION_IDENTITY_NAME string = apiIdentity.outputs.name
output AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID string = apiIdentity.outputs.principalId
output AZURE_FUNCTION_IDENTITY_CLIENT_ID string = apiIdentity.outputs.clientId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output APPROVAL_FORM_SECRET_NAME string = approvalFormSecretName
output ADMIN_API_IDENTIFIER_URI string = adminApiIdentifierUri
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
