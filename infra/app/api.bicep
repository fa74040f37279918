// The Flex Consumption Function App and every app setting it reads.

param name string
param location string = resourceGroup().location
param tags object = {}
param serviceName string = 'api'
param appServicePlanId string
param storageAccountName string
param deploymentStorageContainerName string
param applicationInsightsName string
param identityId string
param identityClientId string
param instanceMemoryMB int = 2048
@minValue(40)
param maximumInstanceCount int = 40

@description('Delegated subnet for outbound traffic when storage and Key Vault are private (vnetEnabled); empty: no VNet integration.')
param virtualNetworkSubnetId string = ''

@description('Key Vault secret URI without a version, so the app always reads the latest one.')
param approvalFormSecretUri string

param tableNamePrefix string
param tenantVerifiedDomains string
param newEmailAllowedDomains string
param newEmailDeniedDomains string
param publicBaseUrl string
param requireNewEmailConfirmation bool
param confirmationTimeout string
param approvalTimeout string
param approvalReminderAfter string
@description('How long after the approval an admin may retry a reset that failed on a transient fault (ISO 8601).')
param retryWindow string
param fallbackApprovers string
param mailSender string
param orgName string
param orgLogoUrl string
param supportContact string
param adminNotificationEmails string
param adminNotifications string
param adminDigestTime string
param adminDigestEvery string
param inviteRedirectUrl string
param sendInvitationMessage bool
param adminTenantId string
param approverSignIn string

@description('Client id of the app registration approvers sign in with (App Service Authentication). Empty: authentication is not configured and, with approverSignIn required, no approval can be decided.')
param approverSignInClientId string = ''
param adminApiAudience string
param adminRole string
param rateLimitWindow string
param rateLimitPerSource int
param rateLimitPerTarget int

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Every setting the host and the app read in Azure. test/unit/settingsDrift.test.ts parses this
// block and compares it with src/config/settings.ts, so keep its shape: one `NAME: value` per line,
// the value on the same line, the block closed by a `}` in the first column.
// No connection strings: storage is reached with the identity (AzureWebJobsStorage__*), Graph with
// the same identity (AZURE_CLIENT_ID), the secret through a Key Vault reference. The Application
// Insights connection string only names the ingestion endpoint; local auth is off, so ingestion
// needs the identity's token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
// Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION here: the
// runtime comes from functionAppConfig.runtime below.
var appSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  TABLE_NAME_PREFIX: tableNamePrefix
  GRAPH_BASE_URL: 'https://graph.microsoft.com'
  TENANT_VERIFIED_DOMAINS: tenantVerifiedDomains
  NEW_EMAIL_ALLOWED_DOMAINS: newEmailAllowedDomains
  NEW_EMAIL_DENIED_DOMAINS: newEmailDeniedDomains
  PUBLIC_BASE_URL: publicBaseUrl
  REQUIRE_NEW_EMAIL_CONFIRMATION: requireNewEmailConfirmation ? 'true' : 'false'
  CONFIRMATION_TIMEOUT: confirmationTimeout
  APPROVAL_TIMEOUT: approvalTimeout
  APPROVAL_REMINDER_AFTER: approvalReminderAfter
  APPROVAL_FORM_SECRET: '@Microsoft.KeyVault(SecretUri=${approvalFormSecretUri})'
  FALLBACK_APPROVERS: fallbackApprovers
  MAIL_SENDER: mailSender
  ORG_NAME: orgName
  ORG_LOGO_URL: orgLogoUrl
  SUPPORT_CONTACT: supportContact
  ADMIN_NOTIFICATION_EMAILS: adminNotificationEmails
  ADMIN_NOTIFICATIONS: adminNotifications
  ADMIN_DIGEST_TIME: adminDigestTime
  ADMIN_DIGEST_EVERY: adminDigestEvery
  INVITE_REDIRECT_URL: inviteRedirectUrl
  SEND_INVITATION_MESSAGE: sendInvitationMessage ? 'true' : 'false'
  MAIL_RESTORE_FIRST_RETRY: 'PT30S'
  MAIL_RESTORE_MAX_RETRY: 'PT5M'
  RETRY_WINDOW: retryWindow
  ADMIN_TENANT_ID: adminTenantId
  APPROVER_SIGN_IN: approverSignIn
  // Platform setting read by App Service Authentication (authsettingsV2 below): the client id of
  // the managed identity whose token is the sign-in app registration's credential, so there is no
  // client secret to keep (a federated identity credential on the app registration trusts it).
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
  ADMIN_API_AUDIENCE: adminApiAudience
  ADMIN_ROLE: adminRole
  RATE_LIMIT_WINDOW: rateLimitWindow
  RATE_LIMIT_PER_SOURCE: string(rateLimitPerSource)
  RATE_LIMIT_PER_TARGET: string(rateLimitPerTarget)
}

module api 'br/public:avm/res/web/site:0.15.1' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityId
      ]
    }
    // Key Vault references resolve with this identity (there is no system-assigned one).
    keyVaultAccessIdentityResourceId: identityId
    virtualNetworkSubnetId: !empty(virtualNetworkSubnetId) ? virtualNetworkSubnetId : null
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    appSettingsKeyValuePairs: appSettings
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: name
}

// App Service Authentication ("Easy Auth") signs approvers in with Entra ID. Anonymous requests
// still reach the app (the public form, the approval page that offers sign-in); the app decides
// per route and trusts the X-MS-CLIENT-PRINCIPAL* headers only because the platform, with this
// on, strips them from incoming requests and sets them itself (WEBSITE_AUTH_ENABLED=True).
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(approverSignInClientId)) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: approverSignInClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: 'https://login.microsoftonline.com/${adminTenantId}/v2.0'
        }
        // The platform also validates any bearer token a request carries: admin API tokens
        // (audience ADMIN_API_AUDIENCE, same tenant and issuer) must pass to reach the app's own check.
        validation: {
          allowedAudiences: [
            approverSignInClientId
            adminApiAudience
          ]
        }
      }
    }
    login: {
      // The app needs only who signed in, never a token to call anything with.
      tokenStore: {
        enabled: false
      }
    }
  }
  dependsOn: [
    api
  ]
}

output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URL string = publicBaseUrl
