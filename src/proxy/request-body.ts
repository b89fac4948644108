import { type Readable, Transform } from 'node:stream';
import { ToolproxyError } from '../errors.ts';
import type { Call } from './call.ts';

/**
 * A request body is held in memory for a second send only up to this size, and only when its
 * size is known up front (Content-Length, or a rendered Buffer): opt-in retries (retry.ts) and
 * the one retry after an OAuth refresh (DESIGN.md §7) replay it. A larger or unsized body is
 * streamed once, and such a call gets no retry.
 */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;

/**
 * The one replay buffer: sets `call.body` (what the forwarder sends), `call.replayable` and the
 * record's `bytesIn`. A stream is read into memory only when `wantReplay` and it fits; otherwise
 * it passes through untouched (counted on the way when it has no Content-Length). Returns a
 * promise only when it has a body to read.
 */
export function prepareBody(call: Call, wantReplay: boolean): Promise<void> | undefined {
  const body = call.request.body;
  if (body === null) {
    call.replayable = true;
    return undefined;
  }
  if (Buffer.isBuffer(body)) {
    call.body = body;
    call.replayable = true;
    call.record.bytesIn = body.length;
    return undefined;
  }
  const declared = declaredLength(call.request.headers['content-length']);
  if (wantReplay && declared !== undefined && declared <= REPLAYABLE_BODY_BYTES) return readAll(call, body);
  // A policy's body cap on an unsized body: read it first when the cap is small enough to hold,
  // so a body over the cap is refused before anything goes upstream; a larger one is cut off there.
  if (declared === undefined && call.maxBodyBytes <= REPLAYABLE_BODY_BYTES) return readAll(call, body);
  call.replayable = false;
  if (declared === undefined) {
    call.body = counted(body, call);
  } else {
    call.body = body;
    call.record.bytesIn = declared;
  }
  return undefined;
}

function declaredLength(value: string | string[] | undefined): number | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

async function readAll(call: Call, body: Readable): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > call.maxBodyBytes) throw bodyOverCap();
    chunks.push(chunk as Buffer);
  }
  const buffered = Buffer.concat(chunks);
  call.body = buffered;
  call.replayable = true;
  call.record.bytesIn = buffered.length;
}

/** A chunked upload has no Content-Length: count its bytes on the way through. */
function counted(body: Readable, call: Call): Readable {
  const record = call.record;
  const cap = call.maxBodyBytes;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      record.bytesIn += chunk.length;
      if (record.bytesIn > cap) callback(bodyOverCap());
      else callback(null, chunk);
    },
  });
  body.on('error', (error) => counter.destroy(error));
  return body.pipe(counter);
}

/** POLICY_DENIED for a body over its policy's `max_request_body_bytes` (src/policy). */
function bodyOverCap(): ToolproxyError {
  return new ToolproxyError('POLICY_DENIED', { details: { rule: 'max_request_body_bytes' } });
}
