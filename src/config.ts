import path from 'node:path';
import ipaddr from 'ipaddr.js';

/**
 * All settings, read once at start from the environment, every problem reported at once, then
 * frozen (fastify's initial-config-validation). Secrets read here (the encryption key, the
 * database password inside DATABASE_URL) are never logged.
 */
export interface Config {
  host: string;
  port: number;
  /** Base URL that links and pages are built from (authorization links, dashboard). */
  publicUrl: string;
  dataDir: string;
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  /** Raw key material (base64, comma-separated, newest first) or undefined to use the data-dir key file. */
  encryptionKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  linkTtlSeconds: number;
  tokenTtlSeconds: number;
  accountCacheTtlMs: number;
  bodyLimitBytes: number;
  upstream: { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number; totalTimeoutMs: number };
  /** P19: proxied calls in flight per connected account and per connection (0 = unlimited), and their wait queues. */
  proxyLimits: { maxPerAccount: number; maxPerConnection: number; queuePerAccount: number; queuePerConnection: number; queueTimeoutMs: number };
  /** Private ranges the proxy may call anyway (P10); everything but public unicast is refused otherwise. */
  egressAllowCidrs: readonly string[];
  /** Proxy request log retention; maxRows 0 turns the log off. */
  requestLog: { maxRows: number; maxAgeMs: number };
  /** The audit trail (docs/audit.md): retention (0 keeps every entry) and how long a proxied call waits for a full queue. */
  audit: { retentionMs: number; holdMs: number };
  /** Static bearer token for GET /metrics (scrapers); unset: /metrics takes an app token. */
  metricsToken: string | undefined;
  bootstrapClient: { clientId: string; clientSecret: string } | undefined;
  oauth: {
    /** Refresh an access token this long before it expires (capped at half its lifetime). */
    refreshWindowMs: number;
    /** Timeout of every call to a token or revocation endpoint (O11). */
    timeoutMs: number;
  };
  /** Serve HTTPS (HTTP/1.1 and h2 by ALPN) with these PEM files; plain HTTP (and h2c) when unset. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Origins an app may send users back to after authorization (O7). */
  allowedRedirectOrigins: readonly string[];
  /** MCP endpoint: Host header values accepted besides the public URL's (DNS-rebinding check). */
  mcpAllowedHosts: readonly string[];
  /** Tool execution: the answer buffered from the upstream, and the answer handed back (cut with a note beyond it). */
  tools: { responseMaxBytes: number; outputMaxBytes: number };
  /** Look of the dashboard and the hosted pages. */
  brand: { name: string; color: string; logoUrl: string | undefined };
  /** After SIGTERM, connections still open this long after the drain began are closed. */
  shutdownDeadlineMs: number;
  /** Human approval (docs/approvals.md): how long a pending approval waits for a decision. */
  approvals: { ttlMs: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The documented settings: name, default shown in the README, and what it means. */
export const SETTINGS = [
  ['PORT', '3000', 'Port for the API, the proxy and the hosted pages.'],
  ['HOST', '127.0.0.1', 'Interface to listen on. Use 0.0.0.0 in a container.'],
  ['TOOLPROXY_PUBLIC_URL', 'http://localhost:$PORT', 'Public base URL used in authorization links.'],
  ['TOOLPROXY_DATA_DIR', './data', 'Where the embedded SQLite database, the generated key and the bootstrap client live.'],
  ['DATABASE_URL', '(unset: SQLite in the data dir)', 'postgres://user:pass@host:5432/db to use Postgres.'],
  ['TOOLPROXY_ENCRYPTION_KEY', '(unset: generated into the data dir)', 'Base64 of 32 random bytes. Comma-separate older keys after the current one to keep reading them.'],
  ['LOG_LEVEL', 'info', `One of ${LOG_LEVELS.join(', ')}.`],
  ['TOOLPROXY_LINK_TTL_SECONDS', '600', 'How long an authorization link stays valid.'],
  ['TOOLPROXY_TOKEN_TTL_SECONDS', '3600', 'Lifetime of the app access tokens from POST /oauth/token.'],
  ['TOOLPROXY_ACCOUNT_CACHE_TTL_MS', '300000 on SQLite, 60000 on Postgres', 'How long the proxy trusts its in-memory copy of an account before re-reading it. Every write invalidates it at once, on every instance (Postgres LISTEN/NOTIFY); the TTL only bounds how stale a copy can get if a notification is lost. Accounts in use are re-checked in the background before their copy expires.'],
  ['TOOLPROXY_BODY_LIMIT_BYTES', '1048576', 'Largest JSON body the management API accepts.'],
  ['TOOLPROXY_UPSTREAM_CONNECT_TIMEOUT_MS', '10000', 'Upstream connect timeout.'],
  ['TOOLPROXY_UPSTREAM_HEADERS_TIMEOUT_MS', '30000', 'Time to wait for upstream response headers.'],
  ['TOOLPROXY_UPSTREAM_BODY_TIMEOUT_MS', '60000', 'Longest pause between upstream body chunks.'],
  ['TOOLPROXY_UPSTREAM_TOTAL_TIMEOUT_MS', '120000', 'Longest a proxied call may take from start to the last body byte, retries included.'],
  ['TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT', '64', 'Proxied calls one connected account may have in flight; more wait in its queue. 0 means unlimited.'],
  ['TOOLPROXY_PROXY_MAX_CONCURRENT_PER_CONNECTION', '1024', 'Proxied calls one connection may have in flight, all its accounts together; more wait in its queue. 0 means unlimited.'],
  ['TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT', '256', 'Calls that may wait for a slot of one account; beyond it they are refused at once (429 CONCURRENCY_LIMIT_EXCEEDED). 0 means no waiting.'],
  ['TOOLPROXY_PROXY_QUEUE_PER_CONNECTION', '1024', 'Calls that may wait for a slot of one connection; beyond it they are refused at once. 0 means no waiting.'],
  ['TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS', '10000', 'Longest a call waits in a queue for a slot before it is refused with 429.'],
  ['TOOLPROXY_EGRESS_ALLOW_CIDRS', '(unset: public addresses only)', 'Comma-separated CIDRs (10.0.0.0/8,fd00::/8) of private upstreams the proxy may call; everything but public unicast is refused otherwise.'],
  ['TOOLPROXY_REQUEST_LOG_MAX_ROWS', '100000', 'Proxy calls kept in the request log (oldest deleted first); 0 turns the log off.'],
  ['TOOLPROXY_REQUEST_LOG_MAX_AGE_HOURS', '168', 'Proxy calls older than this are deleted from the request log.'],
  ['TOOLPROXY_AUDIT_RETENTION_DAYS', '0', 'Audit entries older than this many days are removed, oldest first, keeping a checkpoint so the chain still verifies; 0 keeps every entry.'],
  ['TOOLPROXY_AUDIT_HOLD_MS', '2000', 'How long a proxied call waits when the audit trail cannot keep up before it is refused with 503 AUDIT_UNAVAILABLE.'],
  ['TOOLPROXY_METRICS_TOKEN', '(unset: an app token)', 'Static bearer token (at least 16 characters) that GET /metrics accepts, for Prometheus scrapers.'],
  ['TOOLPROXY_TLS_CERT_FILE', '(unset: plain HTTP)', 'PEM certificate (chain) to serve HTTPS; set together with TOOLPROXY_TLS_KEY_FILE.'],
  ['TOOLPROXY_TLS_KEY_FILE', '(unset: plain HTTP)', 'PEM private key for TOOLPROXY_TLS_CERT_FILE.'],
  ['TOOLPROXY_OAUTH_REFRESH_WINDOW_SECONDS', '300', 'Refresh OAuth access tokens this long before they expire (at most half their lifetime).'],
  ['TOOLPROXY_OAUTH_TIMEOUT_MS', '10000', 'Timeout of calls to OAuth token and revocation endpoints.'],
  ['TOOLPROXY_ALLOWED_REDIRECT_ORIGINS', '(unset: none)', 'Comma-separated origins (https://app.example.com) that redirect_url and user_verify_url may point to.'],
  ['TOOLPROXY_MCP_ALLOWED_HOSTS', '(unset: the public URL\'s host only)', 'Comma-separated Host header values (mcp.internal:8080) the MCP endpoint accepts besides TOOLPROXY_PUBLIC_URL\'s host, for a proxy that rewrites Host. Anything else is refused (DNS-rebinding protection).'],
  ['TOOLPROXY_TOOL_RESPONSE_MAX_BYTES', '10485760', 'Most of an upstream answer a tool call reads; beyond it the rest is not downloaded and the answer is marked truncated.'],
  ['TOOLPROXY_TOOL_OUTPUT_MAX_BYTES', '100000', 'Largest tool answer (as JSON) handed back to the caller or model; longer ones are cut (largest arrays first) with a note saying what was cut. At least 1024.'],
  ['TOOLPROXY_BOOTSTRAP_CLIENT_ID', '(unset: generated)', 'Fix the bootstrap API client id (with the secret below).'],
  ['TOOLPROXY_BOOTSTRAP_CLIENT_SECRET', '(unset: generated)', 'Fix the bootstrap API client secret (at least 32 characters).'],
  ['TOOLPROXY_BRAND_NAME', 'toolproxy', 'Name shown on the dashboard and the hosted authorization pages.'],
  ['TOOLPROXY_BRAND_COLOR', '#4f46e5', 'Accent colour of the dashboard and hosted pages (#rgb or #rrggbb).'],
  ['TOOLPROXY_SHUTDOWN_DEADLINE_SECONDS', '25', 'On SIGTERM/SIGINT the server stops accepting connections, answers what is in flight with connection: close and closes idle connections at once; connections still open after this many seconds are closed. Keep it below the orchestrator\'s grace period (30 s by default in Kubernetes and Docker).'],
  ['TOOLPROXY_APPROVAL_TTL_SECONDS', '3600', 'How long a call held for human approval waits for a decision before it expires (docs/approvals.md).'],
  ['TOOLPROXY_BRAND_LOGO_URL', '(unset: no logo)', 'Logo for the dashboard and hosted pages: an https:// URL (only its origin is allowed to load images) or a data:image/… URI.'],
] as const;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Readonly<Config> {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };

  const port = integer('PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const dataDir = path.resolve(cwd, env.TOOLPROXY_DATA_DIR || './data');

  const scheme = env.TOOLPROXY_TLS_CERT_FILE ? 'https' : 'http';
  const publicUrl = (env.TOOLPROXY_PUBLIC_URL || `${scheme}://localhost:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(publicUrl)) {
    problems.push(`TOOLPROXY_PUBLIC_URL must be an http(s) URL without query or fragment (got "${publicUrl}")`);
  }

  let database: Config['database'] = { kind: 'sqlite', path: path.join(dataDir, 'toolproxy.db') };
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    if (/^postgres(ql)?:\/\//.test(databaseUrl)) database = { kind: 'postgres', url: databaseUrl };
    // Never echo the URL: it may hold a password.
    else problems.push('DATABASE_URL must start with postgres:// or postgresql:// (unset it to use the embedded SQLite)');
  }

  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  const encryptionKey = env.TOOLPROXY_ENCRYPTION_KEY || undefined;
  if (encryptionKey) {
    for (const [i, part] of encryptionKey.split(',').entries()) {
      const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(part.trim()) ? Buffer.from(part.trim(), 'base64') : Buffer.alloc(0);
      if (bytes.length !== 32) {
        problems.push(`TOOLPROXY_ENCRYPTION_KEY key #${i + 1} must be base64 of exactly 32 bytes (try: openssl rand -base64 32)`);
      }
    }
  }

