import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Progress, type ProgressStream } from '../../src/cli/progress.ts';

function stream(isTTY: boolean): { out: ProgressStream; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as ProgressStream;
  out.isTTY = isTTY;
  out.columns = 80;
  return { out, text: () => text };
}

test('on a terminal the progress bar is redrawn in place and ends its line', () => {
  const { out, text } = stream(true);
  const progress = new Progress(out, 're-encrypting');
  progress.update(5, 20, 'connected_accounts.credentials');
  progress.update(20, 20);
  progress.finish();
  assert.equal(
    text(),
    `\rre-encrypting [##########                              ] 25% 5/20 connected_accounts.credentials\u001b[K` +
      `\rre-encrypting [########################################] 100% 20/20\u001b[K\n`,
  );
});

test('elsewhere it writes one plain line per update', () => {
  const { out, text } = stream(false);
  const progress = new Progress(out, 're-encrypting');
  progress.update(5, 20, 'connections.secrets');
  progress.update(0, 0);
  progress.finish();
  assert.equal(text(), 're-encrypting: 5/20 (25%) connections.secrets\nre-encrypting: 0/0 (100%)\n');
});
