import net from 'node:net';
import type { ConnectorDefinition } from './definition-schema.ts';

/** Something a saved definition will run into later, said when it is saved (the save still succeeds). */
export interface DefinitionWarning {
  /** The error code the server will answer with when the URL is called. */
  code: 'UPSTREAM_ADDRESS_FORBIDDEN';
  /** JSON pointer of the field, as in validation problems. */
  path: string;
  message: string;
}

/** The egress policy's verdict on one IP address (EgressPolicy#allowsAddress). */
export type AddressCheck = (address: string) => boolean;

/** RFC 6761 §6.3: `localhost` and names under it are loopback, whatever DNS says. */
const LOOPBACK_NAME = /^(.+\.)?localhost\.?$/i;

/**
 * The URLs of a definition the server itself calls (proxy_url; OAuth token and revocation
 * endpoints) whose host the egress policy refuses: an IP literal, or a `localhost` name. Other
 * names are judged when they are called, after DNS: a save does no network I/O. Template hosts
 * (`https://{{domain}}/…`) are checked per account when a form is submitted.
 */
export function egressWarnings(definition: ConnectorDefinition, allows: AddressCheck): DefinitionWarning[] {
  const urls: Array<[string, string | undefined]> = [['/proxy_url', definition.proxy_url]];
  definition.auth_patterns.forEach((pattern, i) => {
    if (pattern.type !== 'OAUTH') return;
    urls.push([`/auth_patterns/${i}/oauth_config/token_uri`, pattern.oauth_config.token_uri]);
    urls.push([`/auth_patterns/${i}/oauth_config/revoke_uri`, pattern.oauth_config.revoke_uri]);
  });
  const warnings: DefinitionWarning[] = [];
  for (const [path, url] of urls) {
    const host = hostOf(url);
    if (host === undefined) continue;
    const addresses = net.isIP(host) !== 0 ? [host] : LOOPBACK_NAME.test(host) ? ['127.0.0.1', '::1'] : [];
    if (addresses.length === 0 || addresses.every(allows)) continue;
    warnings.push({
      code: 'UPSTREAM_ADDRESS_FORBIDDEN',
      path,
      message: `${host} is a loopback, private or reserved address: calls to it will be refused with UPSTREAM_ADDRESS_FORBIDDEN unless TOOLPROXY_EGRESS_ALLOW_CIDRS allows it.`,
    });
  }
  return warnings;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url || /\{\{[^}]*\}\}/.test(url.split(/[/?#]/)[2] ?? '')) return undefined;
  try {
    const { hostname } = new URL(url);
    return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  } catch {
    return undefined;
  }
}
