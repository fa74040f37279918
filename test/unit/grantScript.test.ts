import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

/**
 * PowerShell cannot be installed here, so these checks read infra/grant-permissions.ps1 as text and
 * hold it to the rules of issue 7: PowerShell 7 and the module versions said and checked at the top,
 * Application.ReadWrite.All asked for only when the admin app registration is created, no hidden
 * errors, the Exchange assignment found by role and scope, retries where a new object must
 * replicate, and braces, brackets and parentheses that balance outside strings and comments.
 */

const repoRoot = path.resolve(__dirname, '../..');
const script = readFileSync(path.join(repoRoot, 'infra/grant-permissions.ps1'), 'utf8');

interface Scan {
  /** The text with every comment blanked out (newlines kept, so offsets and line numbers hold). */
  code: string;
  /** `code` with the strings blanked out too (but not the code of their `$( )` subexpressions). */
  bare: string;
  /** Unbalanced or mismatched brackets, unterminated strings and comments. */
  problems: string[];
  /** Opening bracket offset -> closing bracket offset, for brackets in code (not in strings). */
  pairs: Map<number, number>;
}

type Mode = 'code' | 'string' | 'hereString';

/**
 * A small PowerShell tokenizer: enough to tell code from comments (`# ...`, `<# ... #>`) and strings
 * ('...' with '' escapes, "..." with backtick and "" escapes and `$( ... )` subexpressions that are
 * code again, and the here-strings @'...'@ and @"..."@), and to pair the brackets of the code.
 */
function scanPowerShell(text: string): Scan {
  const chars = [...text];
  const bareChars = [...text];
  const problems: string[] = [];
  const pairs = new Map<number, number>();
  const open: { ch: string; at: number; subexpression: boolean }[] = [];
  const modes: { mode: Mode; at: number }[] = [{ mode: 'code', at: 0 }];
  const lineOf = (at: number) => text.slice(0, at).split('\n').length;
  const blank = (from: number, to: number, only: 'string' | 'comment' = 'comment') => {
    for (let k = from; k < Math.min(to, text.length); k++) {
      if (text[k] === '\n' || text[k] === '\r') continue;
      if (only === 'comment') chars[k] = ' ';
      bareChars[k] = ' ';
    }
  };
  const closerOf: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

  let i = 0;
  while (i < text.length) {
    const { mode } = modes[modes.length - 1];
    const c = text[i];
    if (mode !== 'code') {
      if (c === '`') {
        blank(i, i + 2, 'string');
        i += 2;
      } else if (c === '$' && text[i + 1] === '(') {
        open.push({ ch: '(', at: i + 1, subexpression: true });
        modes.push({ mode: 'code', at: i });
        i += 2;
      } else if (mode === 'string' && c === '"') {
        const length = text[i + 1] === '"' ? 2 : 1;
        if (length === 1) modes.pop();
        blank(i, i + length, 'string');
        i += length;
      } else if (mode === 'hereString' && c === '\n' && text.startsWith('"@', i + 1)) {
        modes.pop();
        blank(i, i + 3, 'string');
        i += 3;
      } else {
        blank(i, i + 1, 'string');
        i += 1;
      }
      continue;
    }

    if (text.startsWith('<#', i)) {
      const end = text.indexOf('#>', i + 2);
      if (end < 0) {
        problems.push(`line ${lineOf(i)}: <# comment never closed`);
        blank(i, text.length);
        break;
      }
      blank(i, end + 2);
      i = end + 2;
    } else if (c === '#' && (i === 0 || /[\s;(){}|&,=]/.test(text[i - 1]))) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (/^@'[ \t]*\r?\n/.test(text.slice(i, i + 8))) {
      const end = text.indexOf("\n'@", i);
      if (end < 0) {
        problems.push(`line ${lineOf(i)}: @' here-string never closed`);
        break;
      }
      blank(i, end + 3, 'string');
      i = end + 3;
    } else if (/^@"[ \t]*\r?\n/.test(text.slice(i, i + 8))) {
      modes.push({ mode: 'hereString', at: i });
      blank(i, text.indexOf('\n', i), 'string');
      i = text.indexOf('\n', i) + 1;
    } else if (c === "'") {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) {
          problems.push(`line ${lineOf(i)}: ' string never closed`);
          break;
        }
        if (text[j] === "'") {
          if (text[j + 1] === "'") j += 2;
          else break;
        } else {
          j += 1;
        }
      }
      blank(i, j + 1, 'string');
      i = j + 1;
    } else if (c === '"') {
      modes.push({ mode: 'string', at: i });
      blank(i, i + 1, 'string');
      i += 1;
    } else if (c === '`') {
      i += 2;
    } else if (c === '(' || c === '[' || c === '{') {
      open.push({ ch: c, at: i, subexpression: false });
      i += 1;
    } else if (c === ')' || c === ']' || c === '}') {
      const top = open.pop();
      if (!top) {
        problems.push(`line ${lineOf(i)}: ${c} closes nothing`);
      } else {
        if (closerOf[top.ch] !== c) problems.push(`line ${lineOf(i)}: ${c} closes the ${top.ch} of line ${lineOf(top.at)}`);
        pairs.set(top.at, i);
        if (top.subexpression && modes.length > 1) modes.pop();
      }
      i += 1;
    } else {
      i += 1;
    }
  }
  for (const m of modes.slice(1)) problems.push(`line ${lineOf(m.at)}: ${m.mode === 'code' ? '$(' : 'string'} never closed`);
  for (const o of open) problems.push(`line ${lineOf(o.at)}: ${o.ch} never closed`);
  return { code: chars.join(''), bare: bareChars.join(''), problems, pairs };
}

