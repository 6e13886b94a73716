// Hover reads a hex or base64 payload as the parser did: its own words, never a `timeout D`
// or a comment after them.
import { strict as assert } from 'node:assert';
import { hoverAt } from '../../../src/sock/hoverInfo';
import { parseSock } from '../../../src/sock/parser';

function payloadAt(text: string, line: number, column: number): { bytes?: string; message?: string; start?: number; end?: number } {
  const h = hoverAt(text, parseSock(text), line, column);
  const info = h?.info as { kind: string; bytes?: Buffer; message?: string } | undefined;
  return { ...(info?.bytes ? { bytes: info.bytes.toString('hex') } : {}), ...(info?.message ? { message: info.message } : {}), start: h?.start, end: h?.end };
}

describe('hover over hex and base64 payloads', function () {
  it('recv until hex 0d0a timeout 2s: the bytes 0d 0a, not "s is not a hex digit"', () => {
    assert.deepEqual(payloadAt('### a\nconnect tcp 127.0.0.1:1\nrecv until hex 0d0a timeout 2s\n', 2, 16), { bytes: '0d0a', start: 15, end: 19 });
  });

  it('a base64 payload with a timeout, and a hex payload with a trailing comment', () => {
    assert.deepEqual(payloadAt('### a\nconnect tcp 127.0.0.1:1\nrecv until base64 DQo= timeout 500ms\n', 2, 19), { bytes: '0d0a', start: 18, end: 22 });
    assert.deepEqual(payloadAt('### a\nconnect tcp 127.0.0.1:1\nsend hex 47 45 54 # GET\n', 2, 10), { bytes: '474554', start: 9, end: 17 });
  });

  it('a line the parser refused still says what is wrong with the payload itself', () => {
    assert.match(payloadAt('### a\nconnect tcp 127.0.0.1:1\nrecv until hex 0d0 timeout 2s\n', 2, 16).message ?? '', /hex/);
  });
});
