import { describe, expect, test } from 'vitest';
import { eligibleApprovers, selectApprovers as selectWithSkips, type ApproverCandidate, type ApproverCandidates } from '../../src/domain/approvers.js';
import type { Approver } from '../../src/domain/request.js';

/** An enabled internal member: the only kind of person who may approve. */
const person = (id: string, mail: string, displayName = id): ApproverCandidate => ({ id, mail, displayName, userType: 'Member', accountEnabled: true });
const selectApprovers = (input: ApproverCandidates): Approver[] => selectWithSkips(input).approvers;
const guest = { id: 'guest-1', mail: 'ada@fabrikam.com', otherMails: ['ada.alt@fabrikam.com'] };

const candidates = (overrides: Partial<ApproverCandidates> = {}): ApproverCandidates => ({
  guest,
  sponsors: [],
  groupSponsorMembers: [],
  fallback: [person('fb-1', 'helpdesk@contoso.com')],
  excludedEmails: ['ada@fabrikam.com', 'ada@northwind.com'],
  ...overrides,
});

const ids = (approvers: Approver[]) => approvers.map((a) => a.id);

test('sponsors and members of group sponsors, in order', () => {
  const result = selectApprovers(
    candidates({ sponsors: [person('s1', 's1@contoso.com')], groupSponsorMembers: [person('g1', 'g1@contoso.com')], manager: person('m', 'm@contoso.com') }),
  );
  expect(ids(result)).toEqual(['s1', 'g1']);
});

test('only group sponsor members is enough', () => {
  expect(ids(selectApprovers(candidates({ groupSponsorMembers: [person('g1', 'g1@contoso.com')] })))).toEqual(['g1']);
});

test('the manager when there is no eligible sponsor', () => {
  const result = selectApprovers(candidates({ sponsors: [person('s1', 'ADA@fabrikam.com')], manager: person('m', 'm@contoso.com') }));
  expect(ids(result)).toEqual(['m']);
});

test('the fallback when there is neither sponsor nor eligible manager', () => {
  expect(ids(selectApprovers(candidates()))).toEqual(['fb-1']);
  expect(ids(selectApprovers(candidates({ manager: person('m', '') })))).toEqual(['fb-1']);
});

test('empty when nobody is eligible', () => {
  expect(selectApprovers(candidates({ fallback: [] }))).toEqual([]);
  expect(selectApprovers(candidates({ fallback: [person('fb', 'ada@northwind.com')] }))).toEqual([]);
});

test('never the guest itself, by id', () => {
  const result = selectApprovers(candidates({ sponsors: [person('guest-1', 'someone@contoso.com'), person('s2', 's2@contoso.com')] }));
  expect(ids(result)).toEqual(['s2']);
});

test('never anyone at the old, the new, or any of the guest addresses, case-insensitively', () => {
  const result = selectApprovers(
    candidates({
      sponsors: [
        person('old', ' Ada@Fabrikam.com'),
        person('new', 'ADA@northwind.com'),
        person('alt', 'ada.alt@FABRIKAM.com'),
        person('ok', 'ok@contoso.com'),
      ],
    }),
  );
  expect(ids(result)).toEqual(['ok']);
});

test('guest addresses are excluded even when the caller did not list them', () => {
  const result = selectApprovers(candidates({ excludedEmails: [], sponsors: [person('alt', 'ada.alt@fabrikam.com')] }));
  expect(ids(result)).toEqual(['fb-1']);
});

test('a guest without mail still leaves other sponsors eligible', () => {
  const result = selectApprovers(candidates({ guest: { id: 'g', mail: null, otherMails: [] }, sponsors: [person('s', 's@contoso.com')] }));
  expect(ids(result)).toEqual(['s']);
});

test('anyone without a mail is skipped', () => {
  const noMail = { ...person('x', ''), mail: null } as unknown as ApproverCandidate;
  expect(ids(selectApprovers(candidates({ sponsors: [noMail, person('blank', '  ')] })))).toEqual(['fb-1']);
});

test('de-duplicated by id and by mail, first one kept', () => {
  const result = selectApprovers(
    candidates({
      sponsors: [person('s1', 's1@contoso.com', 'First'), person('s2', 'S1@contoso.com')],
      groupSponsorMembers: [person('s1', 'other@contoso.com'), person('g1', 'g1@contoso.com')],
    }),
  );
  expect(result.map((a) => `${a.id}:${a.displayName}`)).toEqual(['s1:First', 'g1:g1']);
});

test('fallback approvers are told apart by mail as well as by id', () => {
  const result = selectApprovers(candidates({ fallback: [person('f1', 'a@contoso.com'), person('f2', 'b@contoso.com'), person('f3', 'A@contoso.com')] }));
  expect(result.map((a) => a.mail)).toEqual(['a@contoso.com', 'b@contoso.com']);
});

