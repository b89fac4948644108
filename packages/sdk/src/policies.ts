import { type CallOptions, segment, type Transport } from './transport.ts';

/**
 * A policy document (docs/policies.md), passed through as the API takes it: snake_case, every
 * field optional, an absent field allows everything on its dimension.
 */
export interface PolicyDocument {
  allowed_methods?: string[];
  /** Globs over the path under the connection's proxy_url: `*` is one segment, `**` any. */
  paths?: { allow?: string[]; deny?: string[] };
  /** Only GET, HEAD and OPTIONS. */
  read_only?: boolean;
  /** Tool allow-list (tool and MCP calls). */
  tools?: string[];
  /** Refuse raw `/proxy` calls: only tools may use the connection. */
  tools_only?: boolean;
  /** A token bucket per connected account, shared by every instance. */
  rate_limit?: { requests: number; per_seconds: number };
  max_request_body_bytes?: number;
  require_approval?: { methods?: string[]; tools?: string[]; paths?: string[] };
}

export interface StoredPolicy {
  /** Null when none is set. */
  policy: PolicyDocument | null;
  updatedAt: Date | null;
}

export interface EffectivePolicy {
  connectionName: string;
  connectedAccountId: string;
  connectionPolicy: PolicyDocument | null;
  accountPolicy: PolicyDocument | null;
  /** Every layer applies: a call must pass each. */
  layers: PolicyDocument[];
}

type Wire = Record<string, any>;

/**
 * Policies: what calls a connection allows, narrowed per connected account. An invalid document
 * raises `ToolproxyApiError` with code `POLICY_INVALID`, an account policy that would widen its
 * connection's `POLICY_WIDENS`, each with every problem in `error.problems`.
 *
 * @example
 * await client.policies.setConnectionPolicy('github', { read_only: true, paths: { deny: ['/admin/**'] } });
 */
export class Policies {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async getConnectionPolicy(connectionName: string, options: CallOptions = {}): Promise<StoredPolicy> {
    return toStored(await this.#transport.json<Wire>('GET', connectionPath(connectionName), options));
  }

  /** Replaces the connection's policy. */
  async setConnectionPolicy(connectionName: string, policy: PolicyDocument, options: CallOptions = {}): Promise<StoredPolicy> {
    return toStored(await this.#transport.json<Wire>('PUT', connectionPath(connectionName), { ...options, body: policy }));
  }

  async deleteConnectionPolicy(connectionName: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json('DELETE', connectionPath(connectionName), options);
  }

  async getAccountPolicy(connectedAccountId: string, options: CallOptions = {}): Promise<StoredPolicy> {
    return toStored(await this.#transport.json<Wire>('GET', accountPath(connectedAccountId), options));
  }

  /** Replaces the account's policy; it may only narrow its connection's. */
  async setAccountPolicy(connectedAccountId: string, policy: PolicyDocument, options: CallOptions = {}): Promise<StoredPolicy> {
    return toStored(await this.#transport.json<Wire>('PUT', accountPath(connectedAccountId), { ...options, body: policy }));
  }

  async deleteAccountPolicy(connectedAccountId: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.json('DELETE', accountPath(connectedAccountId), options);
  }

  /** The layers a call on this account is checked against. */
  async getEffectivePolicy(connectedAccountId: string, options: CallOptions = {}): Promise<EffectivePolicy> {
    const body = await this.#transport.json<Wire>('GET', `/api/v1/connected_accounts/${segment(connectedAccountId)}/effective_policy`, options);
    return {
      connectionName: body.connection_name,
      connectedAccountId: body.connected_account_id,
      connectionPolicy: body.connection_policy,
      accountPolicy: body.account_policy,
      layers: body.layers,
    };
  }
}

const connectionPath = (name: string) => `/api/v1/connections/${segment(name)}/policy`;
const accountPath = (id: string) => `/api/v1/connected_accounts/${segment(id)}/policy`;

function toStored(body: Wire): StoredPolicy {
  return { policy: body.policy ?? null, updatedAt: body.updated_at ? new Date(body.updated_at) : null };
}
