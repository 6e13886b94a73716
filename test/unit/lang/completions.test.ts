import { strict as assert } from 'node:assert';
import { completionsAt } from '../../../src/sock/lang/completions';
import { VERBS } from '../../../src/sock/lang/verbs';
import { parseSock } from '../../../src/sock/parser';

const FILE = parseSock('@target = 127.0.0.1:80\n### Greeter\nlisten tcp 0 as greeter\nsend "hi"\n');

function labels(before: string, recent: Record<string, unknown> = {}): string[] {
  return completionsAt(before, FILE, recent).map((c) => c.label);
}

describe('completion', () => {
  it('offers every statement at the start of a line, settings as settings, each with its syntax and text', () => {
    const all = completionsAt('  re', FILE, {});
    assert.deepEqual(all.map((c) => c.label), VERBS.map((v) => v.name));
    assert.ok(all.some((c) => c.label === 'end'), 'end is a statement too');
    const maxConns = all.find((c) => c.label === 'max-conns');
    assert.equal(maxConns?.kind, 'setting');
    const send = all.find((c) => c.label === 'send');
    assert.equal(send?.kind, 'verb');
    assert.equal(send?.detail, 'send PAYLOAD');
    assert.match(send?.documentation ?? '', /Python: `s\.sendall\(data\)`/);
  });

  it("offers a verb's own keywords after it, where they go", () => {
    assert.deepEqual(labels('recv '), ['until', 'all', 'line', 'exactly', 'frame', 'timeout']);
    assert.deepEqual(labels('recv until '), ['hex', 'base64', 'file']);
    assert.deepEqual(labels('recv 10 '), ['timeout']);
    assert.deepEqual(labels('recv timeout '), [], 'a duration follows timeout');
    assert.deepEqual(labels('expect '), ['error', 'time', 'bytes', 'closed', 'tls', 'exactly', 'hex', 'base64', 'file', 'errors', 'min', 'median', 'p90', 'p99', 'max', 'mean', 'connect', 'first-byte', 'round-trip', 'session']);
    assert.deepEqual(labels('load 10 '), ['clients']);
    assert.deepEqual(labels('load 10 clients '), ['ramp', 'rate', 'for']);
    assert.deepEqual(labels('expect tls '), ['verified', 'protocol', 'cipher', 'alpn', 'fingerprint', 'subject']);
    assert.deepEqual(labels('connect '), ['tcp', 'udp', 'unix', 'tls']);
    assert.deepEqual(labels('connect tcp 127.0.0.1:80 '), ['timeout', 'as', 'keep']);
    assert.deepEqual(labels('repeat 3 '), ['every', 'rate', 'until']);
    assert.deepEqual(labels('eol '), ['crlf', 'lf']);
    assert.deepEqual(labels('resolve lab.test '), ['A', 'AAAA', 'MX', 'TXT', 'SRV', 'NS', 'CNAME', 'PTR']);
    assert.deepEqual(labels('service http '), ['tcp', 'udp']);
    assert.deepEqual(labels('close '), []);
    assert.deepEqual(labels('frob '), []);
  });

  it('offers the parts of a field payload after send: payload kinds and integer types first, then len too', () => {
    const first = labels('send ');
    for (const w of ['hex', 'base64', 'file', 'u8', 'u16le', 'i64', 'varint', 'dec']) assert.ok(first.includes(w), `${w} after send`);
    assert.ok(!first.includes('len'), 'len needs a type before it');
    const later = labels('send u8 0x10 varint ');
    for (const w of ['len', 'u16', 'hex']) assert.ok(later.includes(w), `${w} later in the payload`);
  });

  it('offers services with their ports, variables inside {{, and recent endpoints after connect tcp', () => {
    const services = completionsAt('service ', FILE, {});
    assert.ok(services.some((c) => c.label === 'gopher' && c.kind === 'service'));
    assert.deepEqual(labels('send "{{'), ['target', 'greeter', 'greeter.port', 'greeter.host', '$timestamp', '$randomInt 0 100', '$env NAME']);
    assert.deepEqual(labels('connect tcp {{'), labels('send "{{'), 'a variable, not a recent address');
    assert.deepEqual(labels('listen udp ', { 'listen-udp': ['127.0.0.1:0', 42] }), ['127.0.0.1:0']);
    assert.deepEqual(labels('listen udp ', {}), []);
  });

  it('reads words as the parser does: a quoted string is one word, spaces included', () => {
    assert.deepEqual(labels('recv until "a b" '), ['timeout']);
    assert.deepEqual(labels('connect tcp 127.0.0.1:80 as "x y" timeout '), [], 'a duration follows timeout');
    assert.deepEqual(labels('connect unix "/tmp/lab so', { 'connect-unix': ['/tmp/lab.sock'] }), ['/tmp/lab.sock'], 'still typing the path: the recent paths, not the words after it');
    assert.deepEqual(labels('connect tcp 127.0.0.1:{{$randomInt 8000 '), labels('send "{{'), 'a {{…}} with a space is still being typed');
    assert.deepEqual(labels('lookup {{$randomInt 0 100}} '), [], 'a closed {{…}} is a word of its own');
  });

  it('offers no keyword inside a quoted string or a trailing comment', () => {
    assert.deepEqual(labels('recv until "a b'), [], 'not timeout: the string is not closed');
    assert.deepEqual(labels('send "he'), [], 'not hex: it would go inside the payload');
    assert.deepEqual(labels('lookup "{{" '), [], 'the {{ is closed inside its string');
    assert.deepEqual(labels('connect tcp 127.0.0.1:80 # '), []);
    assert.deepEqual(labels('connect tcp 127.0.0.1:80 // {{'), []);
    assert.deepEqual(labels('#'), []);
    assert.deepEqual(labels('resolve a#b '), labels('resolve lab.test '), 'a # inside a word is no comment');
  });
});
