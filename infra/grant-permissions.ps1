#Requires -Version 7.2
<#
.SYNOPSIS
    Grants the function app's managed identity what it needs outside Azure Resource Manager:
    Microsoft Graph application permissions, Exchange Online RBAC for Applications (Mail.Send scoped
    to the sender mailbox), the admin API app registration, and the anti-forgery secret.

.DESCRIPTION
    Idempotent: every step reads the current state first and only changes what is missing or wrong.
    Run it with -DryRun (or -WhatIf) first: it signs in with read-only scopes and prints each change
    it would make, without making any.

    What it does, in order:
      1. Graph application permissions for the identity: User.ReadWrite.All and User.Invite.All.
      2. Mail: Exchange RBAC for Applications. An Exchange service principal for the identity, a
         management scope that matches only the sender mailbox, and the "Application Mail.Send"
         role assigned with that scope. The tenant-wide Entra ID Mail.Send permission is NOT granted
         and is REMOVED if present: Exchange adds RBAC grants to Entra grants, so while the Entra
         Mail.Send consent exists the identity can send as every mailbox in the tenant and the
         scope has no effect. DESIGN.md's "Mail.Send scoped with Exchange RBAC" means exactly
         this: the Mail.Send permission, granted by Exchange, for one mailbox.
      3. With -CreateAdminApp: the admin API app registration (application ID URI, v2 tokens, the
         GuestReset.Admin app role for users and applications, Azure CLI pre-authorized so that
         `az account get-access-token` works), its service principal with assignment required,
         the role assigned to -AdminUsers, and ADMIN_API_AUDIENCE set in the azd environment.
      4. The APPROVAL_FORM_SECRET in Key Vault, created (48 random bytes) when absent, or replaced
         with -RotateFormSecret.

    Inputs default to the values `azd up` left in the azd environment (`azd env get-values`).

    Roles needed: Privileged Role Administrator or Global Administrator (Graph application
    permissions), Application Administrator (app registration), Exchange Administrator (step 2),
    Key Vault Secrets Officer on the vault (step 4; main.bicep grants it to the deployer).

.EXAMPLE
    ./infra/grant-permissions.ps1 -DryRun -CreateAdminApp -AdminUsers alice@contoso.com
.EXAMPLE
    ./infra/grant-permissions.ps1 -CreateAdminApp -AdminUsers alice@contoso.com
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string]$TenantId,
    [string]$IdentityPrincipalId,
    [string]$IdentityClientId,
    [string]$SenderMailbox,
    [string]$KeyVaultName,
    [string]$FormSecretName,
    [string]$FunctionAppName,
    [string]$ResourceGroupName,
    [switch]$CreateAdminApp,
    [string]$AdminApiIdentifierUri,
    [string]$AdminRole,
    [string[]]$AdminUsers = @(),
    [switch]$SkipExchange,
    [switch]$RotateFormSecret,
    [switch]$DryRun
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Read what the dry run needs to decide, change nothing. -WhatIf is honoured the same way; the
# preference is cleared so that the read-only cmdlets below are not themselves put in what-if mode.
$script:IsDryRun = $DryRun.IsPresent -or $WhatIfPreference
$WhatIfPreference = $false

$GraphAppId = '00000003-0000-0000-c000-000000000000'
$AzureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'
# The only Graph application permissions the app needs (the README, section Deploy explains each).
$GraphPermissions = @('User.ReadWrite.All', 'User.Invite.All')
$ExchangeMailRole = "Application Mail.Send"
$ExchangeScopeName = 'GuestEmailChange-Sender'
$ExchangeAssignmentName = 'GuestEmailChange-MailSend'

function Invoke-Change {
    <# Runs a change, or in a dry run only says what it would be. #>
    param([string]$Description, [scriptblock]$Action)
    if ($script:IsDryRun) {
        Write-Host "  [dry run] would $Description" -ForegroundColor Yellow
        return $null
    }
    Write-Host "  -> $Description" -ForegroundColor Cyan
    & $Action
}

function Write-Ok([string]$Message) { Write-Host "  ok: $Message" -ForegroundColor Green }

