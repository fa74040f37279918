import { HttpRequest } from '@azure/functions';
import { describe, expect, test } from 'vitest';
import { signedInUser } from '../../src/http/approverIdentity.js';

/** Who the platform's authentication says is signed in, and the app roles the sign-in carries. */

const TENANT = 'c0a70500-0000-4000-8000-000000000000';
const USER = '10000000-0000-4000-8000-000000000001';
const ROLE_TYPE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

function requestWith(claims: { typ: string; val: string }[], extra: Record<string, unknown> = {}) {
  const principal = {
    auth_typ: 'aad',
    claims: [
      { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: USER },
      { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: TENANT },
      ...claims,
    ],
    role_typ: ROLE_TYPE,
    ...extra,
  };
  return new HttpRequest({
    method: 'GET',
    url: 'http://localhost/api/admin/',
    headers: {
      'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
      'x-ms-client-principal-id': USER,
      'x-ms-client-principal-name': 'megan.bowen@contoso.com',
      'x-ms-client-principal-idp': 'aad',
    },
  });
}

describe('signedInUser roles', () => {
  test('app roles arrive as `roles` claims, as the platform passes them', () => {
    const user = signedInUser(requestWith([{ typ: 'roles', val: 'GuestReset.Admin' }, { typ: 'roles', val: 'Other' }]), TENANT, true);
    expect(user).toEqual({ objectId: USER, name: 'megan.bowen@contoso.com', roles: ['GuestReset.Admin', 'Other'] });
  });

  test("the person's name comes from the `name` claim, as it was given (not lower-cased)", () => {
    expect(signedInUser(requestWith([{ typ: 'name', val: ' Megan Bowen ' }]), TENANT, true)).toEqual({ objectId: USER, name: 'megan.bowen@contoso.com', displayName: 'Megan Bowen', roles: [] });
  });

  test('or under the type `role_typ` names', () => {
    expect(signedInUser(requestWith([{ typ: ROLE_TYPE, val: 'GuestReset.Admin' }]), TENANT, true)?.roles).toEqual(['GuestReset.Admin']);
  });

  test('no role claims, or role-like claims of other types: no roles', () => {
    expect(signedInUser(requestWith([]), TENANT, true)?.roles).toEqual([]);
    expect(signedInUser(requestWith([{ typ: 'groups', val: 'GuestReset.Admin' }], { role_typ: 42 }), TENANT, true)?.roles).toEqual([]);
  });

  test('nobody is signed in, roles or not, while the platform authentication is off', () => {
    expect(signedInUser(requestWith([{ typ: 'roles', val: 'GuestReset.Admin' }]), TENANT, false)).toBeUndefined();
  });
});
