import { expect, test } from 'vitest';
import { organisationOf } from '../../src/templates/organisation.js';

test('the support contact becomes a mailto: link for an address and the page itself for an https URL', () => {
  expect(organisationOf({ ORG_NAME: 'Contoso', ORG_LOGO_URL: undefined, SUPPORT_CONTACT: 'helpdesk@contoso.com' })).toEqual({
    name: 'Contoso',
    support: { label: 'helpdesk@contoso.com', href: 'mailto:helpdesk@contoso.com' },
  });
  expect(organisationOf({ ORG_NAME: 'Contoso', ORG_LOGO_URL: 'https://cdn.contoso.com/l.png', SUPPORT_CONTACT: 'https://help.contoso.com' })).toEqual({
    name: 'Contoso',
    logoUrl: 'https://cdn.contoso.com/l.png',
    support: { label: 'https://help.contoso.com', href: 'https://help.contoso.com' },
  });
  expect(organisationOf({ ORG_NAME: 'Contoso', ORG_LOGO_URL: undefined, SUPPORT_CONTACT: undefined })).toEqual({ name: 'Contoso' });
});
