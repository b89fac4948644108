import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { formatTable } from '../../src/cli/table.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { API_KEY, apiKeyConnector, submitHostedForm } from '../sdk/scenario-fixtures.ts';
import { cli } from './run-cli.ts';

/**
 * The seed flow with the `toolproxy` command, in-process, against a real server and upstream:
 * connectors apply → connections create → accounts link → hosted form → request GET/POST →
 * 404 passed through → the inactive-account refusal; then the other commands and exit codes.
 */

let upstream: Upstream;
let server: TestServer;
let workDir: string;
/** Credentials come from the server's data dir (bootstrap-client.json), as in the walkthrough. */
let env: Record<string, string>;
let connectorFile: string;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase() });
  workDir = await mkdtemp(join(tmpdir(), 'tp-cli-'));
  env = { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: server.dataDir };
  connectorFile = join(workDir, 'acme.yaml');
  await writeFile(connectorFile, stringify(apiKeyConnector(upstream.url)));
});
after(async () => {
  // The upstream closes even when the server failed to start, so the file never hangs.
  try {
    await server?.close();
  } finally {
    await upstream?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
});

describe('CLI: the seed flow', () => {
  test('connectors apply creates the connector from a YAML file, then replaces it', async () => {
    const first = await cli(['connectors', 'apply', '-f', connectorFile], env);
    assert.equal(first.code, EXIT.OK, first.stderr);
    assert.match(first.stdout, /^ACTION\s+IDENTIFIER\s+NAME\s+SOURCE\s+TYPE\s+PROXY_URL\s+UPDATED\n/);
    assert.match(first.stdout, /created\s+acme-billing\s+Acme Billing\s+custom\s+API_KEY/);
    const again = await cli(['connectors', 'apply', '-f', connectorFile], env);
    assert.match(again.stdout, /replaced\s+acme-billing/);
    const list = await cli(['connectors', 'list', '--type', 'custom', '--json'], env);
    assert.deepEqual(JSON.parse(list.stdout).map((c: { identifier: string }) => c.identifier), ['acme-billing']);
  });

  test('connectors apply warns on stderr about a proxy_url the server will refuse to call (and in --json)', async () => {
    const file = join(workDir, 'private.yaml');
    await writeFile(file, stringify({ ...apiKeyConnector(upstream.url), display_name: 'Private Billing', proxy_url: 'http://10.9.8.7/api' }));
    const applied = await cli(['connectors', 'apply', '-f', file], env);
    assert.equal(applied.code, EXIT.OK, applied.stderr);
    assert.match(applied.stderr, /^warning: private-billing \/proxy_url: 10\.9\.8\.7 is a loopback, private or reserved address: calls to it will be refused with UPSTREAM_ADDRESS_FORBIDDEN unless TOOLPROXY_EGRESS_ALLOW_CIDRS allows it\.\n$/);
    const json = await cli(['connectors', 'apply', '-f', file, '--json'], env);
    assert.equal(JSON.parse(json.stdout)[0].connector.warnings[0].code, 'UPSTREAM_ADDRESS_FORBIDDEN');
    assert.equal((await cli(['connectors', 'delete', 'private-billing'], env)).code, EXIT.OK);
  });

  test('connectors list shows the built-in catalog next to custom connectors', async () => {
    const all = await cli(['connectors', 'list'], env);
    assert.equal(all.code, EXIT.OK, all.stderr);
    assert.match(all.stdout, /\nstripe\s+Stripe\s+built-in\s+BEARER\s+https:\/\/api\.stripe\.com/);
    assert.match(all.stdout, /^IDENTIFIER.*\nacme-billing\s+Acme Billing\s+custom\s+API_KEY.*\nairtable\s/, 'custom first, then the catalog by identifier');
    const builtIn = JSON.parse((await cli(['connectors', 'list', '--type', 'builtin', '--json'], env)).stdout) as { identifier: string }[];
    assert.ok(builtIn.some((c) => c.identifier === 'stripe') && !builtIn.some((c) => c.identifier === 'acme-billing'));
    const wrong = await cli(['connectors', 'list', '--type', 'mine'], env);
    assert.equal(wrong.code, EXIT.USAGE, wrong.stderr);
    assert.match(wrong.stderr, /builtin, custom, all/);
  });

  test('connections create and list', async () => {
    const created = await cli(['connections', 'create', 'acme', '--connector', 'acme-billing'], env);
    assert.equal(created.code, EXIT.OK, created.stderr);
    assert.equal(created.stdout, 'Created connection acme (acme-billing, API_KEY).\n');
    const list = await cli(['connections', 'list'], env);
    assert.match(list.stdout, /NAME\s+CONNECTOR\s+TYPE\s+ENABLED\s+CREATED\nacme\s+acme-billing\s+API_KEY\s+yes\s+\d{4}-/);
  });

  test('connections create --if-not-exists can be re-run; another connector under the name is still an error', async () => {
    const again = await cli(['connections', 'create', 'acme', '--connector', 'acme-billing', '--if-not-exists'], env);
    assert.equal(again.code, EXIT.OK, again.stderr);
    assert.equal(again.stdout, 'Connection acme already exists (acme-billing, API_KEY).\n');
    const other = await cli(['connections', 'create', 'acme', '--connector', 'stripe', '--if-not-exists'], env);
    assert.equal(other.code, EXIT.ERROR);
    assert.match(other.stderr, /connection acme exists with connector acme-billing, not stripe/);
    const plain = await cli(['connections', 'create', 'acme', '--connector', 'acme-billing'], env);
    assert.equal(plain.code, EXIT.ERROR);
    assert.match(plain.stderr, /\[CONNECTION_EXISTS\]/);
  });

  test('connections delete removes a connection; a missing one is CONNECTION_NOT_FOUND', async () => {
    assert.equal((await cli(['connections', 'create', 'spare', '--connector', 'acme-billing'], env)).code, EXIT.OK);
    const deleted = await cli(['connections', 'delete', 'spare'], env);
    assert.equal(deleted.code, EXIT.OK, deleted.stderr);
    assert.equal(deleted.stdout, 'Deleted connection spare.\n');
    const again = await cli(['connections', 'delete', 'spare'], env);
    assert.equal(again.code, EXIT.ERROR);
    assert.match(again.stderr, /\[CONNECTION_NOT_FOUND\]/);
  });

  test('accounts link prints the link; before the form is submitted, request is refused (ACCOUNT_NOT_ACTIVE, exit 1)', async () => {
    const link = await cli(['accounts', 'link', 'acme', 'user_123'], env);
    assert.equal(link.code, EXIT.OK, link.stderr);
    assert.match(link.stdout, /^http:\/\/[^/\s]+\/connect\/[A-Za-z0-9_-]+\n$/);
    assert.match(link.stderr, /Valid until/);

    const refused = await cli(['request', 'acme', 'user_123', 'GET', '/v1/customers'], env);
    assert.equal(refused.code, EXIT.ERROR);
    assert.match(refused.stderr, /^toolproxy: \[ACCOUNT_NOT_ACTIVE\] The connected account is not active/);

    await submitHostedForm(link.stdout.trim(), server.url);
    const account = await cli(['accounts', 'get', 'acme', 'user_123'], env);
    assert.match(account.stdout, /status\s+ACTIVE/);
    assert.match(account.stdout, /credentials\s+stored \(never shown\)/);
    assert.ok(!account.stdout.includes(API_KEY));
  });

  test('accounts link --wait returns once the form is submitted, and at once for an ACTIVE account', async () => {
    const waiting = cli(['accounts', 'link', 'acme', 'user_wait', '--wait'], env);
    // The command is waiting; the user opens the printed link (here: the latest link of user_wait).
    let link: string | undefined;
    for (let i = 0; i < 50 && !link; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { body } = await server.api('GET', '/api/v1/connected_accounts?connection_name=acme&identifier=user_wait');
      if (body?.connected_accounts?.length) link = (await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'acme', identifier: 'user_wait' })).body.link;
    }
    await submitHostedForm(link!, server.url);
    const done = await waiting;
    assert.equal(done.code, EXIT.OK, done.stderr);
    assert.match(done.stderr, /Waiting until the account is ACTIVE[\s\S]*The account is ACTIVE\.\n$/);
    const again = await cli(['accounts', 'link', 'acme', 'user_wait', '--wait'], env);
    assert.equal(again.code, EXIT.OK, again.stderr);
    assert.doesNotMatch(again.stderr, /Waiting/);
    assert.equal((await cli(['accounts', 'delete', 'acme', 'user_wait'], env)).code, EXIT.OK);
  });

  test('request GET prints the upstream JSON; the key was injected', async () => {
    const result = await cli(['request', 'acme', 'user_123', 'GET', '/v1/customers', '-q', 'limit=2', '-H', 'X-Trace: t-1'], env);
    assert.equal(result.code, EXIT.OK, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { data: [{ id: 'cus_1', name: 'Ada' }], has_more: false });
    assert.equal(upstream.received.at(-1)!.url, '/api/v1/customers?limit=2');
    assert.equal(upstream.received.at(-1)!.headers['x-api-key'], API_KEY);
    assert.equal(upstream.received.at(-1)!.headers['x-trace'], 't-1');
  });

  test('request POST --data sends JSON; -i shows the status and headers', async () => {
    const result = await cli(['request', 'acme', 'user_123', 'POST', '/v1/customers', '--data', '{"name":"Grace"}', '-i'], env);
    assert.equal(result.code, EXIT.OK, result.stderr);
    assert.match(result.stdout, /^HTTP 201 Created\n/);
    assert.match(result.stdout, /\nlocation: \/v1\/customers\/cus_2\n/);
    assert.match(result.stdout, /"received": \{\n\s+"name": "Grace"/);
    assert.equal(upstream.received.at(-1)!.headers['content-type'], 'application/json');
  });

  test('an upstream 404 is printed and exits 0; with --fail it exits 4', async () => {
    const missing = await cli(['request', 'acme', 'user_123', 'GET', '/v1/nothing-here'], env);
    assert.equal(missing.code, EXIT.OK);
    assert.equal(missing.stderr, 'HTTP 404 Not Found\n');
    assert.match(missing.stdout, /No such route: \/api\/v1\/nothing-here/);
    const failed = await cli(['request', 'acme', 'user_123', 'GET', '/v1/nothing-here', '--fail'], env);
    assert.equal(failed.code, EXIT.UPSTREAM_STATUS);
    const json = await cli(['request', 'acme', 'user_123', 'GET', '/v1/nothing-here', '--json'], env);
    assert.equal(JSON.parse(json.stdout).status, 404);
  });

  test('accounts link refuses an identifier with surrounding whitespace (INVALID_IDENTIFIER, exit 1), creating nothing', async () => {
    const refused = await cli(['accounts', 'link', 'acme', 'user_123 '], env);
    assert.equal(refused.code, EXIT.ERROR);
    assert.match(refused.stderr, /\[INVALID_IDENTIFIER\]/);
    const routed = await cli(['request', 'acme', ' user_123', 'GET', '/v1/customers'], env);
    assert.equal(routed.code, EXIT.ERROR, 'never routed to user_123');
    assert.match(routed.stderr, /\[INVALID_IDENTIFIER\]/);
    assert.equal(JSON.parse((await cli(['accounts', 'list', '--json'], env)).stdout).length, 1);
  });

  test('accounts search finds by part of the identifier; accounts disconnect drops the credentials, and a new link reconnects', async () => {
    const found = await cli(['accounts', 'search', 'USER_1', '--json'], env);
    assert.equal(found.code, EXIT.OK, found.stderr);
    assert.deepEqual(JSON.parse(found.stdout).map((a: { identifier: string }) => a.identifier), ['user_123']);
    assert.equal((await cli(['accounts', 'search', 'nobody-here'], env)).stdout, 'No connected accounts match.\n');

    const disconnected = await cli(['accounts', 'disconnect', 'acme', 'user_123'], env);
    assert.equal(disconnected.code, EXIT.OK, disconnected.stderr);
    assert.match(disconnected.stdout, /^Disconnected acme \/ user_123 \(ca_\S+\): credentials deleted/);
    const account = await cli(['accounts', 'get', 'acme', 'user_123'], env);
    assert.match(account.stdout, /status\s+DISCONNECTED/);
    assert.match(account.stdout, /credentials\s+none/);
    const refused = await cli(['request', 'acme', 'user_123', 'GET', '/v1/customers'], env);
    assert.equal(refused.code, EXIT.ERROR);
    assert.match(refused.stderr, /\[ACCOUNT_DISCONNECTED\]/);

    const link = await cli(['accounts', 'link', 'acme', 'user_123'], env);
    await submitHostedForm(link.stdout.trim(), server.url);
    assert.equal((await cli(['request', 'acme', 'user_123', 'GET', '/v1/customers'], env)).code, EXIT.OK);
  });

  test('accounts list, then delete', async () => {
    const list = await cli(['accounts', 'list', '--connection', 'acme'], env);
    assert.match(list.stdout, /^ID\s+CONNECTION\s+IDENTIFIER\s+STATUS\s+LAST USED\s+UPDATED\nca_\S+\s+acme\s+user_123\s+ACTIVE/);
    const json = JSON.parse((await cli(['accounts', 'list', '--json', '--status', 'active'], env)).stdout);
    assert.equal(json.length, 1);
    const deleted = await cli(['accounts', 'delete', json[0].id], env);
    assert.equal(deleted.code, EXIT.OK, deleted.stderr);
    const gone = await cli(['accounts', 'get', 'acme', 'user_123'], env);
    assert.equal(gone.code, EXIT.ERROR);
    assert.match(gone.stderr, /\[ACCOUNT_NOT_FOUND\]/);
    assert.equal((await cli(['accounts', 'list'], env)).stdout, 'No connected accounts.\n');
  });
});

