import { HttpResponse } from '@azure/functions';
import { pageCsp } from '../templates/layout.js';
import { configuredOrganisation } from '../templates/organisation.js';

/**
 * Response headers that every answer carries. Approval tokens travel in URLs, so no referrer
 * may leak them and no cache may keep a page; pages run no script and load nothing but their
 * one hashed stylesheet (and the organisation's logo, when one is set).
 */

/** JSON is never rendered, so nothing at all may load from it. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
};

export function pageResponse(status: number, html: string, headers: Record<string, string> = {}): HttpResponse {
  return new HttpResponse({
    status,
    body: html,
    headers: {
      ...COMMON_HEADERS,
      'Content-Security-Policy': pageCsp(configuredOrganisation()),
      ...headers,
      'Content-Type': 'text/html; charset=utf-8',
    },
  });
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return new HttpResponse({
    status,
    body: JSON.stringify(body),
    headers: {
      ...COMMON_HEADERS,
      'Content-Security-Policy': API_CONTENT_SECURITY_POLICY,
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
    },
  });
}

/** `303 See Other`: after a form post, the browser GETs `location`, so reload and Back never post again. */
export function seeOtherResponse(location: string): HttpResponse {
  return new HttpResponse({ status: 303, headers: { ...COMMON_HEADERS, Location: location } });
}

/** A file to save rather than show (the admin export). */
export function downloadHeaders(contentType: string, filename: string): Record<string, string> {
  return {
    ...COMMON_HEADERS,
    'Content-Security-Policy': API_CONTENT_SECURITY_POLICY,
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename="${filename}"`,
  };
}
