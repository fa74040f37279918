import { loadSettings, type Settings } from '../config/settings.js';

/** Who speaks in every mail and page (`ORG_NAME`, `ORG_LOGO_URL`, `SUPPORT_CONTACT`). */
export interface Organisation {
  name: string;
  /** An https image URL; pages allow its origin in their CSP only when it is set. */
  logoUrl?: string;
  /** Where a reader gets help: `mailto:` for an address, else the https page itself. */
  support?: { label: string; href: string };
}

export function organisationOf(settings: Pick<Settings, 'ORG_NAME' | 'ORG_LOGO_URL' | 'SUPPORT_CONTACT'>): Organisation {
  const contact = settings.SUPPORT_CONTACT;
  return {
    name: settings.ORG_NAME,
    ...(settings.ORG_LOGO_URL ? { logoUrl: settings.ORG_LOGO_URL } : {}),
    ...(contact ? { support: { label: contact, href: contact.startsWith('https:') ? contact : `mailto:${contact}` } } : {}),
  };
}

/**
 * The organisation of this process's settings, for the page shell: pages are rendered deep in
 * handlers and in the one error path, which hold no settings. Undefined while the settings are
 * invalid, so the 500 page of a misconfigured app still renders (with the product name alone).
 */
export function configuredOrganisation(): Organisation | undefined {
  try {
    return organisationOf(loadSettings());
  } catch {
    return undefined;
  }
}
