/**
 * CONTRACT STUB of `POST /api/v1/execute_tool` — the one stand-in these tests use, because the
 * real route is being built on another branch at the same time (issue 12). It answers the agreed
 * contract, in the shapes of that branch (docs/errors.md there): body `{ tool_name, params,
 * connected_account_id }` or `{ tool_name, params, connection_name | connector, identifier }` →
 * 200 `{ data, execution_id }`; errors as `{ error: { code, message, details } }`:
 * TOOL_NOT_FOUND, TOOL_INPUT_INVALID (details.problems), VALIDATION_FAILED (no account given),
 * and the upstream's failures with `details: { tool_name, execution_id, status, body }` —
 * 401 → 424 TOOL_UNAUTHORIZED (+ authorization_link), 403 → 424 TOOL_FORBIDDEN, 429 → 429
 * TOOL_RATE_LIMITED (+ Retry-After, retry_after_seconds), 5xx → 502 TOOL_UPSTREAM_FAILED, other
 * 4xx → 424 TOOL_UPSTREAM_REJECTED.
 *
 * It is not a canned answer: it sits in front of a real toolproxy server on loopback, forwards
 * every other request to it unchanged, and runs a tool with the server's own pieces — the tool
 * from `GET /api/v1/tools/{name}`, the input checked by the server's Ajv validators, the request
 * rendered by the server's `renderToolRequest`, sent through the real `/proxy` (which resolves
 * the account and injects its credentials) to a real upstream, the answer projected by
 * `projectOutput`.
 *
 * When the server has the route (it answers anything but ROUTE_NOT_FOUND to a probe), the stub
 * forwards execute_tool too, still recording the bodies: once the route is merged, the same tests
 * run against it with no edit (TOOLPROXY_TEST_EXECUTE_TOOL=stub|server forces a mode). Then the
 * stub can go, and the tests point at the server.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Problem } from '../../src/errors.ts';
import type { OutputProjection, RequestTemplate } from '../../src/tools/definition-schema.ts';
import { InputValidators } from '../../src/tools/input-validators.ts';
import { projectOutput } from '../../src/tools/project-output.ts';
import { renderToolRequest } from '../../src/tools/render-request.ts';

export interface ContractStub {
  url: string;
  /** `stub`: execute_tool is answered here; `server`: the server has the route and answers it. */
  mode: 'stub' | 'server';
  /** The bodies of every execute_tool call received, as sent on the wire. */
  executions: Array<Record<string, any>>;
  close(): Promise<void>;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const error = (status: number, code: string, message: string, details?: unknown): Answer => ({ status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } });

