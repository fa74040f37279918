import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { SETTING_NAMES } from '../../src/config/settings.js';

/**
 * Bicep cannot be compiled here (no Bicep CLI): bicepSyntax.test.ts parses every file, and these
 * checks read the files as text and hold them to the decisions of DESIGN.md §8: identity-only
 * storage, Node 22 on Flex Consumption in a region that offers it, deterministic role assignment
 * names, a vault name that survives `azd down`, the optional private network, and the azd layout.
 */

const repoRoot = path.resolve(__dirname, '../..');
const readRepoFile = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

const main = readRepoFile('infra/main.bicep');
const api = readRepoFile('infra/app/api.bicep');
const rbac = readRepoFile('infra/app/rbac.bicep');
const vnet = readRepoFile('infra/app/vnet.bicep');
const privateEndpoints = readRepoFile('infra/app/privateEndpoints.bicep');
const abbreviations = JSON.parse(readRepoFile('infra/abbreviations.json')) as Record<string, string>;
const bicepFiles = ['infra/main.bicep', ...readdirSync(path.join(repoRoot, 'infra/app')).filter((f) => f.endsWith('.bicep')).map((f) => `infra/app/${f}`)];

/** azd variables that configure infra features and are not app settings. */
const INFRA_SWITCHES = ['VNET_ENABLED', 'APPROVER_SIGN_IN_CLIENT_ID'];

/** The declaration of `param <name>` with the decorators above it (a block ends at a blank line). */
function paramDeclaration(bicep: string, name: string): string {
  const block = bicep.split(/\n\s*\n/).find((b) => new RegExp(`^param ${name} `, 'm').test(b));
  if (!block) throw new Error(`no param ${name}`);
  return block;
}

/** The `params: { ... }` text of the module whose reference starts with `reference`. */
function moduleParams(bicep: string, reference: string): string {
  const start = bicep.indexOf(`'${reference}`);
  if (start < 0) throw new Error(`no module ${reference}`);
  const end = bicep.indexOf('\n}\n', start);
  return bicep.slice(start, end);
}

