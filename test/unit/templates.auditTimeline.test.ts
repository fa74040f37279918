import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CANCEL_REQUESTED, CONFIRMATION_DEADLINE_PASSED, DEADLINE_PASSED, DECISION_RECEIVED, NEW_EMAIL_CONFIRMED } from '../../src/store/outcomeClaim.js';
import { actorInWords, describeAuditEvent, isDescribedAuditEvent } from '../../src/templates/auditTimeline.js';

/** Every audit event type the app writes, read from its sources, so a new type without words fails here. */
function auditTypesInSources(): string[] {
  const dir = path.resolve(__dirname, '../../src');
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  const types = new Set<string>([CANCEL_REQUESTED, CONFIRMATION_DEADLINE_PASSED, DEADLINE_PASSED, DECISION_RECEIVED, NEW_EMAIL_CONFIRMED]);
  for (const file of files) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const match of source.matchAll(/auditEvent\(deps, [^,]+, (?:perAttempt\([^)]*\)|[^,]+), '([A-Za-z]+)'/g)) types.add(match[1]!);
    for (const match of source.matchAll(/\btype: '([A-Z][A-Za-z]+)'/g)) types.add(match[1]!);
    // The orchestrator's own audit events of a request's ending and the decision audits of the approval page.
    for (const match of source.matchAll(/audit\([^)]*'([A-Z][A-Za-z]+)'/g)) types.add(match[1]!);
  }
  types.add('Completed');
  types.add('Failed');
  return [...types].sort();
}

describe('the timeline in words', () => {
  test('every audit event type the app writes has a sentence of its own', () => {
    const types = auditTypesInSources();
    expect(types).toEqual(expect.arrayContaining(['Submitted', 'Screened', 'ApproverSkipped', 'Cancelled', 'CancelIgnored', 'GuestLockReleased', 'DecisionIgnored', 'MailFailed']));
    expect(types.filter((type) => !isDescribedAuditEvent(type))).toEqual([]);
  });

  test('sentences carry the facts of the detail', () => {
    expect(describeAuditEvent({ type: 'Cancelled', detail: { reason: 'Duplicate', origin: 'admin' } })).toBe('Cancelled by an admin: Duplicate.');
    expect(describeAuditEvent({ type: 'Cancelled', detail: { reason: 'Not me', origin: 'owner' } })).toBe('Cancelled by the current address\'s owner ("this wasn\'t me"): Not me.');
    expect(describeAuditEvent({ type: 'ApprovalRequested', detail: { approvers: ['a@contoso.com', 'b@contoso.com'], deadline: '2025-05-01T10:00:00.000Z' } })).toBe(
      'Approval asked of a@contoso.com, b@contoso.com, deadline 2025-05-01 10:00 UTC.',
    );
    expect(describeAuditEvent({ type: 'ApproverSkipped', detail: { displayName: 'Eve', mail: 'eve@contoso.com', tier: 'sponsor', reason: 'AccountDisabled' } })).toBe(
      'Eve (eve@contoso.com) skipped as sponsor approver: AccountDisabled.',
    );
    expect(describeAuditEvent({ type: 'ResetFailed', detail: { code: 'Request_BadRequest', message: 'Invalid email', requestId: 'r-1' } })).toBe(
      'The reset failed: Request_BadRequest (Invalid email) (Graph request-id r-1).',
    );
    expect(describeAuditEvent({ type: 'Approved', detail: { comment: 'Checked' } })).toBe('Approved, saying "Checked".');
    expect(describeAuditEvent({ type: 'DecisionIgnored', detail: { outcome: 'rejected', reason: 'This link was already used.' } })).toBe('A rejection was not applied: This link was already used.');
    expect(describeAuditEvent({ type: 'GuestLockReleased', detail: { guestId: 'g-1', reason: 'Instance purged' } })).toBe("The guest's lock was released (guest g-1): Instance purged.");
    expect(describeAuditEvent({ type: 'MailUpdated', detail: { from: 'old@fabrikam.com', to: 'new@northwind.example' } })).toBe("The guest's mail was changed from old@fabrikam.com to new@northwind.example.");
  });

  test('an event without detail, or with detail of unexpected shapes, still reads', () => {
    for (const type of auditTypesInSources()) {
      expect(describeAuditEvent({ type }), type).toMatch(/^[A-Z"].*\.$/);
      expect(describeAuditEvent({ type, detail: { reason: { nested: true }, approvers: 'one@contoso.com', to: ['x@y.example'] } }), type).toMatch(/\.$/);
    }
    expect(describeAuditEvent({ type: 'Declined' })).toBe('Declined.');
  });

  test('an unknown type is still shown, by its type', () => {
    expect(isDescribedAuditEvent('EscalatedToSecondStage')).toBe(false);
    expect(describeAuditEvent({ type: 'EscalatedToSecondStage', detail: { to: 'x' } })).toBe('Event "EscalatedToSecondStage".');
    expect(isDescribedAuditEvent('toString')).toBe(false);
    expect(describeAuditEvent({ type: 'toString' })).toBe('Event "toString".');
  });

  test('who: the workflow and the requester in words, people by their name', () => {
    expect(actorInWords('system')).toBe('the system');
    expect(actorInWords('requester')).toBe('the requester');
    expect(actorInWords('megan.bowen@contoso.com')).toBe('megan.bowen@contoso.com');
  });
});
