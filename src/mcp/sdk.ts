/**
 * What the MCP endpoint uses of the MCP SDK at run time, in one module that is loaded on the
 * first MCP request (`loadMcpSdk`), not at start: the SDK and zod, which it brings along, are
 * about 8 MB of resident memory that a server nobody calls over MCP does not need to hold
 * (bench/README.md, "Idle RSS"). Types stay static imports (they cost nothing at run time).
 */
export { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
export { ErrorCode, isInitializeRequest, isJSONRPCRequest, JSONRPCMessageSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
export { createMcpServer } from './mcp-server.ts';
