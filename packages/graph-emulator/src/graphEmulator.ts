import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from './escapeHtml.js';
import type { RouteHandler } from './nodeHttp.js';
import defaultSeed from './tenant.seed.json';
import { CallLog, type GraphCall } from './callLog.js';
import { FaultInjector, type GraphFault } from './faults.js';
import { callIdsFor, GraphHttpError, rawQuery, readJsonBody, readTextBody, resourceNotFound, sendEmpty, sendGraphError, sendJson, type CallIds } from './graphHttp.js';
import { decodeMimeBody, parseMimeMail, type ParsedMimeMail } from './mimeMessage.js';
import { postInvitation } from './invitations.js';
import { parseExpand } from './odataExpand.js';
import { parseFilter } from './odataFilter.js';
import { Outbox, type OutboxMessage } from './outbox.js';
import { SlidingWindowThrottle } from './slidingWindowThrottle.js';
import { TenantDirectory, type InvitationResource, type TenantDirectoryState, type TenantUser } from './tenantDirectory.js';
import { tenantSeedSchema, type NewTenantUser } from './tenantSeed.js';

/**
 * An in-process emulated Entra tenant answering the Microsoft Graph calls the product makes
 * (DESIGN §5, §7) with Graph's shapes, status codes and error bodies, plus the invitation
 * throttle and fault injection, so the real Graph gateway can be exercised end to end locally.
 */

export interface GraphEmulatorOptions {
  /** Tenant contents in the `tenant.seed.json` format; the bundled seed when absent. */
  seed?: unknown;
  /** The `/invitations` limit; Graph's is 150 requests per 5 s. */
  invitationThrottle?: { limit: number; windowMs: number };
  /** Items per page before `@odata.nextLink` (Graph's default is 100). */
  pageSize?: number;
  clock?: () => Date;
}

export interface GraphEmulator {
  /** Serves `/v1.0/...`; resolves false for any other path. */
  handle: RouteHandler;
  readonly tenantId: string;
  readonly verifiedDomains: string[];
  /** Adds a user (DESIGN §7); throws `TenantInputError` on bad input. Returns the user as the snapshot shows it. */
  addUser(input: NewTenantUser): Record<string, unknown>;
  /** `{users, groups, invitations}` in Graph's shapes. */
  snapshot(): { users: Record<string, unknown>[]; groups: Record<string, unknown>[]; invitations: InvitationResource[] };
  outbox(): OutboxMessage[];
  clearOutbox(): void;
  /** The tenant and outbox as plain JSON, so the local host can resume them after a restart. */
  exportState(): GraphEmulatorState;
  /** Restores what `exportState` gave; throws when the value is not such a state. */
  importState(state: unknown): void;
  /** The Graph calls received so far (the newest 10,000), faulted ones included. */
  calls(): GraphCall[];
  clearCalls(): void;
  /** Throws `RangeError` for a fault that could never fire. */
  addFault(fault: GraphFault): void;
  clearFaults(): void;
}

/** Saved emulator state; the format tag lets a future change refuse an old file clearly. */
export interface GraphEmulatorState extends TenantDirectoryState {
  format: typeof STATE_FORMAT;
  outbox: OutboxMessage[];
}

const STATE_FORMAT = 'graph-emulator-state/1';
const GRAPH_CONTEXT = 'https://graph.microsoft.com/v1.0/$metadata';
const INVITATION_SENDER = 'invites@microsoft.com';
/** Items of an expanded relationship Graph returns on directory objects (query-parameters "expand"). */
const EXPANDED_ITEMS_LIMIT = 20;

interface Call {
  req: IncomingMessage;
  url: URL;
  method: string;
  segments: string[];
  query: Map<string, string>;
  now: Date;
}

