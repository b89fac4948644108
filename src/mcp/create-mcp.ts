import type { Registry } from 'prom-client';
import type { AuthorizationLinks } from '../accounts/authorization-links.ts';
import type { ChangeFeed } from '../changes.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Store } from '../store/store.ts';
import { deriveSubkeys, type Keyring } from '../vault/keyring.ts';
import { McpAuthenticator } from './authenticator.ts';
import { McpConfigsService } from './configs-service.ts';
import { McpConnectedAccounts } from './connected-accounts.ts';
import { type McpLog, McpEndpoint } from './endpoint.ts';
import { ListChangedNotifier } from './list-changed.ts';
import { McpTools } from './mcp-tools.ts';
import { McpMetrics } from './metrics.ts';
import { McpSessionTokens } from './session-tokens.ts';
import { NO_TOOLS, type McpToolProvider } from './tool-provider.ts';
import { McpTokenSigner } from './tokens.ts';

/** Notification streams one instance holds at most (each is an open connection). */
const MAX_STREAMS = 10_000;

export interface McpServices {
  configs: McpConfigsService;
  accounts: McpConnectedAccounts;
  sessionTokens: McpSessionTokens;
  signer: McpTokenSigner;
  authenticator: McpAuthenticator;
  notifier: ListChangedNotifier;
  endpoint: McpEndpoint;
  metrics: McpMetrics;
  bodyLimitBytes: number;
}

/** Builds the MCP parts (configs, tokens, endpoint) from the server's shared pieces. */
export function createMcp(deps: {
  config: Readonly<Config>;
  store: Store;
  clock: Clock;
  changes: ChangeFeed;
  keyring: Keyring;
  links: AuthorizationLinks;
  registry: Registry;
  provider: McpToolProvider | undefined;
  version: string;
  log: McpLog;
}): McpServices {
  const { config, store, clock, changes } = deps;
  const signer = new McpTokenSigner(deriveSubkeys(deps.keyring, 'mcp-tokens'));
  const configs = new McpConfigsService({ store, clock, changes, publicUrl: config.publicUrl, allowedRedirectOrigins: config.allowedRedirectOrigins });
  const accounts = new McpConnectedAccounts({ store, clock, changes, links: deps.links, configs });
  const authenticator = new McpAuthenticator({ signer, configs, clock });
  const notifier = new ListChangedNotifier({ changes, maxStreams: MAX_STREAMS });
  const metrics = new McpMetrics(deps.registry, () => notifier.open);
  const tools = new McpTools({ provider: deps.provider ?? NO_TOOLS, accounts });
  const endpoint = new McpEndpoint({
    authenticator,
    configs,
    tools,
    notifier,
    metrics,
    clock,
    log: deps.log,
    version: deps.version,
    publicUrl: config.publicUrl,
    extraAllowedHosts: config.mcpAllowedHosts,
  });
  return {
    configs,
    accounts,
    sessionTokens: new McpSessionTokens({ configs, signer, clock }),
    signer,
    authenticator,
    notifier,
    endpoint,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
  };
}