/**
 * The statement text before each `{` that encloses `at` (in no particular order): the line of the brace and
 * the lines it continues with a trailing backtick (so `Invoke-X -A 1 ` + newline + `-Action {` is one).
 */
function enclosingHeaders(scan: Scan, at: number): string[] {
  const headers: string[] = [];
  for (const [openAt, closeAt] of scan.pairs) {
    if (scan.code[openAt] !== '{' || openAt >= at || closeAt <= at) continue;
    let start = scan.code.lastIndexOf('\n', openAt - 1);
    while (start > 0 && /`\s*$/.test(scan.code.slice(scan.code.lastIndexOf('\n', start - 1) + 1, start))) {
      start = scan.code.lastIndexOf('\n', start - 1);
    }
    headers.push(scan.code.slice(start + 1, openAt));
  }
  return headers;
}

/** Offsets of every match of `pattern` (global) in the code. */
function offsetsOf(code: string, pattern: RegExp): number[] {
  return [...code.matchAll(pattern)].map((m) => m.index);
}

/**
 * Where `pattern` occurs outside every `{ }` block whose header satisfies `header`; in the code with
 * its strings (`where: 'code'`) or in the code alone, where a match is a call (`where: 'bare'`).
 */
function outsideBlocks(scan: Scan, pattern: RegExp, header: (text: string) => boolean, where: 'code' | 'bare' = 'code'): string[] {
  return offsetsOf(scan[where], pattern)
    .filter((at) => !enclosingHeaders(scan, at).some(header))
    .map((at) => `line ${scan.code.slice(0, at).split('\n').length}: ${scan.code.slice(at, scan.code.indexOf('\n', at)).trim()}`);
}

/** An `if`/`elseif` header whose condition holds `$CreateAdminApp` (or `$CreateSignInApp`) without negating it. */
const underCreateAdminApp = (header: string) => {
  const condition = /\b(?:if|elseif)\s*\((.*)\)\s*$/is.exec(header);
  return condition !== null && /(?<!-not\s+|!\s*)\$Create(?:AdminApp|SignInApp)\b/i.test(condition[1]);
};

/** `catch` blocks without a type that never rethrow: they would swallow any error. */
function swallowingCatches(scan: Scan): string[] {
  const found: string[] = [];
  for (const m of scan.code.matchAll(/\bcatch\s*(\[[^\]]*\]\s*)?\{/gi)) {
    const openAt = m.index + m[0].length - 1;
    const body = scan.code.slice(openAt, scan.pairs.get(openAt));
    if (!m[1] && !/\bthrow\b/i.test(body)) found.push(`line ${scan.code.slice(0, m.index).split('\n').length}`);
  }
  return found;
}

/** Ways of hiding an error: silence it, ignore it, or drop a native command's error output. */
const ERROR_HIDING = [
  /SilentlyContinue/i,
  /-ErrorAction\s*:?\s*'?Ignore\b/i,
  /-ea\s*:?\s*'?(?:0|Ignore|SilentlyContinue)\b/i,
  /\$ErrorActionPreference\s*=\s*'?(?:Ignore|Continue)\b/i,
  /2>\s*\$null/i,
  /\|\s*Out-Null\s*2>/i,
];

/** `$name:` followed by anything but a name: a parse error in PowerShell (write `${name}:`). */
const BROKEN_DRIVE_VARIABLE = /\$[A-Za-z_]\w*:(?![\w{])/g;

/**
 * The Graph and Exchange cmdlets the script may call, each checked against Microsoft's reference
 * (Microsoft.Graph.Applications, Microsoft.Graph.Users, Microsoft.Graph.Authentication 2.x;
 * ExchangeOnlineManagement 3.x and the Exchange Online cmdlet reference). A misspelt or new one fails.
 */
const KNOWN_CMDLETS = new Set([
  'Connect-MgGraph',
  'Get-MgServicePrincipal',
  'New-MgServicePrincipal',
  'Get-MgServicePrincipalAppRoleAssignment',
  'New-MgServicePrincipalAppRoleAssignment',
  'Remove-MgServicePrincipalAppRoleAssignment',
  'Get-MgServicePrincipalAppRoleAssignedTo',
  'New-MgServicePrincipalAppRoleAssignedTo',
  'Get-MgApplication',
  'New-MgApplication',
  'Update-MgApplication',
  'Get-MgApplicationFederatedIdentityCredential',
  'New-MgApplicationFederatedIdentityCredential',
  'Get-MgUser',
  'Connect-ExchangeOnline',
  'Get-EXOMailbox',
  'Get-ServicePrincipal',
  'New-ServicePrincipal',
  'Get-ManagementScope',
  'New-ManagementScope',
  'Set-ManagementScope',
  'Get-ManagementRole',
  'Get-ManagementRoleAssignment',
  'New-ManagementRoleAssignment',
  'Set-ManagementRoleAssignment',
  'Remove-ManagementRoleAssignment',
  'Test-ServicePrincipalAuthorization',
]);

/** Calls that use an object created moments before, so must wait for it to replicate. */
const NEEDS_REPLICATION_RETRY = [
  /\bNew-ServicePrincipal\b/g,
  /\bNew-ManagementRoleAssignment\b/g,
  /\bSet-ManagementRoleAssignment\b/g,
  /\bTest-ServicePrincipalAuthorization\b/g,
  /\bNew-MgServicePrincipal\b(?!\w)/g,
  /\bNew-MgServicePrincipalAppRoleAssignment\b/g,
  /\bNew-MgServicePrincipalAppRoleAssignedTo\b/g,
  /\bUpdate-MgApplication\b/g,
  /\bNew-MgApplicationFederatedIdentityCredential\b/g,
];

const scan = scanPowerShell(script);
const code = scan.code;
const help = script.slice(script.indexOf('<#'), script.indexOf('#>'));

describe('the checkers themselves', () => {
  test('the tokenizer skips strings and comments and finds unbalanced brackets', () => {
    expect(scanPowerShell('if ($a) { "}" ; \'{\' } # {\n<# ( #>').problems).toEqual([]);
    expect(scanPowerShell('"$(Get-X "a)" -join \'(\')" + @"\n{ $($y) \n"@\n@\'\n[\n\'@').problems).toEqual([]);
    expect(scanPowerShell("'it''s {' ; \"a`\"{\" ; \"b\"\"\"").problems).toEqual([]);
    expect(scanPowerShell('if ($a) { # }\n').problems).toEqual(['line 1: { never closed']);
    expect(scanPowerShell('foo(] ').problems).toEqual(['line 1: ] closes the ( of line 1']);
    expect(scanPowerShell("'open").problems).toEqual(["line 1: ' string never closed"]);
    expect(scanPowerShell('"$(x"').problems.length).toBeGreaterThan(0);
    expect(scanPowerShell('<# x').problems).toEqual(['line 1: <# comment never closed']);
    expect(scanPowerShell('a\n}').problems).toEqual(['line 2: } closes nothing']);
    const bare = scanPowerShell('X "New-Y $(New-Z \'New-W\')" # New-V').bare;
    expect(bare).toHaveLength('X "New-Y $(New-Z \'New-W\')" # New-V'.length);
    expect(bare.replace(/ +/g, ' ').trim()).toBe('X $(New-Z )');
  });

  test('the block rules see through conditions, else branches and continued lines', () => {
    const sample = scanPowerShell(
      "if ($CreateAdminApp -and -not $x) { 'A' }\nif (-not $CreateAdminApp) { 'B' }\nif ($y) { } else { 'C' }\nInvoke-R -What 1 `\n  -Action { 'D' }",
    );
    expect(outsideBlocks(sample, /'A'/g, underCreateAdminApp)).toEqual([]);
    expect(outsideBlocks(sample, /'B'/g, underCreateAdminApp)).toHaveLength(1);
    expect(outsideBlocks(sample, /'C'/g, underCreateAdminApp)).toHaveLength(1);
    expect(outsideBlocks(sample, /'D'/g, (h) => h.includes('Invoke-R'))).toEqual([]);
    expect(swallowingCatches(scanPowerShell('try { x } catch { Write-Host $_ }'))).toEqual(['line 1']);
    expect(swallowingCatches(scanPowerShell('try { x } catch { if (-not (T $_)) { throw } }'))).toEqual([]);
    expect(swallowingCatches(scanPowerShell('try { x } catch [System.Exception] { $false }'))).toEqual([]);
    expect([...'"Bad $id: x" "${id}: ok" $script:y $env:PATH'.matchAll(BROKEN_DRIVE_VARIABLE)].map((m) => m[0])).toEqual(['$id:']);
  });
});

