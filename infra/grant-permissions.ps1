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
         The tenant-wide Entra ID Mail.Send permission is NOT granted and is REMOVED if present:
         Exchange adds RBAC grants to Entra grants, so while the Entra Mail.Send consent exists the
         identity can send as every mailbox in the tenant and the scope has no effect.
      2. Mail: Exchange RBAC for Applications. An Exchange service principal for the identity, a
         management scope that matches only the sender mailbox (found by its filter: an existing
         scope with exactly that filter is reused whatever its name; the script's own scope is
         corrected if its filter differs), and the "Application Mail.Send" role assigned with that
         scope. Assignments are found by role and scope, not by name: any other assignment to the
         identity of a role that grants Mail.Send (Application Mail.Send with another scope or none,
         Application Mail Full Access, Application Exchange Full Access) defeats the mailbox scope,
         so the script names it, says how to remove it, and ends with an error until it is gone.
         DESIGN.md's "Mail.Send scoped with Exchange RBAC" means exactly this: the Mail.Send
         permission, granted by Exchange, for one mailbox.
      3. With -CreateAdminApp: the admin API app registration (application ID URI, v2 tokens, the
         GuestReset.Admin app role for users and applications, Azure CLI pre-authorized so that
         `az account get-access-token` works), its service principal with assignment required,
         the role assigned to -AdminUsers, and ADMIN_API_AUDIENCE set in the azd environment.
      4. With -CreateSignInApp: the app registration approvers sign in with (App Service
         Authentication in front of the function app): single tenant, the web redirect URI
         https://<function app host>/.auth/login/aad/callback, ID tokens, its service principal,
         and no client secret: a federated identity credential lets the managed identity stand in
         for one (issuer https://login.microsoftonline.com/<tenant>/v2.0, subject the identity's
         principal id, audience api://AzureADTokenExchange; the app setting
         OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID names the identity). It prints the
         `azd env set APPROVER_SIGN_IN_CLIENT_ID ...` command; `azd provision` then turns
         authentication on. A registration of its own, not the admin API's: that one requires an
         app role assignment, which approvers do not have. The admin console signs in through it
         too, so it also gets the admin role (users only), assigned to -AdminUsers; assignment
         stays optional, so approvers still sign in without a role.
      5. The APPROVAL_FORM_SECRET in Key Vault, created (48 random bytes) when absent, or replaced
         with -RotateFormSecret.

    Entra ID and Exchange Online replicate new objects with a delay: a step that uses a service
    principal, app registration or app role created a moment before is retried with backoff for up
    to two minutes ("waiting for ... to replicate"), then the script stops naming what failed.

    Inputs default to the values `azd up` left in the azd environment (`azd env get-values`).

    Microsoft Graph consent (delegated, for the signed-in administrator; the least each run needs):
      Application.Read.All             always: read Microsoft Graph's app roles, the identity's service
                                       principal and its app role assignments.
      AppRoleAssignment.ReadWrite.All  not in a dry run: grant and remove the identity's Graph
                                       application permissions (and, with -CreateAdminApp or
                                       -CreateSignInApp, assign the admin role to -AdminUsers).
      User.ReadBasic.All               with -CreateAdminApp, or -CreateSignInApp and -AdminUsers:
                                       look up -AdminUsers.
      Application.ReadWrite.All        with -CreateAdminApp or -CreateSignInApp, not in a dry run:
                                       create and update the admin API or sign-in app registration,
                                       its service principal and federated identity credential.

    Roles needed: Privileged Role Administrator or Global Administrator (Graph application
    permissions), Application Administrator (app registration), Exchange Administrator (step 2),
    Key Vault Secrets Officer on the vault (step 5; main.bicep grants it to the deployer).

