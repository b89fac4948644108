import net from 'node:net';
import { type Problem, ToolproxyError } from '../errors.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events.ts';

export const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 500;

/** A checked create or update: only the fields that were sent. */
export interface EndpointInput {
  url?: string;
  events?: WebhookEventType[];
  enabled?: boolean;
  description?: string;
}

const FIELDS = new Set(['url', 'events', 'enabled', 'description']);
const KNOWN_TYPES = new Set<string>(WEBHOOK_EVENT_TYPES);

/**
 * Validates a create (`url` required) or an update body, listing every problem at once
 * (WEBHOOK_INVALID, details.problems). The egress policy is judged afterwards (`assertEgress`).
 */
export function parseEndpointInput(body: unknown, mode: 'create' | 'update'): EndpointInput {
  const problems: Problem[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ToolproxyError('WEBHOOK_INVALID', { details: { problems: [{ path: '', message: 'must be a JSON object' }] } });
  }
  const input = body as Record<string, unknown>;
  const parsed: EndpointInput = {};
  for (const key of Object.keys(input)) if (!FIELDS.has(key)) problems.push({ path: `/${key}`, message: 'is not a field of a webhook endpoint' });

  if (input.url === undefined) {
    if (mode === 'create') problems.push({ path: '/url', message: 'is required' });
  } else {
    const problem = urlProblem(input.url);
    if (problem) problems.push({ path: '/url', message: problem });
    else parsed.url = new URL(input.url as string).href;
  }

  if (input.events !== undefined) {
    if (!Array.isArray(input.events)) problems.push({ path: '/events', message: 'must be an array of event types' });
    else {
      const events = new Set<WebhookEventType>();
      input.events.forEach((type, i) => {
        if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) problems.push({ path: `/events/${i}`, message: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` });
        else events.add(type as WebhookEventType);
      });
      parsed.events = [...events];
    }
  }

  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') problems.push({ path: '/enabled', message: 'must be true or false' });
    else parsed.enabled = input.enabled;
  }

  if (input.description !== undefined) {
    if (typeof input.description !== 'string') problems.push({ path: '/description', message: 'must be a string' });
    else if (input.description.length > MAX_DESCRIPTION_LENGTH) problems.push({ path: '/description', message: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` });
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(input.description)) problems.push({ path: '/description', message: 'must not contain control characters' });
    else parsed.description = input.description;
  }

  if (problems.length > 0) throw new ToolproxyError('WEBHOOK_INVALID', { details: { problems } });
  return parsed;
}

function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password (the signature authenticates us)';
  if (url.hash !== '' || value.includes('#')) return 'must not have a fragment';
  return undefined;
}

/** RFC 6761 §6.3: `localhost` and names under it are loopback, whatever DNS says. */
const LOOPBACK_NAME = /^(.+\.)?localhost\.?$/i;

/**
 * The egress policy on a webhook URL, when it is saved: an IP literal (or a `localhost` name) the
 * policy refuses is refused now with UPSTREAM_ADDRESS_FORBIDDEN. Other names are judged on every
 * delivery, after DNS, by the same guarded dispatcher the proxy uses (so a name that later
 * resolves to a private address is refused then), exactly as a connector's proxy_url is.
 */
export function assertEgress(url: string, allows: (address: string) => boolean): void {
  const { hostname } = new URL(url);
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const addresses = net.isIP(host) !== 0 ? [host] : LOOPBACK_NAME.test(host) ? ['127.0.0.1', '::1'] : [];
  if (addresses.every(allows)) return;
  throw new ToolproxyError('UPSTREAM_ADDRESS_FORBIDDEN', {
    message: 'The webhook URL is a loopback, private, link-local or reserved address, which this server does not call. To allow an on-premises receiver, add its range to TOOLPROXY_EGRESS_ALLOW_CIDRS.',
    details: { reason: 'address_not_allowed', path: '/url' },
  });
}
