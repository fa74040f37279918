import { z } from 'zod';
import { parseIsoDuration } from '../domain/duration.js';

/**
 * Every app setting the product reads, in one schema. Configuration is read once at start-up;
 * a missing or bad setting fails with one message naming every problem (see `loadSettings`).
 * `infra/app/api.bicep` and `local.settings.sample.json` must list exactly these names
 * (checked by test/unit/settingsDrift.test.ts).
 */

const list = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean));

const lowerList = list.transform((items) => items.map((s) => s.toLowerCase()));

const duration = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const text = v && v.trim() ? v.trim() : fallback;
      const ms = parseIsoDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a positive ISO 8601 duration such as P7D or PT30S` });
        return z.NEVER;
      }
      return ms;
    });

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (/^(true|1|yes)$/i.test(v.trim())) return true;
      if (/^(false|0|no)$/i.test(v.trim())) return false;
      ctx.addIssue({ code: 'custom', message: `"${v}" is not true or false` });
      return z.NEVER;
    });

const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a positive whole number` });
        return z.NEVER;
      }
      return n;
    });

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** An optional URL where an empty value (as in the sample settings) means "not set". */
const optionalUrl = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), url.optional());
const required = (what: string) => z.string({ error: `is required (${what})` }).trim().min(1, `is required (${what})`);
const requiredUrl = (what: string) =>
  z.url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined || issue.input === '' ? `is required (${what})` : 'must be an http(s) URL') });