/** Whether the server has `POST /api/v1/execute_tool`: an unknown route is ROUTE_NOT_FOUND before any authentication. */
async function serverHasRoute(serverUrl: string): Promise<boolean> {
  const probe = await fetch(`${serverUrl}/api/v1/execute_tool`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await probe.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
  return !(probe.status === 404 && body?.error?.code === 'ROUTE_NOT_FOUND');
}

export async function startExecuteToolContractStub(serverUrl: string): Promise<ContractStub> {
  const forced = process.env.TOOLPROXY_TEST_EXECUTE_TOOL;
  const mode: ContractStub['mode'] = forced === 'stub' || forced === 'server' ? forced : (await serverHasRoute(serverUrl)) ? 'server' : 'stub';
  const executions: Array<Record<string, any>> = [];
  const validators = new InputValidators();

  async function execute(body: Record<string, any>, authorization: string): Promise<Answer> {
    const api = (path: string) => fetch(`${serverUrl}${path}`, { headers: { authorization } });
    const found = await api(`/api/v1/tools/${encodeURIComponent(String(body.tool_name ?? ''))}`);
    if (found.status === 404) return error(404, 'TOOL_NOT_FOUND', `No tool named ${body.tool_name}.`);
    const { tool } = (await found.json()) as { tool: { id: string; provider: string; definition: { input_schema: Record<string, unknown> }; metadata: { version: number; request: RequestTemplate; output?: OutputProjection } } };
    const params = body.params ?? {};
    let problems: Problem[] = validators.problems({ id: tool.id, version: tool.metadata.version, input_schema: tool.definition.input_schema }, params);
    let rendered;
    if (problems.length === 0) {
      try {
        rendered = renderToolRequest({ request: tool.metadata.request }, params);
      } catch (thrown) {
        problems = ((thrown as { details?: { problems?: Problem[] } }).details?.problems ?? []);
      }
    }
    if (problems.length > 0 || !rendered) return error(400, 'TOOL_INPUT_INVALID', 'The tool input is invalid.', { problems });

    // `connector` is the reference's name for the connection.
    let connectionName: string = body.connection_name || body.connector;
    let identifier: string = body.identifier;
    if (body.connected_account_id) {
      const account = await api(`/api/v1/connected_accounts/${encodeURIComponent(body.connected_account_id)}`);
      if (!account.ok) return { status: account.status, body: await account.json() };
      ({ connection_name: connectionName, identifier } = ((await account.json()) as { connected_account: { connection_name: string; identifier: string } }).connected_account);
    } else if (!connectionName || !identifier) {
      return error(400, 'VALIDATION_FAILED', 'The request is invalid.', { problems: [{ path: '/connection_name', message: 'send connected_account_id, or connection_name (connector) with identifier' }] });
    }
    const headers: Record<string, string> = { ...rendered.headers, authorization, connection_name: connectionName, identifier };
    if (rendered.contentType) headers['content-type'] = rendered.contentType;
    const upstream = await fetch(`${serverUrl}/proxy${rendered.pathAndQuery}`, { method: rendered.method, headers, ...(rendered.body ? { body: rendered.body } : {}) });
    const text = await upstream.text();
    const data: unknown = text === '' ? null : JSON.parse(text);
    if (upstream.headers.has('x-toolproxy-error')) return { status: upstream.status, body: data };
    const executionId = `ex_${randomUUID().replace(/-/g, '')}`;
    if (upstream.ok) return { status: 200, body: { data: projectOutput(data, tool.metadata.output), execution_id: executionId } };
    const status = upstream.status;
    const retryAfter = upstream.headers.get('retry-after');
    const [answerStatus, code] =
      status === 401 ? [424, 'TOOL_UNAUTHORIZED'] : status === 403 ? [424, 'TOOL_FORBIDDEN'] : status === 429 ? [429, 'TOOL_RATE_LIMITED'] : status >= 500 ? [502, 'TOOL_UPSTREAM_FAILED'] : [424, 'TOOL_UPSTREAM_REJECTED'];
    const details = {
      tool_name: body.tool_name,
      execution_id: executionId,
      status,
      body: data,
      ...(retryAfter ? { retry_after_seconds: Number(retryAfter) } : {}),
      ...(status === 401 ? { authorization_link: 'POST /api/v1/connected_accounts/magic_link' } : {}),
    };
    return { ...error(answerStatus, code, `The upstream API answered ${status} to the tool call.`, details), ...(retryAfter ? { headers: { 'retry-after': retryAfter } } : {}) };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const reply = async (): Promise<void> => {
        if (req.method === 'POST' && req.url === '/api/v1/execute_tool' && mode === 'stub') {
          const body = JSON.parse(raw.toString('utf8')) as Record<string, any>;
          executions.push(body);
          const answer = await execute(body, req.headers.authorization ?? '');
          res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.status >= 400 ? { 'x-toolproxy-error': (answer.body as { error: { code: string } }).error.code } : {}), ...answer.headers });
          res.end(JSON.stringify(answer.body));
          return;
        }
        if (req.method === 'POST' && req.url === '/api/v1/execute_tool') executions.push(JSON.parse(raw.toString('utf8')) as Record<string, any>);
        // Everything else goes to the real server, as it is.
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding', 'expect'].includes(name)) headers.set(name, value);
        const forwarded = await fetch(`${serverUrl}${req.url}`, { method: req.method ?? 'GET', headers, ...(raw.length > 0 ? { body: raw } : {}) });
        const out: Record<string, string> = {};
        forwarded.headers.forEach((value, name) => {
          if (name !== 'content-encoding' && name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') out[name] = value;
        });
        res.writeHead(forwarded.status, out);
        res.end(Buffer.from(await forwarded.arrayBuffer()));
      };
      reply().catch((thrown: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: `${String(thrown)} ${String((thrown as { cause?: unknown }).cause ?? '')}` } }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mode,
    executions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
