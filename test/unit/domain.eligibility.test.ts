import { expect, test } from 'vitest';
import { checkEligibility } from '../../src/domain/eligibility.js';

test('an enabled guest without roles is eligible', () => {
  expect(checkEligibility({ userType: 'Guest', accountEnabled: true }, [])).toBeUndefined();
});

test.each([
  ['member', { userType: 'Member', accountEnabled: true }, [], 'NotAGuest'],
  ['null userType', { userType: null, accountEnabled: true }, [], 'NotAGuest'],
  ['disabled guest', { userType: 'Guest', accountEnabled: false }, [], 'AccountDisabled'],
  ['guest with a role', { userType: 'Guest', accountEnabled: true }, ['Global Reader'], 'HasDirectoryRole'],
  ['disabled member with a role: member first', { userType: 'Member', accountEnabled: false }, ['Global Administrator'], 'NotAGuest'],
  ['disabled guest with a role: disabled first', { userType: 'Guest', accountEnabled: false }, ['Helpdesk Administrator'], 'AccountDisabled'],
] as const)('%s → %s', (_, user, roles, reason) => {
  expect(checkEligibility(user, [...roles])).toBe(reason);
});

test('userType is compared case-insensitively', () => {
  expect(checkEligibility({ userType: 'guest', accountEnabled: true }, [])).toBeUndefined();
});
