import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

test('defaults to SQLite in ./data on port 3000', () => {
  const config = loadConfig({}, '/srv/app');
  assert.equal(config.port, 3000);
  assert.equal(config.dataDir, '/srv/app/data');
  assert.deepEqual(config.database, { kind: 'sqlite', path: '/srv/app/data/toolproxy.db' });
  assert.equal(config.linkTtlSeconds, 600);
  assert.ok(Object.isFrozen(config));
});

test('uses Postgres when DATABASE_URL is set', () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/tp' });
  assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://u:p@db:5432/tp' });
});

test('reports every bad setting at once, without echoing secrets', () => {
  try {
    loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://root:hunter2@x/db', TOOLPROXY_ENCRYPTION_KEY: 'c2hvcnQ=' });
    assert.fail('should throw');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 4);
    assert.match(error.message, /PORT must be an integer/);
    assert.match(error.message, /LOG_LEVEL must be one of/);
    assert.match(error.message, /DATABASE_URL must start with postgres/);
    assert.match(error.message, /TOOLPROXY_ENCRYPTION_KEY key #1 must be base64 of exactly 32 bytes/);
    assert.ok(!error.message.includes('hunter2'));
  }
});

test('accepts a valid encryption key list', () => {
  const keys = `${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')}`;
  assert.equal(loadConfig({ TOOLPROXY_ENCRYPTION_KEY: keys }).encryptionKey, keys);
});

test('a bad value stops the start with one clear line and exit code 1, not a stack trace', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: 'not-a-port', LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^toolproxy: invalid configuration: PORT must be an integer/);
  assert.equal(result.stdout, '');
});

test('TLS files come as a pair and switch the default public URL to https', () => {
  const config = loadConfig({ TOOLPROXY_TLS_CERT_FILE: 'tls/cert.pem', TOOLPROXY_TLS_KEY_FILE: 'tls/key.pem', PORT: '8443' }, '/srv/app');
  assert.deepEqual(config.tls, { certFile: '/srv/app/tls/cert.pem', keyFile: '/srv/app/tls/key.pem' });
  assert.equal(config.publicUrl, 'https://localhost:8443');
  assert.throws(() => loadConfig({ TOOLPROXY_TLS_CERT_FILE: 'cert.pem' }), /TOOLPROXY_TLS_CERT_FILE and TOOLPROXY_TLS_KEY_FILE must be set together/);
});