/** The JSON mode's one body, as HTML or text per its `contentType`. */
function jsonMail(body: unknown): ParsedMimeMail {
  const message = (body as { message?: Record<string, unknown> } | undefined)?.message;
  if (!message || typeof message !== 'object') throw new GraphHttpError(400, 'ErrorInvalidRequest', 'The message is required.');
  const recipients = Array.isArray(message.toRecipients) ? (message.toRecipients as { emailAddress?: { address?: unknown } }[]) : [];
  const content = message.body as { contentType?: unknown; content?: unknown } | undefined;
  const text = typeof content?.content === 'string' ? content.content : '';
  const isHtml = String(content?.contentType ?? 'Text').toLowerCase() === 'html';
  return {
    subject: typeof message.subject === 'string' ? message.subject : '',
    to: recipients.map((r) => r?.emailAddress?.address).map((address) => (typeof address === 'string' ? address : '')),
    ...(isHtml ? { html: text } : { text }),
  };
}

function isEmail(value: unknown): value is string {
  return typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

export function createGraphEmulator(options: GraphEmulatorOptions = {}): GraphEmulator {
  const clock = options.clock ?? (() => new Date());
  const directory = new TenantDirectory(tenantSeedSchema.parse(options.seed ?? defaultSeed), clock);
  const outbox = new Outbox();
  const faults = new FaultInjector();
  const callLog = new CallLog();
  const throttleSettings = options.invitationThrottle ?? { limit: 150, windowMs: 5000 };
  const invitationThrottle = new SlidingWindowThrottle(throttleSettings.limit, throttleSettings.windowMs);
  const pageSize = options.pageSize ?? 100;

  function requireUser(id: string): TenantUser {
    const user = directory.findUser(id);
    if (!user) throw resourceNotFound(id);
    return user;
  }

  /** `$select` over one object; unknown names are a 400 for a single typed resource, as in Graph. */
  function project(resource: Record<string, unknown>, fallback: Record<string, unknown>, select: string | undefined, typeName?: string): Record<string, unknown> {
    if (!select) return fallback;
    const projected: Record<string, unknown> = {};
    if (resource['@odata.type'] !== undefined) projected['@odata.type'] = resource['@odata.type'];
    for (const name of select.split(',').map((s) => s.trim()).filter(Boolean)) {
      const key = Object.keys(resource).find((k) => k.toLowerCase() === name.toLowerCase());
      if (key !== undefined) projected[key] = resource[key];
      else if (typeName) throw new GraphHttpError(400, 'Request_BadRequest', `Could not find a property named '${name}' on type '${typeName}'.`);
    }
    return projected;
  }

  function userObject(user: TenantUser, select: string | undefined, typed: boolean): Record<string, unknown> {
    const type = typed ? { '@odata.type': '#microsoft.graph.user' } : {};
    return project({ ...type, ...directory.userResource(user) }, { ...type, ...directory.defaultUserResource(user) }, select, typed ? undefined : 'microsoft.graph.user');
  }

  /** The guest's sponsors, users and groups, each typed (`/sponsors`, `$expand=sponsors`). */
  function sponsorObjects(user: TenantUser, select: string | undefined): Record<string, unknown>[] {
    return user.sponsorIds.flatMap((sponsorId) => {
      const sponsorUser = directory.findUser(sponsorId);
      if (sponsorUser) return [userObject(sponsorUser, select, true)];
      const group = directory.findGroup(sponsorId);
      if (!group) return [];
      const resource = { '@odata.type': '#microsoft.graph.group', ...directory.groupResource(group) };
      return [project(resource, resource, select)];
    });
  }

  /** Direct memberships (`/memberOf`, `$expand=memberOf`): without a cast Graph lists groups and roles together; callers tell them apart by @odata.type. */
  function membershipObjects(user: TenantUser, select: string | undefined, rolesOnly = false): Record<string, unknown>[] {
    const roles = user.directoryRoles.map((name) => directory.directoryRoleResource(name));
    const groups = rolesOnly ? [] : directory.groupsWithMember(user.id).map((g) => ({ '@odata.type': '#microsoft.graph.group', ...directory.groupResource(g) }));
    return [...groups, ...roles].map((r) => project(r, r, select));
  }

  /** Relationships a user read can expand, as Graph names them. */
  const EXPANDABLE: Record<string, (user: TenantUser, select: string | undefined) => Record<string, unknown>[]> = {
    memberOf: (user, select) => membershipObjects(user, select),
    sponsors: sponsorObjects,
  };

  /**
   * A user as `/users` and `/users/{id}` return it, with the relationship `$expand` names (and its
   * own `$select`, as in `memberOf($select=id)`). Graph expands one relationship per request, and
   * on directory objects at most 20 of its items, with no next link for the rest (query-parameters
   * "expand"): a caller that needs all of them must notice a full 20 and list the relationship.
   */
  function expandedUserObject(user: TenantUser, call: Call): Record<string, unknown> {
    const object = userObject(user, call.query.get('$select'), false);
    const expand = parseExpand(call.query.get('$expand'), Object.keys(EXPANDABLE), 'microsoft.graph.user');
    if (!expand) return object;
    return { ...object, [expand.name]: EXPANDABLE[expand.name]!(user, expand.select).slice(0, EXPANDED_ITEMS_LIMIT) };
  }

  /** A collection answer with Graph's paging (`$top`, `$skiptoken`, `@odata.nextLink`). */
  function sendPage(res: ServerResponse, ids: CallIds, call: Call, context: string, items: Record<string, unknown>[]): void {
    const top = call.query.has('$top') ? Number(call.query.get('$top')) : pageSize;
    if (!Number.isInteger(top) || top < 1 || top > 999) throw new GraphHttpError(400, 'Request_BadRequest', `Invalid page size specified: '${call.query.get('$top')}'. Must be between 1 and 999 inclusive.`);
    const token = call.query.get('$skiptoken');
    const offset = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw new GraphHttpError(400, 'Request_BadRequest', 'The specified page token value has expired and can no longer be included in your request.');
    const body: Record<string, unknown> = { '@odata.context': `${GRAPH_CONTEXT}#${context}` };
    const counted = call.query.get('$count') === 'true' && String(call.req.headers.consistencylevel ?? '').toLowerCase() === 'eventual';
    if (counted) body['@odata.count'] = items.length;
    body.value = items.slice(offset, offset + top);
    if (offset + top < items.length) {
      const kept = call.url.search.slice(1).split('&').filter((p) => p && !p.toLowerCase().startsWith('%24skiptoken=') && !p.toLowerCase().startsWith('$skiptoken='));
      kept.push(`$skiptoken=${Buffer.from(String(offset + top)).toString('base64url')}`);
      body['@odata.nextLink'] = `${call.url.origin}${call.url.pathname}?${kept.join('&')}`;
    }
    sendJson(res, ids, 200, body);
  }

  function listUsers(res: ServerResponse, ids: CallIds, call: Call): void {
    const filter = call.query.get('$filter');
    const matches = filter === undefined ? () => true : parseFilter(filter);
    const users = directory.allUsers().filter((u) => matches(directory.userResource(u)));
    sendPage(res, ids, call, 'users', users.map((u) => expandedUserObject(u, call)));
  }

  async function updateUser(user: TenantUser, call: Call): Promise<void> {
    const body = await readJsonBody(call.req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GraphHttpError(400, 'Request_BadRequest', 'The request body must be a user object.');
    const changes = body as Record<string, unknown>;
    const invalid = (name: string) => new GraphHttpError(400, 'Request_BadRequest', `Invalid value specified for property '${name}' of resource 'User'.`);
    for (const [name, value] of Object.entries(changes)) {
      switch (name) {
        case 'mail':
          if (value !== null && !isEmail(value)) throw invalid(name);
          if (value !== null && directory.mailTakenByOther(value, user.id)) {
            throw new GraphHttpError(400, 'Request_BadRequest', 'Another object with the same value for property proxyAddresses already exists.');
          }
          break;
        case 'otherMails':
          if (!Array.isArray(value) || !value.every(isEmail)) throw invalid(name);
          break;
        case 'displayName':
          if (typeof value !== 'string' || !value.trim()) throw invalid(name);
          break;
        case 'accountEnabled':
          if (typeof value !== 'boolean') throw invalid(name);
          break;
        default:
          throw new GraphHttpError(400, 'Request_BadRequest', `Property '${name}' does not exist as a declared property or extension property.`);
      }
    }
    if ('mail' in changes) user.mail = changes.mail as string | null;
    if ('otherMails' in changes) user.otherMails = [...(changes.otherMails as string[])];
    if ('displayName' in changes) user.displayName = changes.displayName as string;
    if ('accountEnabled' in changes) user.accountEnabled = changes.accountEnabled as boolean;
  }

  /**
   * JSON mode (`{message: {subject, body, toRecipients}}`) or MIME mode (a `text/plain` body
   * holding a base64 MIME message, whose text and HTML parts are both kept).
   */
  async function sendMail(sender: TenantUser | undefined, call: Call): Promise<void> {
    if (!sender?.mailboxEnabled) {
      throw new GraphHttpError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
    }
    const mimeMode = String(call.req.headers['content-type'] ?? '').toLowerCase().startsWith('text/plain');
    const mail = mimeMode ? parseMimeMail(decodeMimeBody(await readTextBody(call.req))) : jsonMail(await readJsonBody(call.req));
    if (mail.to.length === 0 || !mail.to.every(isEmail)) throw new GraphHttpError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
    // A text-only message is shown as preformatted text, as a mail client would.
    const html = mail.html ?? `<pre>${escapeHtml(mail.text ?? '')}</pre>`;
    outbox.add({ from: sender.mail ?? sender.userPrincipalName, to: mail.to, subject: mail.subject, html, ...(mail.text === undefined ? {} : { text: mail.text }), sentAt: call.now });
  }

  function invitationMessage(invitation: InvitationResource, now: Date): void {
    const link = String(invitation.inviteRedeemUrl);
    outbox.add({
      from: INVITATION_SENDER,
      to: [String(invitation.invitedUserEmailAddress)],
      subject: `You're invited to the ${directory.tenantDisplayName} organization`,
      html: `<p>You have been invited to access applications in the ${escapeHtml(directory.tenantDisplayName)} organization.</p><p><a href="${escapeHtml(link)}">Accept invitation</a></p>`,
      sentAt: now,
    });
  }

  async function route(res: ServerResponse, ids: CallIds, call: Call): Promise<void> {
    const [collection, id, relation, cast, ...rest] = call.segments;
    const method = call.method;
    const unsupportedMethod = () => new GraphHttpError(405, 'Request_BadRequest', `The request method '${method}' is not supported for this resource.`);
    if (rest.length > 0) throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${rest[0]}'.`);

    if (collection === 'invitations' && id === undefined) {
      if (method !== 'POST') throw unsupportedMethod();
      const throttle = invitationThrottle.tryAdmit(call.now.getTime());
      if (!throttle.admitted) throw new GraphHttpError(429, 'TooManyRequests', 'Please retry again later.', throttle.retryAfterSeconds);
      const { invitation } = postInvitation(directory, await readJsonBody(call.req), call.now);
      if (invitation.sendInvitationMessage) invitationMessage(invitation, call.now);
      sendJson(res, ids, 201, { '@odata.context': `${GRAPH_CONTEXT}#invitations/$entity`, ...invitation });
      return;
    }

    if (collection === 'users') {
      if (id === undefined) {
        if (method !== 'GET') throw unsupportedMethod();
        listUsers(res, ids, call);
        return;
      }
      if (relation === 'sendMail' && cast === undefined) {
        if (method !== 'POST') throw unsupportedMethod();
        await sendMail(directory.findUser(id), call);
        sendEmpty(res, ids, 202);
        return;
      }
      const user = requireUser(id);
      if (relation === undefined) {
        if (method === 'GET') {
          sendJson(res, ids, 200, { '@odata.context': `${GRAPH_CONTEXT}#users/$entity`, ...expandedUserObject(user, call) });
        } else if (method === 'PATCH') {
          await updateUser(user, call);
          sendEmpty(res, ids, 204);
        } else {
          throw unsupportedMethod();
        }
        return;
      }
      if (method !== 'GET') throw unsupportedMethod();
      if (relation === 'manager' && cast === undefined) {
        const manager = user.managerId ? directory.findUser(user.managerId) : undefined;
        if (!manager) throw resourceNotFound('manager');
        sendJson(res, ids, 200, { '@odata.context': `${GRAPH_CONTEXT}#directoryObjects/$entity`, ...userObject(manager, call.query.get('$select'), true) });
        return;
      }
      if (relation === 'sponsors' && cast === undefined) {
        sendPage(res, ids, call, 'directoryObjects', sponsorObjects(user, call.query.get('$select')));
        return;
      }
      if (relation === 'memberOf' && (cast === undefined || cast === 'microsoft.graph.directoryRole')) {
        sendPage(res, ids, call, cast === undefined ? 'directoryObjects' : 'directoryRoles', membershipObjects(user, call.query.get('$select'), cast !== undefined));
        return;
      }
      throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${cast ?? relation}'.`);
    }

    if (collection === 'groups' && id !== undefined) {
      if (method !== 'GET') throw unsupportedMethod();
      const group = directory.findGroup(id);
      if (!group) throw resourceNotFound(id);
      if (relation === undefined) {
        const resource = directory.groupResource(group);
        sendJson(res, ids, 200, { '@odata.context': `${GRAPH_CONTEXT}#groups/$entity`, ...project(resource, resource, call.query.get('$select'), 'microsoft.graph.group') });
        return;
      }
      if ((relation === 'transitiveMembers' || relation === 'members') && (cast === undefined || cast === 'microsoft.graph.user')) {
        const users = relation === 'members'
          ? group.memberIds.map((m) => directory.findUser(m)).filter((u): u is TenantUser => u !== undefined)
          : directory.transitiveUserMembers(group);
        sendPage(res, ids, call, cast === undefined ? 'directoryObjects' : 'users', users.map((u) => userObject(u, call.query.get('$select'), true)));
        return;
      }
      throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${cast ?? relation}'.`);
    }

    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${collection ?? ''}'.`);
  }

  const handle: RouteHandler = async (req, res, url) => {
    if (!url.pathname.startsWith('/v1.0/')) return false;
    const ids = callIdsFor(req);
    const now = clock();
    callLog.record(req.method ?? 'GET', url, now);
    try {
      const injected = faults.take(req.method ?? 'GET', url.pathname);
      if (injected) throw injected;
      const segments = url.pathname.slice('/v1.0/'.length).split('/').filter(Boolean).map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          throw new GraphHttpError(400, 'BadRequest', `Invalid segment '${s}'.`);
        }
      });
      await route(res, ids, { req, url, method: (req.method ?? 'GET').toUpperCase(), segments, query: rawQuery(url), now });
    } catch (error) {
      const graphError = error instanceof GraphHttpError
        ? error
        : new GraphHttpError(500, 'InternalServerError', `Emulator failure: ${error instanceof Error ? error.message : String(error)}`);
      if (!req.readableEnded) req.resume();
      if (res.headersSent) res.destroy(graphError);
      else sendGraphError(res, ids, graphError, now);
    }
    return true;
  };

  return {
    handle,
    tenantId: directory.tenantId,
    verifiedDomains: [...directory.verifiedDomains],
    addUser: (input) => directory.userSnapshot(directory.addUser(input)),
    snapshot: () => directory.snapshot(),
    outbox: () => outbox.list(),
    clearOutbox: () => outbox.clear(),
    exportState: () => ({ format: STATE_FORMAT, ...directory.exportState(), outbox: outbox.list() }),
    importState: (state) => {
      const saved = state as Partial<GraphEmulatorState> | null;
      if (saved?.format !== STATE_FORMAT || ![saved.users, saved.groups, saved.invitations, saved.outbox].every(Array.isArray)) {
        throw new Error(`Not a saved Graph emulator state (expected format ${STATE_FORMAT}); delete the file to start from the seed.`);
      }
      directory.importState(saved as GraphEmulatorState);
      outbox.replace((saved as GraphEmulatorState).outbox);
    },
    calls: () => callLog.list(),
    clearCalls: () => callLog.clear(),
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
  };
}
