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
import {
  GraphRequestError,
  type DirectoryPrincipal,
  type DirectoryUser,
  type GraphGateway,
  type InvitationResult,
  type MailMessage,
  type ResetRedemptionInput,
  type UserWithRoles,
} from './graphGateway.js';
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
/** Enough of a membership to tell a directory role and name it. */
const MEMBERSHIP_FIELDS = 'id,displayName';

/**
 * On directory objects Graph returns at most 20 items of an expanded relationship, with no next
 * link for the rest (query-parameters "expand"). An expansion of 20 may therefore be cut short;
 * one of fewer is the whole relationship.
 */
const EXPANDED_ITEMS_LIMIT = 20;

/**
 * Directory roles are read with the user itself, `$expand=memberOf`: one call, and the user's
 * state and roles as of the same moment. Not the `memberOf/microsoft.graph.directoryRole` cast:
 * a cast is an advanced query (`ConsistencyLevel: eventual` and `$count`), answered from an index
 * that may not show a role assigned moments ago, which a security check cannot accept. Direct
 * memberships, as before: an app holding only User.ReadWrite.All still sees each one's
 * `@odata.type` and id ("limited information"), which is enough to know a role is held.
 */
const WITH_ROLES = `$expand=memberOf($select=${MEMBERSHIP_FIELDS})`;
/** The sponsors with the fields the approver rules read, in the user's own call. */
const WITH_SPONSORS = `$expand=sponsors($select=${SPONSOR_FIELDS.join(',')})`;

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

function toDirectoryPrincipals(objects: GraphObject[]): DirectoryPrincipal[] {
  return objects.flatMap((raw): DirectoryPrincipal[] => {
    const type = raw['@odata.type'];
    if (type === '#microsoft.graph.user') return [{ kind: 'user', ...toDirectoryUser(raw) }];
    if (type === '#microsoft.graph.group') {
      return [{ kind: 'group', id: String(raw.id), displayName: typeof raw.displayName === 'string' ? raw.displayName : '', mail: typeof raw.mail === 'string' ? raw.mail : null }];
    }
    return [];
  });
}

function directoryRoleNames(memberships: GraphObject[]): string[] {
  return memberships
    .filter((m) => m['@odata.type'] === '#microsoft.graph.directoryRole')
    .map((r) => (typeof r.displayName === 'string' && r.displayName ? r.displayName : String(r.id)));
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

  /** Every item of a relationship the user was read with: the expansion, or the full list when the expansion may be cut short. */
  async function relationshipInFull(user: GraphObject, relation: string, listPath: string): Promise<GraphObject[]> {
    const expanded = user[relation];
    if (Array.isArray(expanded) && expanded.length < EXPANDED_ITEMS_LIMIT) return expanded as GraphObject[];
    return listAll(listPath);
  }

  const rolesPath = (userId: string) => `/users/${segment(userId)}/memberOf?$select=${MEMBERSHIP_FIELDS}`;
  const sponsorsPath = (userId: string) => `/users/${segment(userId)}/sponsors?$select=${SPONSOR_FIELDS.join(',')}`;

  async function withRoles(raw: GraphObject): Promise<UserWithRoles> {
    const user = toDirectoryUser(raw);
    return { ...user, directoryRoles: directoryRoleNames(await relationshipInFull(raw, 'memberOf', rolesPath(user.id))) };
  }

  /**
   * The user whose `mail` or `otherMails` is the email: the one whose primary `mail` it is, else the
   * only one that lists it in `otherMails`. When that does not name one user (two list the same
   * address), nobody: picking one would ask the wrong account's sponsors about a change to it.
   */
  async function findByEmail(email: string, expand: string): Promise<GraphObject | undefined> {
    const literal = odataString(email);
    const filter = `mail eq ${literal} or otherMails/any(x:x eq ${literal})`;
    const users = await listAll(`/users?$filter=${filter}&$select=${USER_FIELDS.join(',')}&${expand}`);
    const lower = email.toLowerCase();
    const primary = users.filter((u) => typeof u.mail === 'string' && u.mail.toLowerCase() === lower);
    const candidates = primary.length > 0 ? primary : users;
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  return {
    async findUserByMailOrUpn(address) {
      const literal = odataString(address);
      const users = await listAll(`/users?$filter=mail eq ${literal} or userPrincipalName eq ${literal}&$select=${USER_FIELDS.join(',')}`);
      // One user's mail and another's sign-in name: neither is the one meant, for sure.
      return users.length === 1 ? toDirectoryUser(users[0]) : undefined;
    },

    async findUserWithRolesByEmail(email) {
      const match = await findByEmail(email, WITH_ROLES);
      return match ? withRoles(match) : undefined;
    },

    async getUserWithRoles(userId) {
      const raw = await getOptional(`/users/${segment(userId)}?$select=${USER_FIELDS.join(',')}&${WITH_ROLES}`);
      return raw ? withRoles(raw) : undefined;
    },

    async getUserWithSponsors(userId) {
      const raw = await getOptional(`/users/${segment(userId)}?$select=${USER_FIELDS.join(',')}&${WITH_SPONSORS}`);
      if (!raw) return undefined;
      const user = toDirectoryUser(raw);
      return { user, sponsors: toDirectoryPrincipals(await relationshipInFull(raw, 'sponsors', sponsorsPath(user.id))) };
    },

    async getSponsors(userId) {
      return toDirectoryPrincipals(await listAll(sponsorsPath(userId)));
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