.NOTES
    Requires PowerShell 7.2 or later (7.4 LTS recommended); the script checks it (#Requires) and
    stops under Windows PowerShell 5.1.
    Requires these modules, checked at start with a message saying how to install what is missing:
      Microsoft.Graph.Authentication, Microsoft.Graph.Applications, Microsoft.Graph.Users
        2.25.0 or later, all three the same version (Connect-MgGraph -NoWelcome needs 2.x);
      ExchangeOnlineManagement 3.0.0 or later (REST-based cmdlets; not needed with -SkipExchange).
    Install-Module Microsoft.Graph.Authentication, Microsoft.Graph.Applications, Microsoft.Graph.Users, ExchangeOnlineManagement -Scope CurrentUser
    Also: Azure CLI (`az`, signed in) for step 4, and azd for the default inputs.

.EXAMPLE
    ./infra/grant-permissions.ps1 -DryRun -CreateAdminApp -AdminUsers alice@contoso.com
.EXAMPLE
    ./infra/grant-permissions.ps1 -CreateAdminApp -AdminUsers alice@contoso.com
.EXAMPLE
    ./infra/grant-permissions.ps1 -CreateSignInApp
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
    [switch]$CreateSignInApp,
    [string]$SignInClientId,
    [string]$FunctionAppUrl,
    [switch]$SkipExchange,
    [switch]$RotateFormSecret,
    [switch]$DryRun
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# Native commands (az, azd) are judged by their exit code, checked after each call with its own message.
$PSNativeCommandUseErrorActionPreference = $false

# Read what the dry run needs to decide, change nothing. -WhatIf is honoured the same way; the
# preference is cleared so that the read-only cmdlets below are not themselves put in what-if mode.
$script:IsDryRun = $DryRun.IsPresent -or $WhatIfPreference
$WhatIfPreference = $false

# The modules and the least versions this script is written against (see .NOTES).
$RequiredModules = [ordered]@{
    'Microsoft.Graph.Authentication' = '2.25.0'
    'Microsoft.Graph.Applications'   = '2.25.0'
    'Microsoft.Graph.Users'          = '2.25.0'
    'ExchangeOnlineManagement'       = '3.0.0'
}

$GraphAppId = '00000003-0000-0000-c000-000000000000'
$AzureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'
# The only Graph application permissions the app needs (the README, section Deploy explains each).
$GraphPermissions = @('User.ReadWrite.All', 'User.Invite.All')
$ExchangeMailRole = 'Application Mail.Send'
# Exchange application roles that include the Mail.Send permission (Microsoft's "Supported Application
# Roles" table for RBAC for Applications): any of them assigned without the mailbox scope defeats it.
$ExchangeMailSendRoles = @($ExchangeMailRole, 'Application Mail Full Access', 'Application Exchange Full Access')
$ExchangeScopeName = 'GuestEmailChange-Sender'
$ExchangeAssignmentName = 'GuestEmailChange-MailSend'
# How long a step waits for something just created to replicate before it gives up.
$ReplicationTimeoutSeconds = 120

# What the lookups below may answer when the object does not exist: Graph's 404 Request_ResourceNotFound,
# Exchange's ManagementObjectNotFoundException ("couldn't be found"). Anything else is a real error.
$NotFoundPattern = 'Request_ResourceNotFound|ResourceNotFound|ManagementObjectNotFound|\(NotFound\)|couldn''t be found|could not be found|wasn''t found|was not found|does not exist|doesn''t exist'
# What Entra ID and Exchange answer while a new object has not replicated yet (not found, plus
# "reference-property objects are not present" and "does not reference a valid application object").
$ReplicationPattern = "$NotFoundPattern|are not present|does not reference a valid application object|NoBackingApplicationObject"

# Problems that leave the setup unsafe; reported at the end, where the script fails if there are any.
$script:Blockers = [System.Collections.Generic.List[string]]::new()

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

function Test-NotFoundError {
    <# True when the error says that the object looked up does not exist; false for every other error. #>
    param([Parameter(Mandatory)][System.Management.Automation.ErrorRecord]$ErrorRecord)
    if ($ErrorRecord.CategoryInfo.Category -eq [System.Management.Automation.ErrorCategory]::ObjectNotFound) { return $true }
    "$($ErrorRecord.FullyQualifiedErrorId) $($ErrorRecord.Exception.Message)" -match $NotFoundPattern
}

function Test-ReplicationError {
    <# True when the error is what Entra ID or Exchange answer about an object that has not replicated yet. #>
    param([Parameter(Mandatory)][System.Management.Automation.ErrorRecord]$ErrorRecord)
    "$($ErrorRecord.FullyQualifiedErrorId) $($ErrorRecord.Exception.Message)" -match $ReplicationPattern
}

function Invoke-WithReplicationRetry {
    <#
    Runs an action that can fail only because something created a moment before has not replicated
    yet. Such failures are retried with backoff (5, 10, 20, 30, 30 ... seconds) for up to
    $ReplicationTimeoutSeconds; any other error ends the script at once, and so does the last
    replication failure, each with what failed and what to do.
    #>
    param(
        [Parameter(Mandatory)][string]$What,
        [Parameter(Mandatory)][string]$WaitingFor,
        [Parameter(Mandatory)][string]$Remedy,
        [Parameter(Mandatory)][scriptblock]$Action
    )
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $delay = 5
    while ($true) {
        try {
            return (& $Action)
        } catch {
            $failure = $_
            if (-not (Test-ReplicationError $failure)) {
                throw "Could not ${What}: $($failure.Exception.Message)"
            }
            $waited = [int]$clock.Elapsed.TotalSeconds
            if ($waited + $delay -gt $ReplicationTimeoutSeconds) {
                throw "Could not ${What}: $WaitingFor has still not replicated after $waited seconds (last error: $($failure.Exception.Message)). $Remedy"
            }
            Write-Host "  waiting for $WaitingFor to replicate (next try in $delay s) ..." -ForegroundColor DarkYellow
            Start-Sleep -Seconds $delay
            $delay = [Math]::Min($delay * 2, 30)
        }
    }
}

function Get-PropertyText($InputObject, [string]$Name) {
    <# A property's value as text, or '' when the object has no such property (strict mode would throw). #>
    if ($null -eq $InputObject) { return '' }
    $property = $InputObject.PSObject.Properties[$Name]
    if ($null -eq $property -or $null -eq $property.Value) { return '' }
    "$($property.Value)"
}

function Get-ObjectKeys($InputObject, [string[]]$Names) {
    <# The non-empty values of the named properties: the ways another object may refer to this one. #>
    @($Names | ForEach-Object { Get-PropertyText $InputObject $_ } | Where-Object { $_ })
}

function Test-CommandAvailable([string]$Name) {
    <# Whether an executable is on PATH; "not found" is the expected no, any other error is thrown. #>
    try {
        $null = Get-Command -Name $Name -CommandType Application -ErrorAction Stop
        $true
    } catch [System.Management.Automation.CommandNotFoundException] {
        $false
    }
}

function Get-AzdValues {
    <# The azd environment's KEY="value" pairs, or nothing when azd is absent. #>
    $values = @{}
    if (-not (Test-CommandAvailable 'azd')) { return $values }
    # azd's error output is captured and shown, not hidden: with no environment selected it says so.
    $output = @(azd env get-values 2>&1)
    if ($LASTEXITCODE -ne 0) {
        $message = ($output | ForEach-Object { "$_" }) -join ' '
        Write-Warning "'azd env get-values' failed (exit code $LASTEXITCODE): $message Inputs must then come from parameters."
        return $values
    }
    foreach ($line in $output) {
        if ("$line" -match '^([A-Za-z_][A-Za-z0-9_]*)="?(.*?)"?$') { $values[$Matches[1]] = $Matches[2] }
    }
    $values
}

function Resolve-Input([string]$Given, [string]$AzdName, [hashtable]$Azd, [string]$Default = '') {
    if ($Given) { return $Given }
    if ($Azd.ContainsKey($AzdName) -and $Azd[$AzdName]) { return $Azd[$AzdName] }
    $Default
}

function ConvertTo-FilterKey([string]$Filter) {
    <# An OPATH filter reduced for comparison: Exchange may re-space, re-quote or bracket what it stores. #>
    ($Filter -replace '[\s()]', '' -replace '"', "'").ToLowerInvariant()
}

# ---- 0: PowerShell modules ------------------------------------------------------------------------
foreach ($module in $RequiredModules.Keys) {
    if ($module -eq 'ExchangeOnlineManagement' -and $SkipExchange) { continue }
    $minimum = [version]$RequiredModules[$module]
    $installed = @(Get-Module -ListAvailable -Name $module)
    if (-not @($installed | Where-Object { $_.Version -ge $minimum })) {
        $found = ($installed | ForEach-Object { "$($_.Version)" }) -join ', '
        if (-not $found) { $found = 'none' }
        throw "PowerShell module $module $minimum or later is required (installed: $found). Run: Install-Module $module -MinimumVersion $minimum -Scope CurrentUser"
    }
    Import-Module $module -MinimumVersion $minimum -ErrorAction Stop
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
$SignInClientId = Resolve-Input $SignInClientId 'APPROVER_SIGN_IN_CLIENT_ID' $azd
$FunctionAppUrl = Resolve-Input $FunctionAppUrl 'AZURE_FUNCTION_URL' $azd

$missing = @(@(
    @{ Name = 'TenantId'; Value = $TenantId },
    @{ Name = 'IdentityPrincipalId'; Value = $IdentityPrincipalId },
    @{ Name = 'IdentityClientId'; Value = $IdentityClientId },
    @{ Name = 'SenderMailbox'; Value = $SenderMailbox },
    @{ Name = 'KeyVaultName'; Value = $KeyVaultName }
) | Where-Object { -not $_.Value } | ForEach-Object { $_.Name })
if ($CreateAdminApp -and -not $AdminApiIdentifierUri) { $missing += 'AdminApiIdentifierUri' }
if ($CreateSignInApp -and -not ($FunctionAppUrl -and $FunctionAppName)) { $missing += 'FunctionAppUrl and FunctionAppName' }
if ($missing) {
    throw "Missing input: $($missing -join ', '). Run 'azd up' first (its outputs feed this script) or pass them as parameters."
}

Write-Host ($script:IsDryRun ? 'DRY RUN: nothing will be changed.' : 'Applying changes.') -ForegroundColor Magenta
Write-Host "Tenant $TenantId, identity $IdentityClientId (object $IdentityPrincipalId), sender $SenderMailbox"

# Microsoft Graph delegated scopes: built here only, the least this run needs (Microsoft Graph API
# reference, "Permissions" of each call; see also the help above).
#   Application.Read.All: read service principals and their app roles, and list a service principal's
#     appRoleAssignments / appRoleAssignedTo (least privileged for those reads).
#   AppRoleAssignment.ReadWrite.All: POST .../appRoleAssignments and .../appRoleAssignedTo need it
#     together with Application.Read.All; DELETE .../appRoleAssignments needs it alone.
#   User.ReadBasic.All: GET /users/{upn} for -AdminUsers (id and userPrincipalName are basic properties),
#     with -CreateAdminApp, or -CreateSignInApp (the console's role on the sign-in app).
#   Application.ReadWrite.All: POST /applications, PATCH /applications/{id}, POST /servicePrincipals,
#     POST /applications/{id}/federatedIdentityCredentials (the admin API or sign-in app
#     registration), so only when this run creates or updates one.
$graphScopes = @('Application.Read.All')
if (-not $script:IsDryRun) { $graphScopes += 'AppRoleAssignment.ReadWrite.All' }
if ($CreateAdminApp -or ($CreateSignInApp -and $AdminUsers.Count -gt 0)) { $graphScopes += 'User.ReadBasic.All' }
if (($CreateAdminApp -or $CreateSignInApp) -and -not $script:IsDryRun) { $graphScopes += 'Application.ReadWrite.All' }
Write-Host "Microsoft Graph consent requested: $($graphScopes -join ', ')"
Connect-MgGraph -TenantId $TenantId -Scopes $graphScopes -NoWelcome

# ---- 1: Graph application permissions on the identity, and no tenant-wide Mail.Send -------------
Write-Host "`nMicrosoft Graph application permissions"
$graphSp = Get-MgServicePrincipal -Filter "appId eq '$GraphAppId'"
if (-not $graphSp) { throw "Microsoft Graph's service principal ($GraphAppId) was not found in tenant $TenantId." }
$identitySp = Invoke-WithReplicationRetry -What "read the managed identity's service principal $IdentityPrincipalId" `
    -WaitingFor "the managed identity's service principal" `
    -Remedy "Check that AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID is the principal (object) id of the identity 'azd up' created, in tenant $TenantId." `
    -Action { Get-MgServicePrincipal -ServicePrincipalId $IdentityPrincipalId }
if ($identitySp.AppId -ne $IdentityClientId) {
    throw "Service principal $IdentityPrincipalId has client id $($identitySp.AppId), not ${IdentityClientId}: AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID and AZURE_FUNCTION_IDENTITY_CLIENT_ID must be the same managed identity."
}
$assigned = @(Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $identitySp.Id -All |
        Where-Object { $_.ResourceId -eq $graphSp.Id })

function Add-AppRoleIfMissing {
    # The admin role ($AdminRole) on an app registration: the admin API's (users and applications
    # call it) or the sign-in app's (the admin console's role arrives in the ID token of a user).
    param([Parameter(Mandatory)] $App, [Parameter(Mandatory)][string[]]$MemberTypes, [Parameter(Mandatory)][string]$Remedy)
    $roles = @($App.AppRoles)
    if ($roles | Where-Object { $_.Value -eq $AdminRole }) {
        Write-Ok "app role $AdminRole exists"
        return
    }
    Invoke-Change "add app role $AdminRole ($($MemberTypes -join ' and '))" {
        $newRole = @{
            id                 = [guid]::NewGuid().ToString()
            value              = $AdminRole
            displayName        = 'Guest email change administrator'
            description        = 'Lists, reads and acts on guest email change requests.'
            allowedMemberTypes = @($MemberTypes)
            isEnabled          = $true
        }
        Invoke-WithReplicationRetry -What "add app role $AdminRole" -WaitingFor 'the new app registration' `
            -Remedy $Remedy `
            -Action { Update-MgApplication -ApplicationId $App.Id -AppRoles (@($roles) + $newRole) }
    }
}

function Grant-AppRoleToUsers {
    # Assigns $AdminRole of the app registration to each user, on its service principal.
    param(
        [Parameter(Mandatory)] $App,
        $ServicePrincipal,
        [bool]$ServicePrincipalIsNew,
        [string[]]$Users = @(),
        [Parameter(Mandatory)][string]$Remedy,
        [Parameter(Mandatory)][string]$Registration
    )
    if ($Users.Count -eq 0) { return }
    if ($script:IsDryRun) {
        $roleId = @($App.AppRoles | Where-Object { $_.Value -eq $AdminRole } | ForEach-Object { $_.Id }) | Select-Object -First 1
    } else {
        # Read back until the role added before is visible: a stale replica would not show it yet.
        $roleId = Invoke-WithReplicationRetry -What "read app role $AdminRole" -WaitingFor "app role $AdminRole" `
            -Remedy $Remedy `
            -Action {
            $id = (Get-MgApplication -ApplicationId $App.Id).AppRoles | Where-Object { $_.Value -eq $AdminRole } |
                ForEach-Object { $_.Id } | Select-Object -First 1
            if (-not $id) { throw "App role $AdminRole was not found on the app registration yet." }
            $id
        }
    }
    foreach ($upn in $Users) {
        $user = $null
        try {
            $user = Get-MgUser -UserId $upn -Property 'Id', 'UserPrincipalName' -ErrorAction Stop
        } catch {
            if (-not (Test-NotFoundError $_)) { throw }
        }
        if (-not $user) { throw "-AdminUsers: no user $upn in tenant $TenantId." }
        $has = $ServicePrincipal -and $roleId -and -not $ServicePrincipalIsNew -and (Get-MgServicePrincipalAppRoleAssignedTo -ServicePrincipalId $ServicePrincipal.Id -All |
                Where-Object { $_.PrincipalId -eq $user.Id -and $_.AppRoleId -eq $roleId })
        if ($has) {
            Write-Ok "$upn holds $AdminRole on $Registration"
            continue
        }
        Invoke-Change "assign $AdminRole on $Registration to $upn" {
            Invoke-WithReplicationRetry -What "assign $AdminRole to $upn" -WaitingFor "the $Registration service principal and its app role" `
                -Remedy $Remedy `
                -Action {
                New-MgServicePrincipalAppRoleAssignedTo -ServicePrincipalId $ServicePrincipal.Id -PrincipalId $user.Id `
                    -ResourceId $ServicePrincipal.Id -AppRoleId $roleId | Out-Null
            }
        }
    }
}

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
        Invoke-WithReplicationRetry -What "grant $permission to the managed identity" `
            -WaitingFor "the managed identity's service principal" `
            -Remedy 'Run the script again in a few minutes.' `
            -Action {
            New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $identitySp.Id -PrincipalId $identitySp.Id `
                -ResourceId $graphSp.Id -AppRoleId $role.Id | Out-Null
        }
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

    $mailbox = $null
    try {
        $mailbox = Get-EXOMailbox -Identity $SenderMailbox -ErrorAction Stop
    } catch {
        # Not found is the expected "no" (handled below); permissions, throttling or network are not.
        if (-not (Test-NotFoundError $_)) { throw }
    }
    if (-not $mailbox) {
        throw "$SenderMailbox is not an Exchange Online mailbox. MAIL_SENDER must be one (a shared mailbox works)."
    }
    $smtp = "$($mailbox.PrimarySmtpAddress)"
    $smtpLiteral = $smtp -replace "'", "''"
    $filter = "PrimarySmtpAddress -eq '$smtpLiteral'"

    # The Exchange service principal: a pointer to the identity's Entra service principal. Listed and
    # filtered here, because Get-ServicePrincipal -Identity with an unknown value returns every one.
    $exchangeSps = @(Get-ServicePrincipal -ErrorAction Stop)
    $exchangeSp = $exchangeSps | Where-Object { (Get-PropertyText $_ 'AppId') -eq $IdentityClientId } | Select-Object -First 1
    if ($exchangeSp) {
        Write-Ok "Exchange service principal exists"
    } else {
        Invoke-Change "create the Exchange service principal for $($identitySp.DisplayName)" {
            Invoke-WithReplicationRetry -What 'create the Exchange service principal (New-ServicePrincipal)' `
                -WaitingFor "the managed identity's service principal ($IdentityPrincipalId) in Exchange Online" `
                -Remedy 'Run the script again in a few minutes; Exchange Online picks up new Entra service principals with a delay.' `
                -Action {
                New-ServicePrincipal -AppId $IdentityClientId -ObjectId $IdentityPrincipalId -DisplayName $identitySp.DisplayName | Out-Null
            }
        }
    }

    # The management scope, found by its filter: any regular scope that matches exactly the sender counts.
    $wantedFilterKey = ConvertTo-FilterKey $filter
    $allScopes = @(Get-ManagementScope -ErrorAction Stop)
    $matchingScopes = @($allScopes | Where-Object {
            (Get-PropertyText $_ 'Exclusive') -ne 'True' -and (ConvertTo-FilterKey (Get-PropertyText $_ 'RecipientFilter')) -eq $wantedFilterKey
        })
    $ownScope = $allScopes | Where-Object { (Get-PropertyText $_ 'Name') -eq $ExchangeScopeName } | Select-Object -First 1
    $ownScopeMatches = @($matchingScopes | Where-Object { (Get-PropertyText $_ 'Name') -eq $ExchangeScopeName }).Count -gt 0
    $scopeName = $ExchangeScopeName
    if ($ownScopeMatches) {
        Write-Ok "management scope $ExchangeScopeName matches only $smtp"
    } elseif ($matchingScopes) {
        $scopeName = Get-PropertyText $matchingScopes[0] 'Name'
        Write-Ok "management scope $scopeName already matches only $smtp ($(Get-PropertyText $matchingScopes[0] 'RecipientFilter')): using it"
    } elseif ($ownScope) {
        Invoke-Change "point management scope $ExchangeScopeName at $smtp (was: $(Get-PropertyText $ownScope 'RecipientFilter'); this changes every role assignment that uses it)" {
            Set-ManagementScope -Identity $ExchangeScopeName -RecipientRestrictionFilter $filter
        }
        $matchingScopes = @($ownScope)
    } else {
        Invoke-Change "create management scope $ExchangeScopeName ($filter)" {
            New-ManagementScope -Name $ExchangeScopeName -RecipientRestrictionFilter $filter | Out-Null
        }
    }
    # The names an assignment may show in CustomResourceScope for a scope that matches only the sender.
    $scopeKeys = @(@($scopeName) + @($matchingScopes | ForEach-Object { Get-ObjectKeys $_ @('Name', 'Identity', 'Guid', 'DistinguishedName') }))

    # The identity's Mail.Send role assignments, found by role and assignee, never by name: Exchange
    # lists an app's assignee by the service principal's object id (RoleAssigneeName).
    $assigneeKeys = @($IdentityPrincipalId, $IdentityClientId) + @(Get-ObjectKeys $exchangeSp @('ObjectId', 'AppId', 'Name', 'Identity'))
    $exchangeSpName = Get-PropertyText $exchangeSp 'DisplayName'
    if ($exchangeSpName -and @($exchangeSps | Where-Object { (Get-PropertyText $_ 'DisplayName') -eq $exchangeSpName }).Count -eq 1) {
        $assigneeKeys += $exchangeSpName
    }
    $availableRoles = @(Get-ManagementRole -ErrorAction Stop | ForEach-Object { Get-PropertyText $_ 'Name' })
    if ($availableRoles -notcontains $ExchangeMailRole) {
        throw "Exchange Online shows no role '$ExchangeMailRole': sign in as an Exchange Administrator (Organization Management) of tenant $TenantId."
    }
    $mailAssignments = @(foreach ($roleName in @($ExchangeMailSendRoles | Where-Object { $availableRoles -contains $_ })) {
            Get-ManagementRoleAssignment -Role $roleName -ErrorAction Stop | Where-Object {
                $assignee = @((Get-PropertyText $_ 'RoleAssigneeName'), (Get-PropertyText $_ 'RoleAssignee')) | Where-Object { $_ }
                @($assignee | Where-Object { $assigneeKeys -contains $_ }).Count -gt 0
            }
        })

    $scopedAssignment = $null
    $otherAssignments = [System.Collections.Generic.List[object]]::new()
    foreach ($assignment in $mailAssignments) {
        $assignmentName = Get-PropertyText $assignment 'Name'
        if ((Get-PropertyText $assignment 'Enabled') -eq 'False') {
            Write-Host "  note: role assignment $assignmentName is disabled and grants nothing" -ForegroundColor DarkYellow
            continue
        }
        $sameRole = (Get-PropertyText $assignment 'Role') -eq $ExchangeMailRole
        $sameScope = ($scopeKeys -contains (Get-PropertyText $assignment 'CustomResourceScope')) -and
            -not (Get-PropertyText $assignment 'RecipientAdministrativeUnitScope') -and
            -not (Get-PropertyText $assignment 'RecipientGroupScope')
        if ($sameRole -and $sameScope -and -not $scopedAssignment) {
            $scopedAssignment = $assignment
        } elseif (-not ($sameRole -and $sameScope)) {
            $otherAssignments.Add($assignment)
        }
    }

    if ($scopedAssignment) {
        Write-Ok "role assignment $(Get-PropertyText $scopedAssignment 'Name') gives '$ExchangeMailRole' with scope $(Get-PropertyText $scopedAssignment 'CustomResourceScope')"
    } else {
        $ownAssignment = $otherAssignments | Where-Object {
            (Get-PropertyText $_ 'Name') -eq $ExchangeAssignmentName -and (Get-PropertyText $_ 'Role') -eq $ExchangeMailRole
        } | Select-Object -First 1
        if ($ownAssignment) {
            # This script's own assignment with another scope: put the scope right instead of adding one.
            $otherAssignments = @($otherAssignments | Where-Object { (Get-PropertyText $_ 'Name') -ne $ExchangeAssignmentName })
            Invoke-Change "set the scope of role assignment $ExchangeAssignmentName to $scopeName (was: $(Get-PropertyText $ownAssignment 'CustomResourceScope'))" {
                Invoke-WithReplicationRetry -What "set the scope of role assignment $ExchangeAssignmentName" `
                    -WaitingFor "management scope $scopeName" `
                    -Remedy 'Run the script again in a few minutes.' `
                    -Action { Set-ManagementRoleAssignment -Identity $ExchangeAssignmentName -CustomResourceScope $scopeName }
            }
        } else {
            Invoke-Change "assign '$ExchangeMailRole' to the identity with scope $scopeName" {
                Invoke-WithReplicationRetry -What "assign '$ExchangeMailRole' (New-ManagementRoleAssignment)" `
                    -WaitingFor 'the new Exchange service principal and management scope' `
                    -Remedy 'Run the script again in a few minutes; nothing else needs undoing.' `
                    -Action {
                    New-ManagementRoleAssignment -Name $ExchangeAssignmentName -App $IdentityPrincipalId -Role $ExchangeMailRole `
                        -CustomResourceScope $scopeName | Out-Null
                }
            }
        }
    }

    # Exchange adds grants up: one assignment without the mailbox scope lets the app send as anyone.
    foreach ($assignment in $otherAssignments) {
        $assignmentName = Get-PropertyText $assignment 'Name'
        $assignmentScope = Get-PropertyText $assignment 'CustomResourceScope'
        foreach ($property in @('RecipientAdministrativeUnitScope', 'RecipientGroupScope')) {
            if (Get-PropertyText $assignment $property) { $assignmentScope = "$property $(Get-PropertyText $assignment $property)" }
        }
        $scopeText = $assignmentScope ? "scope $assignmentScope" : 'no scope (every mailbox)'
        $problem = "Exchange role assignment '$assignmentName' gives the identity '$(Get-PropertyText $assignment 'Role')' with $scopeText, which defeats the scope to $smtp. Remove it: Remove-ManagementRoleAssignment -Identity '$assignmentName'"
        Write-Warning $problem
        $script:Blockers.Add($problem)
    }

    if (-not $script:IsDryRun) {
        # Exchange caches permissions; a new assignment can take 30 minutes to 2 hours to apply.
        # Test-ServicePrincipalAuthorization bypasses that cache.
        $check = Invoke-WithReplicationRetry -What 'run Test-ServicePrincipalAuthorization' `
            -WaitingFor 'the Exchange service principal' `
            -Remedy 'Run the script again in a few minutes to check.' `
            -Action { Test-ServicePrincipalAuthorization -Identity $IdentityPrincipalId -Resource $smtp } |
            Where-Object { (Get-PropertyText $_ 'RoleName') -eq $ExchangeMailRole -and (Get-PropertyText $_ 'InScope') -eq 'True' }
        if ($check) {
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
        $replicationRemedy = "Run the script again in a few minutes; it picks up the app registration $AdminApiIdentifierUri where it stopped."
        Add-AppRoleIfMissing -App $adminApp -MemberTypes @('User', 'Application') -Remedy $replicationRemedy
        $scopeId = ($adminApp.Api.Oauth2PermissionScopes | Where-Object { $_.Value -eq 'user_impersonation' }).Id
        $preAuthorized = @($adminApp.Api.PreAuthorizedApplications | Where-Object { $_.AppId -eq $AzureCliAppId })
        if ($adminApp.Api.RequestedAccessTokenVersion -eq 2 -and $scopeId -and $preAuthorized) {
            Write-Ok "v2 tokens, Azure CLI pre-authorized"
        } elseif ($scopeId) {
            Invoke-Change "request v2 tokens and pre-authorize Azure CLI for user_impersonation" {
                # The whole `api` object is sent so that the existing scope is kept.
                Invoke-WithReplicationRetry -What 'pre-authorize Azure CLI' -WaitingFor 'the new app registration' `
                    -Remedy $replicationRemedy `
                    -Action {
                    Update-MgApplication -ApplicationId $adminApp.Id -Api @{
                        requestedAccessTokenVersion = 2
                        oauth2PermissionScopes      = @($adminApp.Api.Oauth2PermissionScopes)
                        preAuthorizedApplications   = @(@{ appId = $AzureCliAppId; delegatedPermissionIds = @($scopeId) })
                    }
                }
            }
        } else {
            Write-Warning "The app registration has no user_impersonation scope; add one to let Azure CLI request admin tokens."
        }

        $adminSp = Get-MgServicePrincipal -Filter "appId eq '$($adminApp.AppId)'"
        $adminSpIsNew = -not $adminSp
        if ($adminSp) {
            Write-Ok "service principal exists"
        } else {
            $adminSp = Invoke-Change "create its service principal with assignment required (only assigned admins get tokens)" {
                Invoke-WithReplicationRetry -What 'create the admin API service principal' -WaitingFor 'the new app registration' `
                    -Remedy $replicationRemedy `
                    -Action { New-MgServicePrincipal -AppId $adminApp.AppId -AppRoleAssignmentRequired:$true }
            }
        }

        Grant-AppRoleToUsers -App $adminApp -ServicePrincipal $adminSp -ServicePrincipalIsNew $adminSpIsNew -Users $AdminUsers -Remedy $replicationRemedy `
            -Registration 'the admin API'

        # v2 access tokens carry the client id as `aud`: that is the audience the app must check.
        if ($azd['ADMIN_API_AUDIENCE'] -eq $adminApp.AppId) {
            Write-Ok "ADMIN_API_AUDIENCE is $($adminApp.AppId)"
        } elseif (Test-CommandAvailable 'azd') {
            Invoke-Change "set ADMIN_API_AUDIENCE=$($adminApp.AppId) in the azd environment (then run 'azd provision')" {
                azd env set ADMIN_API_AUDIENCE $adminApp.AppId
                if ($LASTEXITCODE -ne 0) { throw "'azd env set ADMIN_API_AUDIENCE' failed (exit code $LASTEXITCODE): set it by hand to $($adminApp.AppId)." }
                Write-Host "  Run 'azd provision' to apply ADMIN_API_AUDIENCE to the function app." -ForegroundColor Magenta
            }
        } else {
            Write-Warning "Set the adminApiAudience parameter to $($adminApp.AppId) and redeploy."
        }
    } else {
        Write-Host "  [dry run] would then add app role $AdminRole, pre-authorize Azure CLI, create the service principal, assign $($AdminUsers -join ', ') and set ADMIN_API_AUDIENCE" -ForegroundColor Yellow
    }
}