describe('CLI: API clients', () => {
  test('create prints the secret once; list never shows it; revoke works and refuses the last client', async () => {
    const created = await cli(['clients', 'create', 'ci-runner', '--json'], env);
    assert.equal(created.code, EXIT.OK, created.stderr);
    const { client_id: clientId, client_secret: secret } = JSON.parse(created.stdout);
    assert.match(secret, /^tps_/);
    const list = await cli(['clients', 'list'], env);
    assert.match(list.stdout, new RegExp(`${clientId}\\s+ci-runner`));
    assert.match(list.stdout, /bootstrap \(bootstrap\)/);
    assert.ok(!list.stdout.includes(secret));

    const asRunner = await cli(['connections', 'list', '--client-id', clientId, '--client-secret', secret], { TOOLPROXY_URL: server.url });
    assert.equal(asRunner.code, EXIT.OK, asRunner.stderr);
    assert.equal((await cli(['clients', 'revoke', clientId], env)).code, EXIT.OK);
    const last = await cli(['clients', 'revoke', server.clientId], env);
    assert.equal(last.code, EXIT.ERROR);
    assert.match(last.stderr, /\[LAST_ACTIVE_CLIENT\]/);
  });
});

describe('CLI: validation, usage and errors', () => {
  test('connectors apply prints every problem of every definition and exits 3, applying nothing', async () => {
    const file = join(workDir, 'bad.yaml');
    await writeFile(
      file,
      `${stringify({ display_name: 'Good One', proxy_url: 'https://api.good.example', auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', label: 'Token', input_type: 'password', required: true }] }] })}---\n${stringify({ display_name: '', proxy_url: 'ftp://x', auth_patterns: [{ type: 'api_key' }] })}`,
    );
    const result = await cli(['connectors', 'apply', '-f', file], env);
    assert.equal(result.code, EXIT.INVALID);
    assert.match(result.stderr, /^toolproxy: \d+ problems in the connector definitions:\n/);
    assert.match(result.stderr, /  bad\.yaml#2 \/auth_patterns\/0\/type: must be one of: .* \(types are upper case: API_KEY\)/);
    assert.match(result.stderr, /  bad\.yaml#2 \/proxy_url: /);
    assert.ok(!result.stderr.includes('#1'), 'the valid document has no problems');
    assert.ok(!(await cli(['connectors', 'list'], env)).stdout.includes('Good One'), 'nothing was applied');

    const json = await cli(['connectors', 'apply', '-f', file, '--json'], env);
    assert.equal(json.code, EXIT.INVALID);
    assert.equal(JSON.parse(json.stderr).error.code, 'INVALID_DEFINITION');
  });

  test('a YAML syntax error is reported with its line and exits 3; --dry-run applies nothing', async () => {
    const broken = join(workDir, 'broken.yaml');
    await writeFile(broken, 'display_name: x\nauth_patterns: [\n');
    const result = await cli(['connectors', 'apply', '-f', broken], env);
    assert.equal(result.code, EXIT.INVALID);
    assert.match(result.stderr, /broken\.yaml:\d+:\d+: /);

    const json = join(workDir, 'dry.json');
    await writeFile(json, JSON.stringify(apiKeyConnector(upstream.url, 'Dry Run')));
    const dry = await cli(['connectors', 'apply', '-f', json, '--dry-run'], env);
    assert.equal(dry.code, EXIT.OK, dry.stderr);
    assert.match(dry.stdout, /1 valid definition\(s\); nothing applied/);
    assert.ok(!(await cli(['connectors', 'list'], env)).stdout.includes('Dry Run'));
  });

  test('usage errors exit 2', async () => {
    for (const args of [
      ['bogus'],
      ['connections', 'create'],
      ['connectors', 'apply'],
      ['connectors', 'apply', '-f', join(workDir, 'missing.yaml')],
      ['request', 'acme', 'u', 'GET', '/x', '--data', '{not json'],
      ['request', 'acme', 'u', 'G E T', '/x'],
      ['accounts', 'list', '--status', 'sleeping'],
      ['accounts', 'get', 'not-an-id'],
    ]) {
      const result = await cli(args, env);
      assert.equal(result.code, EXIT.USAGE, `${args.join(' ')}: ${result.stderr}`);
      assert.ok(result.stderr.length > 0);
    }
  });

  test('without credentials anywhere it says how to give them (exit 2); a wrong secret is exit 1', async () => {
    const none = await cli(['connections', 'list'], { TOOLPROXY_URL: server.url, TOOLPROXY_DATA_DIR: workDir });
    assert.equal(none.code, EXIT.USAGE);
    assert.match(none.stderr, /--client-id and --client-secret/);
    const wrong = await cli(['connections', 'list', '--client-id', server.clientId, '--client-secret', 'tps_wrong'], { TOOLPROXY_URL: server.url });
    assert.equal(wrong.code, EXIT.ERROR);
    assert.match(wrong.stderr, /\[INVALID_CLIENT\]/);
    assert.ok(!wrong.stderr.includes('tps_wrong'));
  });

  test('an unreachable server is named in the error; --help shows the default URL of PORT', async () => {
    const down = await cli(['connections', 'list'], { TOOLPROXY_DATA_DIR: server.dataDir, PORT: '9' });
    assert.equal(down.code, EXIT.ERROR);
    assert.match(down.stderr, /^toolproxy: \[NETWORK_ERROR\] Could not reach the toolproxy server at http:\/\/localhost:9 \(/);
    const help = await cli(['--help'], { PORT: '4123' });
    assert.equal(help.code, EXIT.OK);
    assert.match(help.stdout, /TOOLPROXY_URL; default\s+http:\/\/localhost:4123\)/);
  });

  test('--json errors are JSON on stderr with the stable code', async () => {
    const result = await cli(['connections', 'create', 'acme', '--connector', 'acme-billing', '--json'], env);
    assert.equal(result.code, EXIT.ERROR);
    assert.deepEqual(JSON.parse(result.stderr).error.code, 'CONNECTION_EXISTS');
  });

  test('tables pad columns and escape control characters in values', () => {
    const table = formatTable(
      [
        { name: 'acme', note: 'evil\u001b[31m', at: new Date('2026-01-02T03:04:05.678Z') },
        { name: 'a-much-longer-name', note: null, at: null },
      ],
      [
        { header: 'name', value: (r) => r.name },
        { header: 'note', value: (r) => r.note },
        { header: 'at', value: (r) => r.at },
      ],
    );
    assert.equal(
      table,
      ['NAME                NOTE          AT', 'acme                evil\\x1b[31m  2026-01-02T03:04:05Z', 'a-much-longer-name  -             -'].join('\n'),
    );
  });
});