  let bootstrapClient: Config['bootstrapClient'];
  const bootstrapId = env.TOOLPROXY_BOOTSTRAP_CLIENT_ID;
  const bootstrapSecret = env.TOOLPROXY_BOOTSTRAP_CLIENT_SECRET;
  if (bootstrapId || bootstrapSecret) {
    if (!bootstrapId || !bootstrapSecret) {
      problems.push('TOOLPROXY_BOOTSTRAP_CLIENT_ID and TOOLPROXY_BOOTSTRAP_CLIENT_SECRET must be set together');
    } else if (!/^[A-Za-z0-9_.-]{3,64}$/.test(bootstrapId)) {
      problems.push('TOOLPROXY_BOOTSTRAP_CLIENT_ID must be 3-64 characters of letters, digits, _ . -');
    } else if (bootstrapSecret.length < 32) {
      problems.push('TOOLPROXY_BOOTSTRAP_CLIENT_SECRET must be at least 32 characters');
    } else {
      bootstrapClient = { clientId: bootstrapId, clientSecret: bootstrapSecret };
    }
  }

  const brandName = (env.TOOLPROXY_BRAND_NAME ?? '').trim() || 'toolproxy';
  // Printable text only: it is shown in page titles and headings.
  if (brandName.length > 60 || /[\u0000-\u001f\u007f]/.test(brandName)) {
    problems.push('TOOLPROXY_BRAND_NAME must be at most 60 printable characters');
  }
  const brandColor = (env.TOOLPROXY_BRAND_COLOR ?? '').trim() || '#4f46e5';
  if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(brandColor)) {
    problems.push(`TOOLPROXY_BRAND_COLOR must be a hex colour like #4f46e5 (got "${brandColor.slice(0, 40)}")`);
  }
  const logoUrl = (env.TOOLPROXY_BRAND_LOGO_URL ?? '').trim() || undefined;
  if (logoUrl && !isLogoUrl(logoUrl)) {
    problems.push('TOOLPROXY_BRAND_LOGO_URL must be an https:// URL or a data:image/(png|jpeg|gif|webp|svg+xml) URI of at most 64 KiB');
  }

  const allowedRedirectOrigins = (env.TOOLPROXY_ALLOWED_REDIRECT_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of allowedRedirectOrigins) {
    if (!isOrigin(origin)) problems.push(`TOOLPROXY_ALLOWED_REDIRECT_ORIGINS entries must be origins like https://app.example.com (got "${origin.slice(0, 80)}")`);
  }

  const mcpAllowedHosts = (env.TOOLPROXY_MCP_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);
  for (const host of mcpAllowedHosts) {
    if (!/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(host)) problems.push(`TOOLPROXY_MCP_ALLOWED_HOSTS entries must be host or host:port values (got "${host.slice(0, 80)}")`);
  }

  let tls: Config['tls'];
  const certFile = env.TOOLPROXY_TLS_CERT_FILE;
  const keyFile = env.TOOLPROXY_TLS_KEY_FILE;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) problems.push('TOOLPROXY_TLS_CERT_FILE and TOOLPROXY_TLS_KEY_FILE must be set together');
    else tls = { certFile: path.resolve(cwd, certFile), keyFile: path.resolve(cwd, keyFile) };
  }

  const config: Config = {
    host,
    port,
    publicUrl,
    dataDir,
    database,
    encryptionKey,
    logLevel,
    linkTtlSeconds: integer('TOOLPROXY_LINK_TTL_SECONDS', 600, 30, 7 * 24 * 3600),
    tokenTtlSeconds: integer('TOOLPROXY_TOKEN_TTL_SECONDS', 3600, 60, 24 * 3600),
    // The TTL is a safety net: every write invalidates the cache at once, in this process and,
    // on Postgres, on the other instances by LISTEN/NOTIFY. Postgres gets a shorter net because a
    // notification can be lost there (a failed NOTIFY, a listener connection dead but not yet
    // noticed): a minute bounds how long a revoked credential stays usable then. The cost is one
    // re-read per account per minute, which only accounts called more often than that notice.
    accountCacheTtlMs: integer('TOOLPROXY_ACCOUNT_CACHE_TTL_MS', database.kind === 'sqlite' ? 300_000 : 60_000, 0, 3_600_000),
    bodyLimitBytes: integer('TOOLPROXY_BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    upstream: {
      connectTimeoutMs: integer('TOOLPROXY_UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
      headersTimeoutMs: integer('TOOLPROXY_UPSTREAM_HEADERS_TIMEOUT_MS', 30_000, 100, 600_000),
      bodyTimeoutMs: integer('TOOLPROXY_UPSTREAM_BODY_TIMEOUT_MS', 60_000, 100, 600_000),
      totalTimeoutMs: integer('TOOLPROXY_UPSTREAM_TOTAL_TIMEOUT_MS', 120_000, 1000, 86_400_000),
    },
    // 0 turns a concurrency limit off: a limit of zero calls would refuse everything.
    proxyLimits: {
      maxPerAccount: integer('TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT', 64, 0, 1_000_000),
      maxPerConnection: integer('TOOLPROXY_PROXY_MAX_CONCURRENT_PER_CONNECTION', 1024, 0, 1_000_000),
      queuePerAccount: integer('TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT', 256, 0, 1_000_000),
      queuePerConnection: integer('TOOLPROXY_PROXY_QUEUE_PER_CONNECTION', 1024, 0, 1_000_000),
      queueTimeoutMs: integer('TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS', 10_000, 1, 600_000),
    },
    egressAllowCidrs: parseCidrs('TOOLPROXY_EGRESS_ALLOW_CIDRS', env.TOOLPROXY_EGRESS_ALLOW_CIDRS, problems),
    requestLog: {
      maxRows: integer('TOOLPROXY_REQUEST_LOG_MAX_ROWS', 100_000, 0, 100_000_000),
      maxAgeMs: integer('TOOLPROXY_REQUEST_LOG_MAX_AGE_HOURS', 168, 1, 24 * 366) * 3_600_000,
    },
    audit: {
      retentionMs: integer('TOOLPROXY_AUDIT_RETENTION_DAYS', 0, 0, 36_500) * 86_400_000,
      holdMs: integer('TOOLPROXY_AUDIT_HOLD_MS', 2_000, 0, 60_000),
    },
    metricsToken: metricsToken(env.TOOLPROXY_METRICS_TOKEN, problems),
    bootstrapClient,
    oauth: {
      refreshWindowMs: integer('TOOLPROXY_OAUTH_REFRESH_WINDOW_SECONDS', 300, 0, 86_400) * 1000,
      timeoutMs: integer('TOOLPROXY_OAUTH_TIMEOUT_MS', 10_000, 100, 60_000),
    },
    allowedRedirectOrigins,
    mcpAllowedHosts,
    tls,
    tools: {
      responseMaxBytes: integer('TOOLPROXY_TOOL_RESPONSE_MAX_BYTES', 10 * 1_048_576, 1024, 1024 * 1_048_576),
      outputMaxBytes: integer('TOOLPROXY_TOOL_OUTPUT_MAX_BYTES', 100_000, 1024, 100 * 1_048_576),
    },
    brand: { name: brandName, color: brandColor.toLowerCase(), logoUrl },
    shutdownDeadlineMs: integer('TOOLPROXY_SHUTDOWN_DEADLINE_SECONDS', 25, 0, 3600) * 1000,
    approvals: { ttlMs: integer('TOOLPROXY_APPROVAL_TTL_SECONDS', 3600, 60, 7 * 24 * 3600) * 1000 },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  Object.freeze(config.database);
  Object.freeze(config.upstream);
  Object.freeze(config.proxyLimits);
  Object.freeze(config.egressAllowCidrs);
  Object.freeze(config.requestLog);
  Object.freeze(config.audit);
  Object.freeze(config.oauth);
  Object.freeze(config.allowedRedirectOrigins);
  Object.freeze(config.mcpAllowedHosts);
  if (config.tls) Object.freeze(config.tls);
  if (config.bootstrapClient) Object.freeze(config.bootstrapClient);
  Object.freeze(config.brand);
  Object.freeze(config.tools);
  Object.freeze(config.approvals);
  return Object.freeze(config);
}

/** The logo goes into an img src and the pages' CSP: an https origin or an inline image, nothing else. */
function isLogoUrl(value: string): boolean {
  if (value.length > 65_536) return false;
  if (value.startsWith('data:')) return /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}$/.test(value);
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.username === '' && url.password === '' && !/["'\s<>]/.test(value);
  } catch {
    return false;
  }
}

/** An exact origin: scheme and host (and port), nothing else; http only for loopback hosts. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return url.origin === value && (url.protocol === 'https:' || (url.protocol === 'http:' && loopback));
  } catch {
    return false;
  }
}

/** P11: a bad entry stops the start (fail closed), never silently narrows or widens the list. */
function parseCidrs(name: string, raw: string | undefined, problems: string[]): string[] {
  const cidrs = (raw ?? '').split(',').map((part) => part.trim()).filter(Boolean);
  for (const cidr of cidrs) {
    try {
      ipaddr.parseCIDR(cidr);
    } catch {
      problems.push(`${name} entries must be CIDRs like 10.0.0.0/8 or fd00::/8 (got "${cidr.slice(0, 60)}")`);
    }
  }
  return cidrs;
}

function metricsToken(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  // Never echo it: it is a secret.
  if (raw.length < 16 || /[^\x21-\x7e]/.test(raw)) problems.push('TOOLPROXY_METRICS_TOKEN must be at least 16 printable characters without spaces');
  return raw;
}
