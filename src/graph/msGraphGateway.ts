import { ManagedIdentityCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type AuthenticationProvider,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { Settings } from '../config/settings.js';
import { mimeMessage } from './mimeMessage.js';
import { toGraphRequestError } from './graphErrorMapping.js';
import { GraphRequestError, type DirectoryPrincipal, type DirectoryUser, type GraphGateway, type InvitationResult, type MailMessage, type ResetRedemptionInput } from './graphGateway.js';
import { NetworkRetryHandler } from './networkRetryHandler.js';

/**
 * The Graph gateway over `@microsoft/microsoft-graph-client` v3 (DESIGN §5). In Azure it
 * authenticates with the managed identity; locally `GRAPH_STATIC_TOKEN` points it at the Graph
 * emulator. Throttling and unavailability are retried by the SDK's RetryHandler (which honours
 * `Retry-After`), dropped connections by `NetworkRetryHandler`; whatever still fails surfaces as
 * `GraphRequestError`.
 */

export interface GraphGatewayOptions {
  /** Status retries (429/503/504) after the first attempt; the SDK caps this at 10. */
  maxRetries?: number;
  /** Seconds to wait when Graph sends no `Retry-After`; the SDK adds backoff from the second retry. */
  retryDelaySeconds?: number;
  /** Attempts for calls that get no HTTP answer at all. */
  networkAttempts?: number;
  networkRetryDelayMs?: number;
  requestTimeoutMs?: number;
}

/** Everything the product reads about a user; `$select` because most are not returned by default. */
const USER_FIELDS = ['id', 'displayName', 'mail', 'otherMails', 'userType', 'externalUserState', 'creationType', 'accountEnabled', 'userPrincipalName'];
/** Sponsors mix users and groups; Graph returns for each type only the fields it has. */
const SPONSOR_FIELDS = [...USER_FIELDS, 'mailEnabled', 'securityEnabled'];

type GraphObject = Record<string, unknown>;
interface GraphCollection {
  value?: GraphObject[];
  '@odata.nextLink'?: string;
}

/** An OData string literal for `$filter`: quotes doubled, then percent-encoded (the SDK encodes nothing). */
export function odataString(value: string): string {
  return `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
}

function segment(id: string): string {
  return encodeURIComponent(id);
}

function toDirectoryUser(raw: GraphObject): DirectoryUser {
  return {
    id: String(raw.id),
    displayName: typeof raw.displayName === 'string' ? raw.displayName : '',
    mail: typeof raw.mail === 'string' ? raw.mail : null,
    otherMails: Array.isArray(raw.otherMails) ? raw.otherMails.filter((m): m is string => typeof m === 'string') : [],
    userPrincipalName: typeof raw.userPrincipalName === 'string' ? raw.userPrincipalName : undefined,
    // Unknown is never a member nor enabled: a manager can be an organizational contact, which has
    // neither field and cannot sign in, so it must not approve.
    userType: typeof raw.userType === 'string' ? raw.userType : '',
    externalUserState: typeof raw.externalUserState === 'string' ? raw.externalUserState : null,
    creationType: typeof raw.creationType === 'string' ? raw.creationType : null,
    accountEnabled: raw.accountEnabled === true,
  };
}

function createAuthProvider(settings: Settings): AuthenticationProvider {
  if (settings.GRAPH_STATIC_TOKEN) {
    const token = settings.GRAPH_STATIC_TOKEN;
    return { getAccessToken: async () => token };
  }
  const credential = new ManagedIdentityCredential(settings.AZURE_CLIENT_ID ? { clientId: settings.AZURE_CLIENT_ID } : {});
  // `.default` of the Graph host in use, so national clouds get the right audience.
  const scope = `${new URL(settings.GRAPH_BASE_URL).origin}/.default`;
  return new TokenCredentialAuthenticationProvider(credential, { scopes: [scope] });
}

/** The SDK's default chain, with retry limits we choose and network retries added. */
function createClient(settings: Settings, options: GraphGatewayOptions): Client {
  const chain: Middleware[] = [
    new AuthenticationHandler(createAuthProvider(settings)),
    new RetryHandler(new RetryHandlerOptions(options.retryDelaySeconds ?? 3, options.maxRetries ?? 5)),
    new NetworkRetryHandler({
      attempts: options.networkAttempts ?? 3,
      baseDelayMs: options.networkRetryDelayMs ?? 500,
      timeoutMs: options.requestTimeoutMs ?? 30_000,
    }),
    new RedirectHandler(new RedirectHandlerOptions()),
    new TelemetryHandler(),
    new HTTPMessageHandler(),
  ];
  chain.reduce((previous, next) => {
    previous.setNext?.(next);
    return next;
  });
  return Client.initWithMiddleware({ baseUrl: settings.GRAPH_BASE_URL.replace(/\/+$/, ''), defaultVersion: 'v1.0', middleware: chain[0] });
}

export function createMsGraphGateway(settings: Settings, options: GraphGatewayOptions = {}): GraphGateway {
  const client = createClient(settings, options);

  async function call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toGraphRequestError(error);
    }
  }

  /** Reads every page of a collection; next links are absolute, the client wants a version-relative path. */
  async function listAll(path: string): Promise<GraphObject[]> {
    const items: GraphObject[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: GraphCollection = await call(() => client.api(next as string).get());
      items.push(...(page.value ?? []));
      const link = page['@odata.nextLink'];
      next = link ? (() => {
        const url = new URL(link);
        return url.pathname.replace(/^\/v1\.0(?=\/)/, '') + url.search;
      })() : undefined;
    }
    return items;
  }

  /** GET of one object; Graph's 404 means "none" here. */
  async function getOptional(path: string): Promise<GraphObject | undefined> {
    try {
      return (await call(() => client.api(path).get())) as GraphObject;
    } catch (error) {
      if (error instanceof GraphRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  return {
    async findUserByEmail(email) {
      const literal = odataString(email);
      const filter = `mail eq ${literal} or otherMails/any(x:x eq ${literal})`;
      const users = await listAll(`/users?$filter=${filter}&$select=${USER_FIELDS.join(',')}`);
      // Prefer the user whose primary mail matches over one that merely lists it in otherMails.
      const lower = email.toLowerCase();
      const match = users.find((u) => typeof u.mail === 'string' && u.mail.toLowerCase() === lower) ?? users[0];
      return match ? toDirectoryUser(match) : undefined;
    },

    /**
     * Lists memberships without the `microsoft.graph.directoryRole` cast: a cast needs advanced
     * query headers, and an app holding only User.ReadWrite.All still sees each membership's
     * `@odata.type` and id ("limited information"), which is enough to know a role is held.
     */
    async getDirectoryRoles(userId) {
      const memberships = await listAll(`/users/${segment(userId)}/memberOf?$select=id,displayName`);
      return memberships
        .filter((m) => m['@odata.type'] === '#microsoft.graph.directoryRole')
        .map((r) => (typeof r.displayName === 'string' && r.displayName ? r.displayName : String(r.id)));
    },

    async getSponsors(userId) {
      const sponsors = await listAll(`/users/${segment(userId)}/sponsors?$select=${SPONSOR_FIELDS.join(',')}`);
      return sponsors.flatMap((raw): DirectoryPrincipal[] => {
        const type = raw['@odata.type'];
        if (type === '#microsoft.graph.user') return [{ kind: 'user', ...toDirectoryUser(raw) }];
        if (type === '#microsoft.graph.group') {
          return [{ kind: 'group', id: String(raw.id), displayName: typeof raw.displayName === 'string' ? raw.displayName : '', mail: typeof raw.mail === 'string' ? raw.mail : null }];
        }
        return [];
      });
    },

    async getGroupMembers(groupId) {
      const members = await listAll(`/groups/${segment(groupId)}/transitiveMembers/microsoft.graph.user?$select=${USER_FIELDS.join(',')}`);
      return members.map(toDirectoryUser);
    },

    async getManager(userId) {
      const manager = await getOptional(`/users/${segment(userId)}/manager?$select=${USER_FIELDS.join(',')}`);
      return manager ? toDirectoryUser(manager) : undefined;
    },

    async getUser(userId) {
      const user = await getOptional(`/users/${segment(userId)}?$select=${USER_FIELDS.join(',')}`);
      return user ? toDirectoryUser(user) : undefined;
    },

    async updateMail(userId, mail) {
      await call(() => client.api(`/users/${segment(userId)}`).patch({ mail }));
    },

    async resetRedemption(input: ResetRedemptionInput): Promise<InvitationResult> {
      const invitation = (await call(() =>
        client.api('/invitations').post({
          invitedUserEmailAddress: input.email,
          inviteRedirectUrl: input.redirectUrl,
          invitedUser: { id: input.userId },
          resetRedemption: true,
          sendInvitationMessage: input.sendInvitationMessage,
        }),
      )) as GraphObject;
      return { invitationId: String(invitation.id), inviteRedeemUrl: String(invitation.inviteRedeemUrl), status: String(invitation.status) };
    },

    /**
     * MIME mode (the only way to send a text part with the HTML): the message base64-encoded as a
     * `text/plain` body. MIME mode has no `saveToSentItems`; the sender is a no-reply mailbox.
     */
    async sendMail(message: MailMessage & { from: string }) {
      const body = Buffer.from(mimeMessage(message), 'utf8').toString('base64');
      await call(() => client.api(`/users/${segment(message.from)}/sendMail`).header('Content-Type', 'text/plain').post(body));
    },
  };
}
