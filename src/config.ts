import path from 'node:path';

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
  upstream: { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number };
  bootstrapClient: { clientId: string; clientSecret: string } | undefined;
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
  ['TOOLPROXY_ACCOUNT_CACHE_TTL_MS', '5000', 'How long the proxy trusts its in-memory copy of an account before re-reading it.'],
  ['TOOLPROXY_BODY_LIMIT_BYTES', '1048576', 'Largest JSON body the management API accepts.'],
  ['TOOLPROXY_UPSTREAM_CONNECT_TIMEOUT_MS', '10000', 'Upstream connect timeout.'],
  ['TOOLPROXY_UPSTREAM_HEADERS_TIMEOUT_MS', '30000', 'Time to wait for upstream response headers.'],
  ['TOOLPROXY_UPSTREAM_BODY_TIMEOUT_MS', '60000', 'Longest pause between upstream body chunks.'],
  ['TOOLPROXY_BOOTSTRAP_CLIENT_ID', '(unset: generated)', 'Fix the bootstrap API client id (with the secret below).'],
  ['TOOLPROXY_BOOTSTRAP_CLIENT_SECRET', '(unset: generated)', 'Fix the bootstrap API client secret (at least 32 characters).'],
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

  const publicUrl = (env.TOOLPROXY_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
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
    accountCacheTtlMs: integer('TOOLPROXY_ACCOUNT_CACHE_TTL_MS', 5000, 0, 3_600_000),
    bodyLimitBytes: integer('TOOLPROXY_BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    upstream: {
      connectTimeoutMs: integer('TOOLPROXY_UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
      headersTimeoutMs: integer('TOOLPROXY_UPSTREAM_HEADERS_TIMEOUT_MS', 30_000, 100, 600_000),
      bodyTimeoutMs: integer('TOOLPROXY_UPSTREAM_BODY_TIMEOUT_MS', 60_000, 100, 600_000),
    },
    bootstrapClient,
  };

  if (problems.length > 0) throw new ConfigError(problems);
  Object.freeze(config.database);
  Object.freeze(config.upstream);
  if (config.bootstrapClient) Object.freeze(config.bootstrapClient);
  return Object.freeze(config);
}
