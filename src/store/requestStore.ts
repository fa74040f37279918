import type { AuditEvent, EmailChangeRequest, RequestStatus } from '../domain/request.js';

/**
 * Persistence of requests, their audit trail, approval-token hashes, the admin list index and
 * the per-guest lock (DESIGN §6). Implemented over Azure Table Storage by `tableRequestStore.ts`.
 * Every method is idempotent: the orchestrator may run any step twice.
 */
export interface RequestStore {
  /**
   * Inserts the request (if absent) with its first audit events and the hashes of the links about
   * to be mailed, in one entity-group transaction, and indexes it. On a re-run (the request is
   * there) the tokens are still saved, so the links mailed next work. Returns the request as
   * stored, and whether this call created it.
   */
  createRequest(request: EmailChangeRequest, events: AuditEvent | readonly AuditEvent[], tokens?: readonly StoredToken[]): Promise<{ request: EmailChangeRequest; created: boolean }>;
  getRequest(id: string): Promise<EmailChangeRequest | undefined>;
  /** The request and its audit trail (oldest first), read in one query. */
  readRequestWithEvents(id: string): Promise<{ request: EmailChangeRequest; events: AuditEvent[] } | undefined>;
  /**
   * Applies `changes`, appends `events` and saves `tokens` in one entity-group transaction, then
   * refreshes the list index. Writing the same events again is a no-op (the tokens are then saved
   * on their own). Returns the updated request. `changes` may be a function of the stored request,
   * called again whenever the request changed underneath: what it throws refuses the update, so a
   * change can depend on the status it sees.
   */
  updateRequest(id: string, changes: RequestChanges, events: AuditEvent | readonly AuditEvent[], tokens?: readonly StoredToken[]): Promise<EmailChangeRequest>;
  /**
   * Appends an audit event without changing the request. Insert-if-absent by event id: true when
   * this call wrote it, false when an event with that id was already there.
   */
  appendEvent(event: AuditEvent): Promise<boolean>;
  /** Appends events of one request, each insert-if-absent, in one transaction when none is there yet. */
  appendEvents(events: readonly AuditEvent[]): Promise<void>;
  listEvents(id: string): Promise<AuditEvent[]>;
  /** Newest first; `continuationToken` is opaque to callers. */
  listRequests(query: RequestListQuery): Promise<RequestListPage>;

  saveApprovalToken(token: StoredApprovalToken): Promise<void>;
  /**
   * Revokes the request's approval tokens that are neither used nor revoked yet (only
   * `approverId`'s, when given), except those in `keep`: an admin sent new links or another
   * approver. Returns how many it revoked.
   */
  revokeApprovalTokens(requestId: string, revocation: ApprovalTokenRevocation): Promise<number>;

  /** Insert-if-absent, like approval tokens. */
  saveLinkToken(token: StoredLinkToken): Promise<void>;

  /**
   * An approval token with its request (and the audit events with ids in `withEvents`, when
   * written), read together in one query; undefined when the token or the request is missing, and
   * for a token minted for another purpose.
   */
  openApprovalToken(requestId: string, tokenHash: string, withEvents?: readonly string[]): Promise<OpenedToken<StoredApprovalToken> | undefined>;
  /** A link token with its request, in one query; undefined unless the token was minted for `purpose`. */
  openLinkToken(requestId: string, purpose: LinkPurpose, tokenHash: string): Promise<OpenedToken<StoredLinkToken> | undefined>;
  /**
   * Marks an opened token used and writes what using it records, in one entity-group transaction,
   * so either all of it happens or none: `used` for the first caller only (the token must not have
   * changed since it was opened), `tokenSpent` when it was already used or revoked (then or since),
   * `eventExists` when an event with `records.event`'s id was there first (the token stays unused).
   */
  useToken(opened: OpenedToken<StoredApprovalToken | StoredLinkToken>, usedAt: string, records: TokenUseRecords): Promise<TokenUse>;

  /**
   * Insert-if-absent lock: one active request per guest, held until `expiresAt`. A lock whose
   * expiry has passed at `now` is taken over, so an instance that died cannot strand its guest.
   * Returns the lock as it stands after the call: held by `requestId` when acquired.
   */
  acquireGuestLock(guestId: string, requestId: string, expiresAt: string, now: Date): Promise<GuestLock>;
  /** Moves the expiry of the lock if `requestId` holds it; true when it does. */
  extendGuestLock(guestId: string, requestId: string, expiresAt: string): Promise<boolean>;
  /** Releases the lock only if `requestId` holds it. */
  releaseGuestLock(guestId: string, requestId: string): Promise<void>;
  /** Releases every lock `requestId` holds, found by one query: for a step that does not know the guest. */
  releaseGuestLocksHeldBy(requestId: string): Promise<void>;
  getGuestLock(guestId: string): Promise<GuestLock | undefined>;
  /** Removes the guest's lock whoever holds it (an admin's action); the removed lock, if any. */
  forceReleaseGuestLock(guestId: string): Promise<GuestLock | undefined>;
}

export interface GuestLock {
  guestId: string;
  requestId: string;
  /** ISO time after which another request may take the lock; absent on locks written before expiry existed. */
  expiresAt?: string;
}

export type RequestChanges = Partial<EmailChangeRequest> | ((current: EmailChangeRequest) => Partial<EmailChangeRequest>);

export interface StoredApprovalToken {
  requestId: string;
  /** SHA-256 of the secret part of the token, hex. The token itself is never stored. */
  tokenHash: string;
  approverId: string;
  approverMail: string;
  expiresAt: string;
  usedAt?: string;
  /** When an admin's action made the link stop working, and which. */
  revokedAt?: string;
  revokedBecause?: RevocationCause;
}

/** `resent`: newer links went to the approvers; `reassigned`: the approver was replaced. */
export type RevocationCause = 'resent' | 'reassigned';

export interface ApprovalTokenRevocation {
  at: string;
  because: RevocationCause;
  /** Only this approver's tokens. */
  approverId?: string;
  /** Hashes of tokens to leave working (the links just sent). */
  keep?: readonly string[];
}

/** What a link other than an approval link is for (DESIGN §4). */
export type LinkPurpose = 'confirmation' | 'track' | 'report';

/** A token hash of either kind, as saved with a request. */
export type StoredToken = StoredApprovalToken | StoredLinkToken;

export interface StoredLinkToken {
  requestId: string;
  purpose: LinkPurpose;
  /** SHA-256 of the secret part of the token, hex. */
  tokenHash: string;
  expiresAt: string;
  usedAt?: string;
}

/** A token as read together with its request; `etag` is the token row's, which using it requires. */
export interface OpenedToken<T extends StoredApprovalToken | StoredLinkToken> {
  token: T;
  request: EmailChangeRequest;
  etag: string;
  /** The events asked for that are written. */
  events: AuditEvent[];
}

/** Rows written with a token's use: an event that must be the first with its id, a link minted in answer. */
export interface TokenUseRecords {
  event: AuditEvent;
  newLink?: StoredLinkToken;
}

export type TokenUse = 'used' | 'tokenSpent' | 'eventExists';

export interface RequestListQuery {
  /** Any of these statuses. */
  statuses?: readonly RequestStatus[];
  /** A prefix of the current or the new email, case-insensitive. */
  email?: string;
  guestId?: string;
  /** Only the requests the owner of the current address reported ("this wasn't me"). */
  reportedByOwner?: true;
  /** Submission time bounds, ISO, both inclusive. */
  from?: string;
  to?: string;
  top?: number;
  continuationToken?: string;
}

export interface RequestListPage {
  items: EmailChangeRequest[];
  continuationToken?: string;
}