export const settingsSchema = z
  .object({
    // Storage for the app's own tables. Either a connection string (local, Azurite) or the
    // identity-based form that Azure uses (`AzureWebJobsStorage__tableServiceUri` + credential).
    AzureWebJobsStorage: z.string().optional(),
    AzureWebJobsStorage__tableServiceUri: optionalUrl,
    AzureWebJobsStorage__clientId: z.string().optional(),
    TABLE_NAME_PREFIX: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, 'must be letters and digits, starting with a letter').default('GuestEmailChange'),

    // Microsoft Graph. In Azure: the user-assigned managed identity (AZURE_CLIENT_ID).
    // Locally: the Graph emulator's base URL and a static token.
    GRAPH_BASE_URL: url.default('https://graph.microsoft.com'),
    GRAPH_STATIC_TOKEN: z.string().optional(),
    AZURE_CLIENT_ID: z.string().optional(),

    // Tenant facts and the new-email policy.
    TENANT_VERIFIED_DOMAINS: lowerList.refine((d) => d.length > 0, 'must list at least one verified domain of the tenant'),
    NEW_EMAIL_ALLOWED_DOMAINS: lowerList,
    NEW_EMAIL_DENIED_DOMAINS: lowerList,

    // The new address confirms the request before anyone is asked (DESIGN §2 step 3).
    REQUIRE_NEW_EMAIL_CONFIRMATION: bool(true),
    CONFIRMATION_TIMEOUT: duration('PT24H'),

    // Approval.
    PUBLIC_BASE_URL: requiredUrl('the https address of this app, the base of the links in emails'),
    APPROVAL_TIMEOUT: duration('P7D'),
    APPROVAL_REMINDER_AFTER: duration('P3D'),
    // An unresolved Key Vault reference reaches the app as its literal text: refuse it rather
    // than key the anti-forgery values with a guessable string.
    APPROVAL_FORM_SECRET: required('a random secret of at least 32 characters for anti-forgery values')
      .min(32, 'must be at least 32 characters')
      .refine((v) => !v.startsWith('@Microsoft.KeyVault('), 'is an unresolved Key Vault reference: the secret may not exist yet (infra/grant-permissions.ps1 creates it, README "Deploy" step 3), the app may not reach the vault (private network), or its identity may lack "Key Vault Secrets User"'),
    FALLBACK_APPROVERS: lowerList,
    // `required`: deciding needs the approver signed in with Entra ID (the platform's built-in
    // authentication) as the user the link was sent to. `off` lets the link alone decide.
    APPROVER_SIGN_IN: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v),
      z.enum(['required', 'off'], { error: 'must be required or off' }).default('required'),
    ),

    // Who speaks in every mail and page: the organisation's name, optionally its logo (https, so
    // mail clients show it and the pages' CSP can allow exactly that origin) and where to get help
    // (an email address or an https page).
    ORG_NAME: required('the organisation named in every mail and page, e.g. Contoso'),
    ORG_LOGO_URL: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional()),
    SUPPORT_CONTACT: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim() || undefined : v),
      z.union([z.email(), z.url({ protocol: /^https$/ })], { error: 'must be an email address or an https URL' }).optional(),
    ),

    // Mail and the reset itself.
    MAIL_SENDER: required('the mailbox (UPN or object id) that sends mail'),
    ADMIN_NOTIFICATION_EMAILS: lowerList,
    // How admin alerts go out (README, "Admin alerts"): `each` one mail per event, `digest` one
    // mail per period listing them (urgent ones still go out at once), `both` each and the digest.
    ADMIN_NOTIFICATIONS: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v),
      z.enum(['each', 'digest', 'both'], { error: 'must be each, digest or both' }).default('each'),
    ),
    // When the digest goes out: at this UTC time of day, then every ADMIN_DIGEST_EVERY.
    ADMIN_DIGEST_TIME: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim() || undefined : v),
      z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be a UTC time of day such as 08:00')
        .default('08:00'),
    ),
    ADMIN_DIGEST_EVERY: duration('P1D'),
    INVITE_REDIRECT_URL: url.default('https://myapps.microsoft.com'),
    SEND_INVITATION_MESSAGE: bool(false),
    // Putting `mail` back after a failed reset: the wait after the first failed try, doubled after
    // each further one up to the maximum; tries go on for 24 hours after the first failure.
    MAIL_RESTORE_FIRST_RETRY: duration('PT30S'),
    MAIL_RESTORE_MAX_RETRY: duration('PT5M'),
    // How long after the approval an admin may retry a reset that failed on a transient fault.
    RETRY_WINDOW: duration('P7D'),

    // Admin API (bearer JWT from Entra ID); the tenant is also the one approvers sign in to.
    ADMIN_TENANT_ID: required('the Entra tenant id that issues admin tokens and signs approvers in'),
    ADMIN_API_AUDIENCE: required('the audience (application ID URI or client id) of the admin API'),
    ADMIN_ROLE: z.string().trim().min(1).default('GuestReset.Admin'),
    ADMIN_TOKEN_ISSUER: optionalUrl,
    ADMIN_JWKS_URI: optionalUrl,

    // Abuse limits on the public form, per fixed window (RATE_LIMIT_WINDOW).
    RATE_LIMIT_WINDOW: duration('PT1H'),
    RATE_LIMIT_PER_SOURCE: positiveInt(10),
    RATE_LIMIT_PER_TARGET: positiveInt(3),
  })
  .superRefine((s, ctx) => {
    if (!s.AzureWebJobsStorage && !s.AzureWebJobsStorage__tableServiceUri) {
      ctx.addIssue({ code: 'custom', path: ['AzureWebJobsStorage'], message: 'is required (or AzureWebJobsStorage__tableServiceUri with a managed identity)' });
    }
    if (s.APPROVAL_REMINDER_AFTER >= s.APPROVAL_TIMEOUT) {
      ctx.addIssue({ code: 'custom', path: ['APPROVAL_REMINDER_AFTER'], message: 'must be shorter than APPROVAL_TIMEOUT' });
    }
  });

type RawSettings = z.output<typeof settingsSchema>;

/** The validated configuration the code uses, with derived values filled in. */
export interface Settings extends RawSettings {
  adminIssuer: string;
  adminJwksUri: string;
}

/** Names of every setting the app reads: the contract with infra/ and the sample settings. */
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as (keyof RawSettings)[];

/** Thrown at start-up with one message that names every bad or missing setting. */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

export function parseSettings(env: Record<string, string | undefined>): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((i) => `${i.path.join('.') || '(settings)'} ${i.message}`));
  }
  const s = parsed.data;
  return {
    ...s,
    PUBLIC_BASE_URL: s.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    adminIssuer: s.ADMIN_TOKEN_ISSUER ?? `https://login.microsoftonline.com/${s.ADMIN_TENANT_ID}/v2.0`,
    adminJwksUri: s.ADMIN_JWKS_URI ?? `https://login.microsoftonline.com/${s.ADMIN_TENANT_ID}/discovery/v2.0/keys`,
  };
}

let cached: Settings | undefined;

/** Reads `process.env` once per process; later calls return the same object. */
export function loadSettings(): Settings {
  cached ??= parseSettings(process.env);
  return cached;
}