function Get-AzdValues {
    <# The azd environment's KEY="value" pairs, or nothing when azd is absent. #>
    $values = @{}
    if (-not (Get-Command azd -ErrorAction SilentlyContinue)) { return $values }
    foreach ($line in (azd env get-values 2>$null)) {
        if ($line -match '^([A-Za-z_][A-Za-z0-9_]*)="?(.*?)"?$') { $values[$Matches[1]] = $Matches[2] }
    }
    $values
}

function Resolve-Input([string]$Given, [string]$AzdName, [hashtable]$Azd, [string]$Default = '') {
    if ($Given) { return $Given }
    if ($Azd.ContainsKey($AzdName) -and $Azd[$AzdName]) { return $Azd[$AzdName] }
    $Default
}

$azd = Get-AzdValues
$TenantId = Resolve-Input $TenantId 'AZURE_TENANT_ID' $azd
$IdentityPrincipalId = Resolve-Input $IdentityPrincipalId 'AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID' $azd
$IdentityClientId = Resolve-Input $IdentityClientId 'AZURE_FUNCTION_IDENTITY_CLIENT_ID' $azd
$SenderMailbox = Resolve-Input $SenderMailbox 'MAIL_SENDER' $azd
$KeyVaultName = Resolve-Input $KeyVaultName 'AZURE_KEY_VAULT_NAME' $azd
$FormSecretName = Resolve-Input $FormSecretName 'APPROVAL_FORM_SECRET_NAME' $azd 'approval-form-secret'
$FunctionAppName = Resolve-Input $FunctionAppName 'AZURE_FUNCTION_NAME' $azd
$ResourceGroupName = Resolve-Input $ResourceGroupName 'AZURE_RESOURCE_GROUP' $azd
$AdminApiIdentifierUri = Resolve-Input $AdminApiIdentifierUri 'ADMIN_API_IDENTIFIER_URI' $azd
$AdminRole = Resolve-Input $AdminRole 'ADMIN_ROLE' $azd 'GuestReset.Admin'

$missing = @(@(
    @{ Name = 'TenantId'; Value = $TenantId },
    @{ Name = 'IdentityPrincipalId'; Value = $IdentityPrincipalId },
    @{ Name = 'IdentityClientId'; Value = $IdentityClientId },
    @{ Name = 'SenderMailbox'; Value = $SenderMailbox },
    @{ Name = 'KeyVaultName'; Value = $KeyVaultName }
) | Where-Object { -not $_.Value } | ForEach-Object { $_.Name })
if ($CreateAdminApp -and -not $AdminApiIdentifierUri) { $missing += 'AdminApiIdentifierUri' }
if ($missing) {
    throw "Missing input: $($missing -join ', '). Run 'azd up' first (its outputs feed this script) or pass them as parameters."
}

foreach ($module in @('Microsoft.Graph.Authentication', 'Microsoft.Graph.Applications', 'Microsoft.Graph.Users') + @(if (-not $SkipExchange) { 'ExchangeOnlineManagement' })) {
    if (-not (Get-Module -ListAvailable -Name $module)) {
        throw "PowerShell module $module is missing: Install-Module $module -Scope CurrentUser"
    }
    Import-Module $module -ErrorAction Stop
}

Write-Host ($script:IsDryRun ? 'DRY RUN: nothing will be changed.' : 'Applying changes.') -ForegroundColor Magenta
Write-Host "Tenant $TenantId, identity $IdentityClientId (object $IdentityPrincipalId), sender $SenderMailbox"

