import type { AuthPattern } from '../connectors/definition-schema.ts';

/** What a tool's rules need to know about the connector it belongs to. */
export interface ToolContext {
  /** Tool names start with `<prefix>_`. */
  prefix: string;
  /** The lower-cased header that carries the credential, or null when it travels in the query. */
  credentialHeader: string | null;
  /** API_KEY with auth_query_param: the query parameter that carries the key. */
  credentialQueryParam: string | null;
}

/** `google-calendar` → `google_calendar`: a connector identifier as a tool name prefix. */
export function toolPrefix(identifier: string): string {
  return identifier.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The identifier a display name gives (ConnectorsService derives identifiers the same way). */
export function identifierSlug(displayName: string): string {
  return displayName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'connector';
}

export function toolContext(identifier: string, pattern: AuthPattern | undefined): ToolContext {
  const queryParam = pattern?.type === 'API_KEY' ? (pattern.auth_query_param ?? null) : null;
  const override = pattern?.auth_header_key_override;
  return {
    prefix: toolPrefix(identifier),
    credentialHeader: queryParam === null ? (override ?? 'authorization').toLowerCase() : null,
    credentialQueryParam: queryParam,
  };
}