describe('infra/grant-permissions.ps1', () => {
  test('parses as far as brackets go: braces, brackets and parentheses balance outside strings and comments', () => {
    expect(scan.problems).toEqual([]);
    expect(scan.pairs.size).toBeGreaterThan(100);
    expect([...code.matchAll(BROKEN_DRIVE_VARIABLE)].map((m) => m[0])).toEqual([]);
    // A backtick continues a line only as its very last character.
    expect(script.split('\n').filter((line) => /`[ \t]+$/.test(line))).toEqual([]);
  });

  test('says it needs PowerShell 7 and which modules, and checks both at the top', () => {
    expect(script.split(/\r?\n/)[0]).toMatch(/^#Requires -Version 7\.\d+$/);
    const psVersion = /^#Requires -Version (7\.\d+)/.exec(script)?.[1];
    expect(help).toContain(`PowerShell ${psVersion} or later`);

    const block = /\$RequiredModules = \[ordered\]@\{([\s\S]*?)\n\}/.exec(code)?.[1] ?? '';
    const modules = Object.fromEntries([...block.matchAll(/'([\w.]+)'\s*=\s*'(\d+\.\d+\.\d+)'/g)].map((m) => [m[1], m[2]]));
    expect(Object.keys(modules).sort()).toEqual(
      ['ExchangeOnlineManagement', 'Microsoft.Graph.Applications', 'Microsoft.Graph.Authentication', 'Microsoft.Graph.Users'].sort(),
    );
    for (const [name, version] of Object.entries(modules)) {
      expect(help, name).toContain(name);
      expect(help, `${name} ${version}`).toContain(`${version} or later`);
    }
    // The check runs before anything signs in, and imports the version it checked.
    expect(code).toMatch(/Get-Module -ListAvailable -Name \$module/);
    expect(code).toMatch(/Import-Module \$module -MinimumVersion \$minimum/);
    expect(code.indexOf('foreach ($module in $RequiredModules.Keys)')).toBeGreaterThan(0);
    expect(code.indexOf('foreach ($module in $RequiredModules.Keys)')).toBeLessThan(code.indexOf('Connect-MgGraph'));
  });

  test('asks for Application.ReadWrite.All only when it creates the admin or sign-in app registration', () => {
    const connects = offsetsOf(code, /\bConnect-MgGraph\b/g);
    expect(connects).toHaveLength(1);
    expect(code.slice(connects[0], code.indexOf('\n', connects[0]))).toMatch(/-Scopes \$graphScopes\b/);
    // The scopes are built in one place and nowhere else.
    expect(offsetsOf(code, /\$graphScopes\s*\+?=/g).length).toBeGreaterThanOrEqual(2);
    expect(offsetsOf(code, /'Application\.ReadWrite\.All'/g)).toHaveLength(1);
    expect(outsideBlocks(scan, /Application\.ReadWrite\.All/g, underCreateAdminApp)).toEqual([]);
    expect(outsideBlocks(scan, /Directory\.(Read|ReadWrite)\.All/g, () => false)).toEqual([]);
    // What the rest needs: read service principals, and write app role assignments.
    expect(code).toMatch(/\$graphScopes = @\('Application\.Read\.All'\)/);
    expect(code).toMatch(/\$graphScopes \+= 'AppRoleAssignment\.ReadWrite\.All'/);
    // The help says why each scope is asked for.
    for (const scope of ['Application.Read.All', 'AppRoleAssignment.ReadWrite.All', 'User.ReadBasic.All', 'Application.ReadWrite.All']) {
      expect(help, scope).toContain(scope);
    }
  });

  test('hides no error: no SilentlyContinue or Ignore, and every catch without a type rethrows', () => {
    expect(ERROR_HIDING.filter((pattern) => pattern.test(code)).map(String)).toEqual([]);
    expect(swallowingCatches(scan)).toEqual([]);
    // Lookups that may answer "not found" tell it apart from other errors.
    expect(offsetsOf(code, /Test-NotFoundError \$_/g).length).toBeGreaterThanOrEqual(2);
  });

  test('finds the Exchange Mail.Send assignment by role and scope, not by name', () => {
    const lookups = [...code.matchAll(/\bGet-ManagementRoleAssignment\b[^\n]*/g)].map((m) => m[0]);
    expect(lookups.length).toBeGreaterThan(0);
    for (const lookup of lookups) {
      expect(lookup).toMatch(/^Get-ManagementRoleAssignment -Role \$\w+/);
      expect(lookup).not.toMatch(/-Identity\b/);
    }
    expect(code).toMatch(/\(Get-PropertyText \$assignment 'Role'\) -eq \$ExchangeMailRole/);
    expect(code).toMatch(/\$scopeKeys -contains \(Get-PropertyText \$assignment 'CustomResourceScope'\)/);
    // Any other enabled Mail.Send assignment of the identity is reported with how to remove it,
    // and the script then fails.
    expect(code).toMatch(/Remove-ManagementRoleAssignment -Identity '\$assignmentName'/);
    expect(code).toMatch(/\$script:Blockers\.Add\(/);
    expect(code).toMatch(/if \(\$script:Blockers\.Count -gt 0\) \{\s*throw/);
    expect(code).toMatch(/'Application Mail Full Access', 'Application Exchange Full Access'/);
  });

  test('finds the management scope by its filter, and corrects its own scope when the filter differs', () => {
    expect(code).not.toMatch(/Get-ManagementScope\s+-Identity/);
    expect(code).toMatch(/ConvertTo-FilterKey \(Get-PropertyText \$_ 'RecipientFilter'\)\) -eq \$wantedFilterKey/);
    expect(code).toMatch(/Set-ManagementScope -Identity \$ExchangeScopeName -RecipientRestrictionFilter \$filter/);
  });

  test('waits for new service principals, apps and roles to replicate before using them', () => {
    const calls = NEEDS_REPLICATION_RETRY.flatMap((pattern) => offsetsOf(scan.bare, pattern));
    expect(calls.length).toBeGreaterThanOrEqual(NEEDS_REPLICATION_RETRY.length);
    const bare = NEEDS_REPLICATION_RETRY.flatMap((pattern) => outsideBlocks(scan, pattern, (h) => /\bInvoke-WithReplicationRetry\b/.test(h), 'bare'));
    expect(bare).toEqual([]);
    expect(code).toMatch(/waiting for \$WaitingFor to replicate/);
    const timeout = Number(/\$ReplicationTimeoutSeconds = (\d+)/.exec(code)?.[1]);
    expect(timeout).toBeGreaterThanOrEqual(60);
    expect(timeout).toBeLessThanOrEqual(300);
    // The last failure says what failed and what to do.
    expect(code).toMatch(/throw "Could not \$\{What\}: .*\$Remedy"/);
  });

  test('calls only Graph and Exchange cmdlets checked against Microsoft\'s reference', () => {
    const used = new Set(
      [...code.matchAll(/\b(?:Get|New|Set|Update|Remove|Test|Connect)-(?:Mg|EXO|ServicePrincipal|Management|ExchangeOnline)\w*/g)].map((m) => m[0]),
    );
    expect([...used].filter((cmdlet) => !KNOWN_CMDLETS.has(cmdlet))).toEqual([]);
  });

  test('-CreateSignInApp: the approver sign-in app registration, secretless through the managed identity', () => {
    const section = code.slice(code.indexOf('if ($CreateSignInApp) {'), code.indexOf('# ---- 5:'));
    expect(section.length).toBeGreaterThan(500);
    expect(section).toContain('$callbackUri = "https://$(([Uri]$FunctionAppUrl).Host)/.auth/login/aad/callback"');
    expect(section).toMatch(/\$web = @\{ redirectUris = @\(\$callbackUri\); implicitGrantSettings = @\{ enableIdTokenIssuance = \$true \} \}/);
    expect(section).toMatch(/New-MgApplication -DisplayName \$signInAppName -SignInAudience 'AzureADMyOrg' -Web \$web/);
    // The federated identity credential: the tenant's v2.0 issuer, the identity's principal id, Entra's token exchange audience.
    expect(section).toContain('$signInIssuer = "https://login.microsoftonline.com/$TenantId/v2.0"');
    expect(section).toMatch(/issuer\s+= \$signInIssuer\s+subject\s+= \$IdentityPrincipalId\s+audiences\s+= @\(\$tokenExchangeAudience\)/);
    expect(section).toContain("$tokenExchangeAudience = 'api://AzureADTokenExchange'");
    expect(section).not.toMatch(/PasswordCredential|Add-MgApplicationPassword/i);
    expect(section).toContain('azd env set APPROVER_SIGN_IN_CLIENT_ID $($signInApp.AppId)');
    expect(code).toContain("$SignInClientId = Resolve-Input $SignInClientId 'APPROVER_SIGN_IN_CLIENT_ID' $azd");
    expect(help).toContain('-CreateSignInApp');
  });

  test('keeps reading its inputs from the azd environment', () => {
    for (const name of ['AZURE_TENANT_ID', 'AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID', 'AZURE_FUNCTION_IDENTITY_CLIENT_ID', 'MAIL_SENDER', 'AZURE_KEY_VAULT_NAME']) {
      expect(code).toContain(`'${name}'`);
    }
  });
});