$graphScopes = if ($script:IsDryRun) {
    @('Application.Read.All', 'User.Read.All')
} else {
    @('Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'User.Read.All')
}
Connect-MgGraph -TenantId $TenantId -Scopes $graphScopes -NoWelcome

# ---- 1: Graph application permissions on the identity, and no tenant-wide Mail.Send -------------
Write-Host "`nMicrosoft Graph application permissions"
$graphSp = Get-MgServicePrincipal -Filter "appId eq '$GraphAppId'"
$identitySp = Get-MgServicePrincipal -ServicePrincipalId $IdentityPrincipalId
$assigned = @(Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $identitySp.Id -All |
        Where-Object { $_.ResourceId -eq $graphSp.Id })

function Get-GraphAppRole([string]$Value) {
    $role = $graphSp.AppRoles | Where-Object { $_.Value -eq $Value -and $_.AllowedMemberTypes -contains 'Application' }
    if (-not $role) { throw "Microsoft Graph has no application permission $Value" }
    $role
}

foreach ($permission in $GraphPermissions) {
    $role = Get-GraphAppRole $permission
    if ($assigned | Where-Object { $_.AppRoleId -eq $role.Id }) {
        Write-Ok "$permission already granted"
        continue
    }
    Invoke-Change "grant Graph application permission $permission to $($identitySp.DisplayName)" {
        New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $identitySp.Id -PrincipalId $identitySp.Id `
            -ResourceId $graphSp.Id -AppRoleId $role.Id | Out-Null
    }
}

$mailSendRole = Get-GraphAppRole 'Mail.Send'
foreach ($grant in @($assigned | Where-Object { $_.AppRoleId -eq $mailSendRole.Id })) {
    Invoke-Change "REMOVE the tenant-wide Entra Mail.Send grant (it would override the Exchange mailbox scope)" {
        Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $identitySp.Id -AppRoleAssignmentId $grant.Id
    }
}

$neededIds = @($GraphPermissions | ForEach-Object { (Get-GraphAppRole $_).Id }) + $mailSendRole.Id
foreach ($extra in @($assigned | Where-Object { $neededIds -notcontains $_.AppRoleId })) {
    $name = ($graphSp.AppRoles | Where-Object { $_.Id -eq $extra.AppRoleId }).Value
    Write-Warning "The identity also holds Graph permission $name, which this app does not use. Remove it unless something else needs it."
}

# ---- 2: Exchange Online RBAC for Applications --------------------------------------------------
if ($SkipExchange) {
    Write-Warning "Skipping Exchange: until an Exchange administrator runs this script without -SkipExchange, the app cannot send mail."
} else {
    Write-Host "`nExchange Online: $ExchangeMailRole scoped to $SenderMailbox"
    Connect-ExchangeOnline -ShowBanner:$false

    $mailbox = Get-EXOMailbox -Identity $SenderMailbox -ErrorAction SilentlyContinue
    if (-not $mailbox) {
        throw "$SenderMailbox is not an Exchange Online mailbox. MAIL_SENDER must be one (a shared mailbox works)."
    }
    $smtp = $mailbox.PrimarySmtpAddress
    $filter = "PrimarySmtpAddress -eq '$smtp'"

    $exchangeSp = Get-ServicePrincipal | Where-Object { $_.AppId -eq $IdentityClientId }
    if ($exchangeSp) {
        Write-Ok "Exchange service principal exists"
    } else {
        Invoke-Change "create the Exchange service principal for $($identitySp.DisplayName)" {
            New-ServicePrincipal -AppId $IdentityClientId -ObjectId $IdentityPrincipalId -DisplayName $identitySp.DisplayName
        }
    }

    $scope = Get-ManagementScope -Identity $ExchangeScopeName -ErrorAction SilentlyContinue
    if (-not $scope) {
        Invoke-Change "create management scope $ExchangeScopeName ($filter)" {
            New-ManagementScope -Name $ExchangeScopeName -RecipientRestrictionFilter $filter | Out-Null
        }
    } elseif ($scope.RecipientFilter -notmatch [regex]::Escape($smtp)) {
        # Exchange may rewrite the filter's text, so only the address decides.
        Invoke-Change "point management scope $ExchangeScopeName at $smtp (was: $($scope.RecipientFilter))" {
            Set-ManagementScope -Identity $ExchangeScopeName -RecipientRestrictionFilter $filter
        }
    } else {
        Write-Ok "management scope $ExchangeScopeName matches $smtp"
    }

    $assignment = Get-ManagementRoleAssignment -Identity $ExchangeAssignmentName -ErrorAction SilentlyContinue
    if ($assignment) {
        Write-Ok "role assignment $ExchangeAssignmentName exists"
    } else {
        Invoke-Change "assign '$ExchangeMailRole' to the identity with scope $ExchangeScopeName" {
            New-ManagementRoleAssignment -Name $ExchangeAssignmentName -App $IdentityPrincipalId -Role $ExchangeMailRole `
                -CustomResourceScope $ExchangeScopeName | Out-Null
        }
    }

    if (-not $script:IsDryRun) {
        # Exchange caches permissions; a new assignment can take 30 minutes to 2 hours to apply.
        $check = Test-ServicePrincipalAuthorization -Identity $IdentityPrincipalId -Resource $smtp |
            Where-Object { $_.RoleName -eq $ExchangeMailRole }
        if ($check -and $check.InScope) {
            Write-Ok "Test-ServicePrincipalAuthorization: $ExchangeMailRole is in scope for $smtp"
        } else {
            Write-Warning "Test-ServicePrincipalAuthorization does not show $ExchangeMailRole in scope for $smtp yet. Re-run this script later to check."
        }
    }
}

# ---- 3: the admin API app registration ---------------------------------------------------------
if ($CreateAdminApp) {
    Write-Host "`nAdmin API app registration $AdminApiIdentifierUri"
    $adminApp = Get-MgApplication -Filter "identifierUris/any(u:u eq '$AdminApiIdentifierUri')"
    if ($adminApp) {
        Write-Ok "app registration exists (client id $($adminApp.AppId))"
    } else {
        $adminApp = Invoke-Change "create app registration 'Guest email change admin API' with URI $AdminApiIdentifierUri, v2 tokens and scope user_impersonation" {
            New-MgApplication -DisplayName 'Guest email change admin API' -SignInAudience 'AzureADMyOrg' `
                -IdentifierUris @($AdminApiIdentifierUri) -Api @{
                    requestedAccessTokenVersion = 2
                    oauth2PermissionScopes      = @(@{
                            id                      = [guid]::NewGuid().ToString()
                            value                   = 'user_impersonation'
                            type                    = 'Admin'
                            isEnabled               = $true
                            adminConsentDisplayName = 'Use the guest email change admin API'
                            adminConsentDescription = 'Lets the signed-in administrator call the admin API.'
                        })
                }
        }
    }

    if ($adminApp) {
        $roles = @($adminApp.AppRoles)
        if ($roles | Where-Object { $_.Value -eq $AdminRole }) {
            Write-Ok "app role $AdminRole exists"
        } else {
            Invoke-Change "add app role $AdminRole (users and applications)" {
                $newRole = @{
                    id                 = [guid]::NewGuid().ToString()
                    value              = $AdminRole
                    displayName        = 'Guest email change administrator'
                    description        = 'Lists, reads and cancels guest email change requests.'
                    allowedMemberTypes = @('User', 'Application')
                    isEnabled          = $true
                }
                Update-MgApplication -ApplicationId $adminApp.Id -AppRoles (@($roles) + $newRole)
            }
        }

        $scopeId = ($adminApp.Api.Oauth2PermissionScopes | Where-Object { $_.Value -eq 'user_impersonation' }).Id
        $preAuthorized = @($adminApp.Api.PreAuthorizedApplications | Where-Object { $_.AppId -eq $AzureCliAppId })
        if ($adminApp.Api.RequestedAccessTokenVersion -eq 2 -and $scopeId -and $preAuthorized) {
            Write-Ok "v2 tokens, Azure CLI pre-authorized"
        } elseif ($scopeId) {
            Invoke-Change "request v2 tokens and pre-authorize Azure CLI for user_impersonation" {
                # The whole `api` object is sent so that the existing scope is kept.
                Update-MgApplication -ApplicationId $adminApp.Id -Api @{
                    requestedAccessTokenVersion = 2
                    oauth2PermissionScopes      = @($adminApp.Api.Oauth2PermissionScopes)
                    preAuthorizedApplications   = @(@{ appId = $AzureCliAppId; delegatedPermissionIds = @($scopeId) })
                }
            }
        } else {
            Write-Warning "The app registration has no user_impersonation scope; add one to let Azure CLI request admin tokens."
        }

        $adminSp = Get-MgServicePrincipal -Filter "appId eq '$($adminApp.AppId)'"
        if ($adminSp) {
            Write-Ok "service principal exists"
        } else {
            $adminSp = Invoke-Change "create its service principal with assignment required (only assigned admins get tokens)" {
                New-MgServicePrincipal -AppId $adminApp.AppId -AppRoleAssignmentRequired:$true
            }
        }

        $adminRoleId = (Get-MgApplication -ApplicationId $adminApp.Id).AppRoles | Where-Object { $_.Value -eq $AdminRole } | ForEach-Object { $_.Id }
        foreach ($upn in $AdminUsers) {
            $user = Get-MgUser -UserId $upn
            $has = $adminSp -and $adminRoleId -and (Get-MgServicePrincipalAppRoleAssignedTo -ServicePrincipalId $adminSp.Id -All |
                    Where-Object { $_.PrincipalId -eq $user.Id -and $_.AppRoleId -eq $adminRoleId })
            if ($has) {
                Write-Ok "$upn holds $AdminRole"
                continue
            }
            Invoke-Change "assign $AdminRole to $upn" {
                New-MgServicePrincipalAppRoleAssignedTo -ServicePrincipalId $adminSp.Id -PrincipalId $user.Id `
                    -ResourceId $adminSp.Id -AppRoleId $adminRoleId | Out-Null
            }
        }

        # v2 access tokens carry the client id as `aud`: that is the audience the app must check.
        if ($azd['ADMIN_API_AUDIENCE'] -eq $adminApp.AppId) {
            Write-Ok "ADMIN_API_AUDIENCE is $($adminApp.AppId)"
        } elseif (Get-Command azd -ErrorAction SilentlyContinue) {
            Invoke-Change "set ADMIN_API_AUDIENCE=$($adminApp.AppId) in the azd environment (then run 'azd provision')" {
                azd env set ADMIN_API_AUDIENCE $adminApp.AppId
                Write-Host "  Run 'azd provision' to apply ADMIN_API_AUDIENCE to the function app." -ForegroundColor Magenta
            }
        } else {
            Write-Warning "Set the adminApiAudience parameter to $($adminApp.AppId) and redeploy."
        }
    } else {
        Write-Host "  [dry run] would then add app role $AdminRole, pre-authorize Azure CLI, create the service principal, assign $($AdminUsers -join ', ') and set ADMIN_API_AUDIENCE" -ForegroundColor Yellow
    }
}

# ---- 4: the anti-forgery secret ----------------------------------------------------------------
Write-Host "`nKey Vault $KeyVaultName secret $FormSecretName"
$existingSecret = az keyvault secret list --vault-name $KeyVaultName --query "[?name=='$FormSecretName'].id" -o tsv
if ($LASTEXITCODE -ne 0) { throw "Cannot list secrets in ${KeyVaultName}: you need Key Vault Secrets Officer on it (main.bicep grants it to the deployer)." }

if ($existingSecret -and -not $RotateFormSecret) {
    Write-Ok "secret exists"
} else {
    $verb = $existingSecret ? 'rotate' : 'create'
    Invoke-Change "$verb $FormSecretName (48 random bytes, base64url)" {
        $value = [Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(48)).TrimEnd('=').Replace('+', '-').Replace('/', '_')
        # Through a file, so the value never appears on a command line.
        $file = New-TemporaryFile
        try {
            Set-Content -Path $file -Value $value -NoNewline -Encoding utf8NoBOM
            az keyvault secret set --vault-name $KeyVaultName --name $FormSecretName --file $file --encoding utf-8 --output none
            if ($LASTEXITCODE -ne 0) { throw "Setting $FormSecretName failed." }
        } finally {
            Remove-Item $file -Force
        }
        if ($FunctionAppName -and $ResourceGroupName) {
            # Key Vault references are re-read on restart (otherwise within 24 hours).
            az functionapp restart --name $FunctionAppName --resource-group $ResourceGroupName --output none
        }
    }
}

Write-Host "`nDone$($script:IsDryRun ? ' (dry run)' : '')."