# ---- 4: the approver sign-in app registration (App Service Authentication) ---------------------
if ($CreateSignInApp) {
    $callbackUri = "https://$(([Uri]$FunctionAppUrl).Host)/.auth/login/aad/callback"
    $signInIssuer = "https://login.microsoftonline.com/$TenantId/v2.0"
    $tokenExchangeAudience = 'api://AzureADTokenExchange'
    $signInAppName = "Guest email change approver sign-in ($FunctionAppName)"
    $credentialName = 'function-app-managed-identity'
    Write-Host "`nApprover sign-in app registration '$signInAppName'"

    if ($SignInClientId) {
        $signInApp = Get-MgApplication -Filter "appId eq '$SignInClientId'"
        if (-not $signInApp) {
            throw "APPROVER_SIGN_IN_CLIENT_ID is $SignInClientId, but tenant $TenantId has no app registration with that client id. Clear it (azd env set APPROVER_SIGN_IN_CLIENT_ID '') to create one."
        }
    } else {
        $named = @(Get-MgApplication -Filter "displayName eq '$($signInAppName -replace "'", "''")'")
        if ($named.Count -gt 1) {
            throw "Several app registrations are named '$signInAppName' ($(($named | ForEach-Object { $_.AppId }) -join ', ')): pass the one to use as -SignInClientId."
        }
        $signInApp = $named | Select-Object -First 1
    }
    $web = @{ redirectUris = @($callbackUri); implicitGrantSettings = @{ enableIdTokenIssuance = $true } }
    if ($signInApp) {
        Write-Ok "app registration exists (client id $($signInApp.AppId))"
    } else {
        $signInApp = Invoke-Change "create app registration '$signInAppName' (single tenant, redirect URI $callbackUri, ID tokens)" {
            New-MgApplication -DisplayName $signInAppName -SignInAudience 'AzureADMyOrg' -Web $web
        }
    }

    if ($signInApp) {
        $replicationRemedy = "Run the script again in a few minutes; it picks up the app registration $($signInApp.AppId) where it stopped."
        $redirectUris = @($signInApp.Web.RedirectUris)
        $idTokens = (Get-PropertyText $signInApp.Web.ImplicitGrantSettings 'EnableIdTokenIssuance') -eq 'True'
        if ($redirectUris -contains $callbackUri -and $idTokens) {
            Write-Ok "redirect URI $callbackUri, ID tokens issued"
        } else {
            Invoke-Change "add redirect URI $callbackUri and issue ID tokens" {
                $web.redirectUris = @(@($redirectUris) + $callbackUri | Select-Object -Unique)
                Invoke-WithReplicationRetry -What 'set the redirect URI and ID tokens' -WaitingFor 'the new app registration' `
                    -Remedy $replicationRemedy `
                    -Action { Update-MgApplication -ApplicationId $signInApp.Id -Web $web }
            }
        }

        $signInSp = Get-MgServicePrincipal -Filter "appId eq '$($signInApp.AppId)'"
        $signInSpIsNew = -not $signInSp
        if ($signInSp) {
            Write-Ok "service principal exists"
        } else {
            # Assignment stays optional: every approver must be able to sign in.
            $signInSp = Invoke-Change "create its service principal (approvers and admins sign in to it)" {
                Invoke-WithReplicationRetry -What 'create the sign-in service principal' -WaitingFor 'the new app registration' `
                    -Remedy $replicationRemedy `
                    -Action { New-MgServicePrincipal -AppId $signInApp.AppId }
            }
        }

        # The admin console signs in through this registration too: its role must be defined here,
        # and held by the admins, to reach the app in their ID token.
        Add-AppRoleIfMissing -App $signInApp -MemberTypes @('User') -Remedy $replicationRemedy
        Grant-AppRoleToUsers -App $signInApp -ServicePrincipal $signInSp -ServicePrincipalIsNew $signInSpIsNew -Users $AdminUsers -Remedy $replicationRemedy `
            -Registration 'the sign-in app'

        # Secretless: the platform signs its token requests with the managed identity's token,
        # which this credential lets stand for the app registration.
        $credentials = @(Invoke-WithReplicationRetry -What 'read the federated identity credentials' -WaitingFor 'the new app registration' `
                -Remedy $replicationRemedy `
                -Action { Get-MgApplicationFederatedIdentityCredential -ApplicationId $signInApp.Id -All })
        $trust = $credentials | Where-Object {
            $_.Issuer -eq $signInIssuer -and $_.Subject -eq $IdentityPrincipalId -and @($_.Audiences) -contains $tokenExchangeAudience
        }
        if ($trust) {
            Write-Ok "federated identity credential trusts the managed identity $IdentityPrincipalId"
        } elseif ($credentials | Where-Object { $_.Name -eq $credentialName }) {
            throw "The federated identity credential '$credentialName' of app registration $($signInApp.AppId) trusts something else. Remove it in the portal (Certificates & secrets) and run the script again."
        } else {
            Invoke-Change "add federated identity credential '$credentialName' (issuer $signInIssuer, subject $IdentityPrincipalId, audience $tokenExchangeAudience)" {
                Invoke-WithReplicationRetry -What 'add the federated identity credential' -WaitingFor 'the new app registration' `
                    -Remedy $replicationRemedy `
                    -Action {
                    New-MgApplicationFederatedIdentityCredential -ApplicationId $signInApp.Id -BodyParameter @{
                        name        = $credentialName
                        issuer      = $signInIssuer
                        subject     = $IdentityPrincipalId
                        audiences   = @($tokenExchangeAudience)
                        description = 'The function app signs approvers in with its user-assigned managed identity instead of a client secret.'
                    } | Out-Null
                }
            }
        }

        if ($azd['APPROVER_SIGN_IN_CLIENT_ID'] -eq $signInApp.AppId) {
            Write-Ok "APPROVER_SIGN_IN_CLIENT_ID is $($signInApp.AppId)"
        } else {
            Write-Host "  Turn approver sign-in on: azd env set APPROVER_SIGN_IN_CLIENT_ID $($signInApp.AppId); azd provision" -ForegroundColor Magenta
        }
    } else {
        Write-Host "  [dry run] would then create its service principal, add the federated identity credential for the managed identity and print the azd env set APPROVER_SIGN_IN_CLIENT_ID command" -ForegroundColor Yellow
    }
}

# ---- 5: the anti-forgery secret ----------------------------------------------------------------
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
            if ($LASTEXITCODE -ne 0) {
                Write-Warning "Restarting $FunctionAppName failed (exit code $LASTEXITCODE): restart it yourself, or the app reads the new secret within 24 hours."
            }
        }
    }
}

if ($script:Blockers.Count -gt 0) {
    throw "Not done: $($script:Blockers.Count) problem(s) leave the mail scope open.`n - $($script:Blockers -join "`n - ")"
}

Write-Host "`nDone$($script:IsDryRun ? ' (dry run)' : '')."