describe('only enabled internal members approve, at every tier, and every skip says why', () => {
  const outsider = (id: string) => ({ ...person(id, `${id}@partner.example`), userType: 'Guest' });
  const disabled = (id: string) => ({ ...person(id, `${id}@contoso.com`), accountEnabled: false });

  test('a guest sponsor, a guest member of a sponsor group and a disabled sponsor are skipped; the manager approves', () => {
    const { approvers, skipped } = selectWithSkips(
      candidates({ sponsors: [outsider('gs'), disabled('ds')], groupSponsorMembers: [outsider('gm')], manager: person('m', 'm@contoso.com') }),
    );
    expect(ids(approvers)).toEqual(['m']);
    expect(skipped.map((s) => `${s.id}:${s.tier}:${s.reason}`)).toEqual(['gs:sponsor:NotAMember', 'ds:sponsor:AccountDisabled', 'gm:sponsorGroupMember:NotAMember']);
  });

  test('a guest or contact manager is skipped and the fallback approves', () => {
    const contact = { ...person('c', 'c@contoso.com'), userType: '', accountEnabled: false };
    for (const manager of [outsider('gm'), contact]) {
      const { approvers, skipped } = selectWithSkips(candidates({ manager }));
      expect(ids(approvers)).toEqual(['fb-1']);
      expect(skipped).toEqual([expect.objectContaining({ id: manager.id, tier: 'manager', reason: 'NotAMember' })]);
    }
  });

  test('fallback entries that are guests, disabled, or unknown to the directory leave nobody: empty, with every skip', () => {
    const unknown: ApproverCandidate = { id: '', displayName: 'shared@elsewhere.example', mail: 'shared@elsewhere.example' };
    const { approvers, skipped } = selectWithSkips(candidates({ fallback: [outsider('fg'), disabled('fd'), unknown] }));
    expect(approvers).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual(['NotAMember', 'AccountDisabled', 'NotInDirectory']);
  });

  test('the guest themself and holders of the old or new address are skipped with their reason', () => {
    const { skipped } = selectWithSkips(candidates({ sponsors: [person('guest-1', 'x@contoso.com'), person('o', 'ada@fabrikam.com'), person('ok', 'ok@contoso.com')] }));
    expect(skipped.map((s) => `${s.id}:${s.reason}`)).toEqual(['guest-1:IsTheGuest', 'o:HoldsRequestAddress']);
  });

  test('an address held in another spelling of the same mailbox counts: a Unicode domain is its punycode', () => {
    const holder = { ...person('m', 'mallory@contoso.com'), otherAddresses: ['Mallory@Bücher.example'] };
    const { skipped } = selectWithSkips(candidates({ excludedEmails: ['ada@fabrikam.com', 'mallory@xn--bcher-kva.example'], sponsors: [holder, person('ok', 'ok@contoso.com')] }));
    expect(skipped.map((s) => `${s.id}:${s.reason}`)).toEqual(['m:HoldsRequestAddress']);
  });

  test('tiers after the one that yields approvers are not looked at, so they report no skips', () => {
    const { approvers, skipped } = selectWithSkips(candidates({ sponsors: [person('s', 's@contoso.com')], manager: outsider('m') }));
    expect(ids(approvers)).toEqual(['s']);
    expect(skipped).toEqual([]);
  });
});

test('a candidate whose other addresses (otherMails, UPN) include the old or new email is excluded too', () => {
  const aliasOfNew = { ...person('s1', 's1@contoso.com'), otherAddresses: ['ADA@northwind.com'] };
  const upnOfOld = { ...person('s2', 's2@contoso.com'), otherAddresses: ['ada@fabrikam.com'] };
  const clean = { ...person('s3', 's3@contoso.com'), otherAddresses: ['s3.alt@contoso.com'] };
  const result = selectApprovers(candidates({ sponsors: [aliasOfNew, upnOfOld, clean] }));
  expect(ids(result)).toEqual(['s3']);
  // What is stored and mailed is the approver, without the addresses used for the check.
  expect(result[0]).toEqual({ id: 's3', mail: 's3@contoso.com', displayName: 's3' });
});

test('eligibleApprovers: everyone eligible at every tier, by the same skip rules, each person once', () => {
  const disabled = { ...person('d', 'd@contoso.com'), accountEnabled: false };
  const all = eligibleApprovers(
    candidates({
      sponsors: [person('s', 's@contoso.com'), disabled, person('guest-1', 'x@contoso.com')],
      groupSponsorMembers: [person('s', 's@contoso.com'), { ...person('g', 'g@contoso.com'), userType: 'Guest' }],
      manager: person('m', 'm@contoso.com'),
      fallback: [person('fb-1', 'helpdesk@contoso.com'), person('fb-2', 'ada@northwind.com')],
    }),
  );
  expect(ids(all)).toEqual(['s', 'm', 'fb-1']);
  expect(all[1]).toEqual({ id: 'm', mail: 'm@contoso.com', displayName: 'm' });
});
