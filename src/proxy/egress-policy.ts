import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { ToolproxyError } from '../errors.ts';

/**
 * Where the proxy may connect (security checklist P8–P11, DESIGN.md §7).
 *
 * Only addresses whose ipaddr.js `range()` is `unicast` (public) are allowed, unless they fall in
 * an allow-listed CIDR (TOOLPROXY_EGRESS_ALLOW_CIDRS, for on-premises upstreams and tests). That
 * refuses private, loopback, link-local (169.254.169.254), unspecified, carrier-grade NAT,
 * reserved, multicast, broadcast, unique-local, NAT64/6to4/Teredo and the rest, and IPv4-mapped
 * IPv6 is judged as the IPv4 address it carries (`process`).
 *
 * Two checks, because undici calls `connect.lookup` only for names (we ran this, P9):
 * - `lookup` (given to the undici Agent) resolves a name, refuses the connection if ANY address
 *   is not allowed (a name that resolves to [public, 127.0.0.1] is a rebinding attempt), and
 *   hands net.connect exactly the addresses it checked, so there is no second lookup to race.
 * - `checkHost` refuses an IP-literal host before dispatch.
 * The error never names the resolved address (P20), so the proxy is no oracle for the network.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** DNS resolution, injectable so tests can simulate any answer. */
export type Resolver = (hostname: string, family: 0 | 4 | 6) => Promise<ResolvedAddress[]>;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

const systemResolver: Resolver = (hostname, family) =>
  dns.promises.lookup(hostname, { all: true, family, verbatim: true }) as Promise<ResolvedAddress[]>;

const MAX_CACHED_HOSTS = 10_000;

function egressDenied(): ToolproxyError {
  return new ToolproxyError('UPSTREAM_ADDRESS_FORBIDDEN', { details: { reason: 'address_not_allowed' } });
}

export class EgressPolicy {
  readonly #allow: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  readonly #resolve: Resolver;
  /** Verdicts for origins already seen (the proxy calls few distinct origins, many times). */
  readonly #originAllowed = new Map<string, boolean>();

  constructor(options: { allowCidrs: readonly string[]; resolve?: Resolver }) {
    // config.ts has validated the list; parseCIDR throws here only on a programming error.
    this.#allow = options.allowCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
    this.#resolve = options.resolve ?? systemResolver;
  }

  allowsAddress(address: string): boolean {
    // Strict syntax first: ipaddr.js also reads legacy forms such as `1.2.3` (as 1.2.0.3).
    if (net.isIP(address) === 0) return false;
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(address);
    } catch {
      return false;
    }
    if (parsed.range() === 'unicast') return true;
    return this.#allow.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
  }

  /**
   * P9: throws UPSTREAM_ADDRESS_FORBIDDEN when `origin`'s host is an IP literal that is not
   * allowed. Names pass here and are judged by `lookup` once resolved.
   */
  checkOrigin(origin: string): void {
    let allowed = this.#originAllowed.get(origin);
    if (allowed === undefined) {
      allowed = this.#literalAllowed(new URL(origin).hostname);
      if (this.#originAllowed.size >= MAX_CACHED_HOSTS) this.#originAllowed.clear();
      this.#originAllowed.set(origin, allowed);
    }
    if (!allowed) throw egressDenied();
  }

  #literalAllowed(hostname: string): boolean {
    // WHATWG has already turned 0x7f.1, 2130706433 and 127.1 into 127.0.0.1 (checklist §5.1).
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    return net.isIP(host) === 0 || this.allowsAddress(host);
  }

  /** For undici's `connect.lookup` (net.connect's `lookup` option), with and without `all`. */
  readonly lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    this.#resolve(hostname, family).then(
      (addresses) => {
        if (addresses.length === 0) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
        if (!addresses.every((entry) => this.allowsAddress(entry.address))) return callback(egressDenied(), '');
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
