/** The MCP SDK, loaded on first use (see sdk.ts). */
export type McpSdk = typeof import('./sdk.ts');

let loading: Promise<McpSdk> | undefined;
let loaded: McpSdk | undefined;

/** Loads the SDK once; every MCP request awaits this before it touches the SDK. */
export function loadMcpSdk(): Promise<McpSdk> {
  return (loading ??= import('./sdk.ts').then((sdk) => (loaded = sdk)));
}

/** The SDK for code that runs only inside an MCP request, after `loadMcpSdk()` resolved. */
export function loadedMcpSdk(): McpSdk {
  if (loaded === undefined) throw new Error('the MCP SDK is used before loadMcpSdk() resolved');
  return loaded;
}
