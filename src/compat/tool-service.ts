import type { ServiceImpl } from '@connectrpc/connect';
import { ToolproxyError } from '../errors.ts';
import type { ToolService } from './descriptors.ts';

const notYet = async (): Promise<never> => {
  throw new ToolproxyError('NOT_SUPPORTED', {
    message: 'Tools are not available in toolproxy yet. Call the upstream API with actions.request instead.',
    details: { problems: [{ path: '/tool_name', message: 'tools are not available yet' }] },
  });
};

/**
 * `scalekit.v1.tools.ToolService`: every RPC the SDK's `tools` and `actions.executeTool` call
 * answers UNIMPLEMENTED with our NOT_SUPPORTED code until tools exist. Not a TOOL_ERROR: that
 * code means "the provider failed", which would be a lie here.
 */
export function toolService(): Partial<ServiceImpl<typeof ToolService>> {
  return { executeTool: notYet, listTools: notYet, listScopedTools: notYet, listAvailableTools: notYet };
}