describe('azd layout', () => {
  test('azure.yaml has one api service hosted as a TypeScript function app from the root', () => {
    const yaml = readRepoFile('azure.yaml');
    const services = yaml.slice(yaml.indexOf('\nservices:'));
    expect(services).toMatch(/\n {2}api:\n(?: {4}\S.*\n)+/);
    expect(services).toMatch(/\n {4}host: function\n/);
    expect(services).toMatch(/\n {4}language: ts\n/);
    expect(services).toMatch(/\n {4}project: \.\n/);
    expect(services.match(/\n {2}\S+:\n/g)).toHaveLength(1);
  });

  test('main.bicep deploys at subscription scope with a resource token and azd tags', () => {
    expect(main).toMatch(/^targetScope = 'subscription'$/m);
    expect(main).toContain("var abbrs = loadJsonContent('./abbreviations.json')");
    expect(main).toContain('var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))');
    expect(main).toContain("var tags = { 'azd-env-name': environmentName }");
    expect(main).toMatch(/resource rg 'Microsoft\.Resources\/resourceGroups@[\d-]+' = \{/);
  });

  test('every abbreviation used exists in abbreviations.json', () => {
    const used = [...main.matchAll(/abbrs\.(\w+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((k) => !(k in abbreviations))).toEqual([]);
  });

  test('location is limited to regions that offer Flex Consumption', () => {
    const allowed = /@allowed\(\[([^\]]*)\]\)/.exec(paramDeclaration(main, 'location'))?.[1].match(/'[a-z0-9]+'/g) ?? [];
    expect(allowed.length).toBeGreaterThan(10);
    expect(allowed).toEqual(expect.arrayContaining(["'eastus'", "'westeurope'", "'swedencentral'"]));
    expect(new Set(allowed).size).toBe(allowed.length);
  });

  test('main.parameters.json and main.bicep agree on parameter names', () => {
    const parameters = Object.keys((JSON.parse(readRepoFile('infra/main.parameters.json')) as { parameters: object }).parameters);
    const declared = [...main.matchAll(/^param (\w+) /gm)].map((m) => m[1]);
    const required = [...main.matchAll(/^param (\w+) [\w.]+$/gm)].map((m) => m[1]);
    expect(parameters.filter((p) => !declared.includes(p))).toEqual([]);
    expect(required.filter((p) => !parameters.includes(p))).toEqual([]);
  });

  test('azd variables in main.parameters.json are azd\'s own, named after app settings, or infra switches', () => {
    const variables = [...readRepoFile('infra/main.parameters.json').matchAll(/\$\{(\w+)/g)].map((m) => m[1]);
    const settingNames: readonly string[] = SETTING_NAMES;
    expect(variables.filter((v) => !v.startsWith('AZURE_') && !settingNames.includes(v) && !INFRA_SWITCHES.includes(v))).toEqual([]);
  });

  test('modules come from Azure Verified Modules pinned to a version, or from infra/app', () => {
    const references = bicepFiles.flatMap((f) => [...readRepoFile(f).matchAll(/^module \w+ '([^']+)'/gm)].map((m) => m[1]));
    expect(references.length).toBeGreaterThan(5);
    expect(references.filter((r) => !/^br\/public:avm\/res\/[\w/-]+:\d+\.\d+\.\d+$/.test(r) && !/^app\/\w+\.bicep$/.test(r))).toEqual([]);
  });
});

describe('function app', () => {
  test('runs Node 22 on a Flex Consumption (FC1) plan', () => {
    expect(moduleParams(main, 'br/public:avm/res/web/serverfarm')).toMatch(/name: 'FC1'\s+tier: 'FlexConsumption'/);
    expect(api).toMatch(/runtime: \{\s+name: 'node'\s+version: '22'\s+\}/);
    expect(api).toContain("kind: 'functionapp,linux'");
  });

  test('is tagged for azd and uses only the user-assigned identity', () => {
    expect(api).toContain("param serviceName string = 'api'");
    expect(api).toContain("tags: union(tags, { 'azd-service-name': serviceName })");
    expect(api).toMatch(/systemAssigned: false\s+userAssignedResourceIds: \[\s+identityId\s+\]/);
    expect(api).toContain('keyVaultAccessIdentityResourceId: identityId');
    expect(api).toMatch(/authentication: \{\s+type: 'UserAssignedIdentity'\s+userAssignedIdentityResourceId: identityId/);
  });
});

describe('approver sign-in (App Service Authentication)', () => {
  const authSettings = api.slice(api.indexOf("resource authSettings 'Microsoft.Web/sites/config@"), api.indexOf('\noutput '));

  test('authsettingsV2 is configured once a sign-in client id is given', () => {
    expect(authSettings).toMatch(/^resource authSettings 'Microsoft\.Web\/sites\/config@[\d-]+' = if \(!empty\(approverSignInClientId\)\) \{\n {2}parent: site\n {2}name: 'authsettingsV2'$/m);
    expect(authSettings).toMatch(/platform: \{\s+enabled: true\s+\}/);
    expect(main).toMatch(/^ {4}approverSignInClientId: approverSignInClientId$/m);
    expect(readRepoFile('infra/main.parameters.json')).toContain('"approverSignInClientId": { "value": "${APPROVER_SIGN_IN_CLIENT_ID}" }');
  });

  test('anonymous requests still reach the app: the form and the approval page that offers sign-in', () => {
    expect(authSettings).toMatch(/globalValidation: \{\s+requireAuthentication: false\s+unauthenticatedClientAction: 'AllowAnonymous'\s+\}/);
  });

  test('Entra ID of the tenant, secretless through the managed identity, no token store', () => {
    expect(authSettings).toMatch(/registration: \{\s+clientId: approverSignInClientId\s+clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'\s+openIdIssuer: 'https:\/\/login\.microsoftonline\.com\/\$\{adminTenantId\}\/v2\.0'\s+\}/);
    expect(api).toMatch(/^ {2}OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId$/m);
    expect(authSettings).toMatch(/tokenStore: \{\s+enabled: false\s+\}/);
    expect(authSettings).not.toMatch(/clientSecret(?!SettingName)/);
  });
});

describe('storage, monitoring and vault', () => {
  test('storage allows no shared keys, no public blobs and nothing below TLS 1.2', () => {
    const storage = moduleParams(main, 'br/public:avm/res/storage/storage-account');
    expect(storage).toMatch(/^\s+allowSharedKeyAccess: false$/m);
    expect(storage).toMatch(/^\s+minimumTlsVersion: 'TLS1_2'$/m);
    expect(storage).toMatch(/^\s+allowBlobPublicAccess: false$/m);
  });

  test('Application Insights refuses instrumentation-key ingestion and writes to Log Analytics', () => {
    const insights = moduleParams(main, 'br/public:avm/res/insights/component');
    expect(insights).toMatch(/^\s+disableLocalAuth: true$/m);
    expect(insights).toContain('workspaceResourceId: logAnalytics.outputs.resourceId');
  });

  test('Key Vault authorizes with Azure RBAC', () => {
    expect(moduleParams(main, 'br/public:avm/res/key-vault/vault')).toMatch(/^\s+enableRbacAuthorization: true$/m);
  });

  test('the vault name follows the identity, so a vault soft-deleted by `azd down` does not block the next `azd up`', () => {
    const vault = moduleParams(main, 'br/public:avm/res/key-vault/vault');
    const name = /^ {4}name: '(.*)'$/m.exec(vault)?.[1];
    expect(name).toBe('${abbrs.keyVaultVaults}${uniqueString(resourceToken, apiIdentity.outputs.principalId)}');
    // Key Vault names: 3 to 24 characters, a letter first; uniqueString always gives 13.
    expect(abbreviations.keyVaultVaults).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(abbreviations.keyVaultVaults.length + 13).toBeLessThanOrEqual(24);
  });

  test('left-over vaults can be purged: no purge protection, the shortest soft-delete retention', () => {
    const vault = moduleParams(main, 'br/public:avm/res/key-vault/vault');
    expect(vault).toMatch(/^\s+enablePurgeProtection: false$/m);
    expect(vault).toMatch(/^\s+softDeleteRetentionInDays: 7$/m);
  });

  test('the form secret is a secure parameter', () => {
    expect(main).toMatch(/@secure\(\)\n(?:@description\(.*\)\n)?param approvalFormSecret string/);
  });
});

describe('vnetEnabled', () => {
  const storage = moduleParams(main, 'br/public:avm/res/storage/storage-account');
  const vault = moduleParams(main, 'br/public:avm/res/key-vault/vault');

  test('is an optional switch, off by default and mapped from VNET_ENABLED', () => {
    expect(main).toMatch(/^param vnetEnabled bool = false$/m);
    const parameters = (JSON.parse(readRepoFile('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;
    expect(parameters.vnetEnabled).toEqual({ value: '${VNET_ENABLED=false}' });
  });

  test('creates the VNet and the private endpoints only when on', () => {
    expect(main).toMatch(/^module serviceVirtualNetwork 'app\/vnet\.bicep' = if \(vnetEnabled\) \{$/m);
    expect(main).toMatch(/^module privateEndpoints 'app\/privateEndpoints\.bicep' = if \(vnetEnabled\) \{$/m);
    const wiring = moduleParams(main, 'app/privateEndpoints.bicep');
    expect(wiring).toContain('storageAccountName: storage.outputs.name');
    expect(wiring).toContain('keyVaultName: keyVault.outputs.name');
  });

  test('gives storage private endpoints for blob, queue and table and the vault one for vault, each with a linked private DNS zone', () => {
    const groupIds = [...privateEndpoints.matchAll(/^\s+groupId: '(\w+)'\n\s+privateLinkServiceId: (\w+)\.id\n\s+zoneName: '(.+)'$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(groupIds).toEqual([
      ['blob', 'storageAccount', 'privatelink.blob.${environment().suffixes.storage}'],
      ['queue', 'storageAccount', 'privatelink.queue.${environment().suffixes.storage}'],
      ['table', 'storageAccount', 'privatelink.table.${environment().suffixes.storage}'],
      ['vault', 'keyVault', "privatelink${replace(environment().suffixes.keyvaultDns, 'vault', 'vaultcore')}"],
    ]);
    expect(privateEndpoints).toMatch(/for endpoint in endpoints: \{[\s\S]*virtualNetworkResourceId: vnet\.id/);
    expect(privateEndpoints).toMatch(/for \(endpoint, i\) in endpoints: \{[\s\S]*groupIds: \[\s+endpoint\.groupId\s+\][\s\S]*privateDnsZoneResourceId: privateDnsZones\[i\]\.outputs\.resourceId/);
  });

  test('turns off public network access to storage and the vault when on, and changes nothing when off', () => {
    for (const params of [storage, vault]) {
      expect(params).toMatch(/^\s+publicNetworkAccess: vnetEnabled \? 'Disabled' : 'Enabled'$/m);
      expect(params).toMatch(/^\s+networkAcls: vnetEnabled \? \{\s+defaultAction: 'Deny'\s+bypass: 'None'\s+\} : /m);
    }
    expect(storage).toMatch(/\} : \{\s+defaultAction: 'Allow'\s+bypass: 'AzureServices'\s+\}/);
    expect(vault).toMatch(/\} : null$/m);
  });

  test('puts the app on a subnet delegated to Microsoft.App/environments (Flex Consumption)', () => {
    expect(vnet).toMatch(/name: appSubnetName[\s\S]*?delegation: 'Microsoft\.App\/environments'/);
    expect(vnet).toMatch(/^output appSubnetID string = '\$\{virtualNetwork\.outputs\.resourceId\}\/subnets\/\$\{appSubnetName\}'$/m);
    expect(moduleParams(main, 'app/api.bicep')).toContain("virtualNetworkSubnetId: vnetEnabled ? serviceVirtualNetwork.outputs.appSubnetID : ''");
    expect(api).toContain('virtualNetworkSubnetId: !empty(virtualNetworkSubnetId) ? virtualNetworkSubnetId : null');
  });

  test('the app starts only after its private endpoints exist', () => {
    expect(moduleParams(main, 'app/api.bicep')).toMatch(/dependsOn: \[\s+rbac\s+privateEndpoints\s+\]/);
  });
});

describe('role assignments', () => {
  const assignments = bicepFiles.flatMap((f) =>
    readRepoFile(f)
      .split(/^resource /m)
      .filter((block) => /^\w+ 'Microsoft\.Authorization\/roleAssignments@/.test(block)),
  );

  test('are named guid(scope, principal, role)', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(5);
    for (const block of assignments) {
      expect(block).toMatch(/\n {2}name: guid\(\w+\.id, \w+, \w+\)\n/);
    }
  });

  test('give the identity exactly the data roles it needs', () => {
    const roles = {
      'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
      'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
      'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
      'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
    };
    const identityAssignments = assignments.filter((b) => b.includes('principalId: managedIdentityPrincipalId'));
    const granted = identityAssignments.map((b) => {
      const variable = /roleDefinitions', (\w+)\)/.exec(b)?.[1];
      return new RegExp(`^var ${variable} = '([0-9a-f-]+)'`, 'm').exec(rbac)?.[1];
    });
    expect(granted.sort()).toEqual(Object.values(roles).sort());
  });
});

describe('grant script', () => {
  const script = readRepoFile('infra/grant-permissions.ps1');

  test('asks Graph for the two directory permissions and Exchange for Mail.Send, nothing broader', () => {
    const graphPermissions = /\$GraphPermissions = @\(([^)]*)\)/.exec(script)?.[1].match(/'[^']+'/g);
    expect(graphPermissions).toEqual(["'User.ReadWrite.All'", "'User.Invite.All'"]);
    expect(script).toMatch(/^\$ExchangeMailRole = 'Application Mail\.Send'$/m);
    expect(script).not.toMatch(/Directory\.ReadWrite|RoleManagement\.|Mail\.ReadWrite/);
  });

  test('supports a dry run', () => {
    expect(script).toContain('SupportsShouldProcess');
    expect(script).toMatch(/\[switch\]\$DryRun/);
  });
});
