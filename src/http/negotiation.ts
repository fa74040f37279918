import type { HttpRequest } from '@azure/functions';
import { mediaTypeOf } from './body.js';

export type ResponseFormat = 'json' | 'html';

/**
 * Which format answers a public request: JSON callers get JSON, the browser form gets pages.
 * A JSON body always means a program; a form post means a browser unless its `Accept` prefers
 * JSON; anything else answers JSON unless `Accept` prefers HTML.
 */
export function responseFormatFor(request: HttpRequest): ResponseFormat {
  const mediaType = mediaTypeOf(request);
  if (mediaType === 'application/json') return 'json';
  const accept = request.headers.get('accept') ?? '';
  const json = acceptQuality(accept, 'application/json');
  const html = acceptQuality(accept, 'text/html');
  if (mediaType === 'application/x-www-form-urlencoded') return json > html ? 'json' : 'html';
  return html > json ? 'html' : 'json';
}

/** The q-value `accept` gives `mediaType`, using the most specific matching range (RFC 9110 §12.5.1). */
export function acceptQuality(accept: string, mediaType: string): number {
  if (!accept.trim()) return 1;
  const [type] = mediaType.split('/');
  let best = { specificity: -1, quality: 0 };
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const specificity = range === mediaType ? 2 : range === `${type}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const quality = q ? Number(q.slice(2)) : 1;
    best = { specificity, quality: Number.isFinite(quality) ? quality : 0 };
  }
  return best.quality;
}
