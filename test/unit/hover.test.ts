import { strict as assert } from 'node:assert';
import { hoverAt } from '../../src/sock/hoverInfo';
import { parseSock } from '../../src/sock/parser';

const TEXT = [
  '@host = 127.0.0.1', // 0
  '### a', // 1
  'connect tcp {{host}}:80', // 2
  'send "GET /\\r\\n"', // 3
  'send hex 47 45 54', // 4
  'service http tcp', // 5
  'lookup example.test', // 6
  'connect udp [::1]:53', // 7
  'aton 127.1', // 8
  'recv {{greeter.port}}', // 9
].join('\n');
const FILE = parseSock(TEXT);

function at(line: number, column: number) {
  return hoverAt(TEXT, FILE, line, column);
}

describe('hover info (what is under the cursor)', () => {
  it('explains verbs with the Python socket call they stand for', () => {
    const h = at(3, 1);
    assert.ok(h?.info.kind === 'verb' && h.info.python === 's.sendall(data)');
    assert.deepEqual([h.start, h.end], [0, 4]);
  });

  it('shows the exact bytes of quoted and hex payloads', () => {
    const q = at(3, 8);
    assert.ok(q?.info.kind === 'payload');
    assert.deepEqual(q.info.bytes, Buffer.from('GET /\r\n'));
    const h = at(4, 10);
    assert.ok(h?.info.kind === 'payload');
    assert.deepEqual(h.info.bytes, Buffer.from('GET'));
  });

  it('gives a variable its value, and a listener field its meaning', () => {
    const v = at(2, 14);
    assert.ok(v?.info.kind === 'variable' && v.info.value === '127.0.0.1');
    const l = at(9, 8);
    assert.ok(l?.info.kind === 'variable' && /listener named greeter starts \(its port\)/.test(l.info.note ?? ''));
  });

  it('maps ports to services and services to ports, from the services table', () => {
    const p = at(2, 21);
    assert.ok(p?.info.kind === 'port' && p.info.port === 80 && p.info.service === 'http');
    const s = at(5, 9);
    assert.ok(s?.info.kind === 'service' && s.info.port === 80);
  });

  it('packs addresses (IPv6 in brackets, inet_aton shorthand) and leaves host names to the resolver', () => {
    const v6 = at(7, 14);
    assert.ok(v6?.info.kind === 'address' && v6.info.family === 6 && v6.info.packed.toString('hex') === '00000000000000000000000000000001');
    const short = at(8, 6);
    assert.ok(short?.info.kind === 'address' && short.info.packed.toString('hex') === '7f000001');
    const host = at(6, 9);
    assert.ok(host?.info.kind === 'host' && host.info.name === 'example.test');
  });

  it('says nothing over blank space, comments and variable lines, and never throws on any position', () => {
    assert.equal(at(1, 1), undefined);
    assert.equal(at(0, 3), undefined);
    const lines = TEXT.split('\n');
    for (let l = 0; l < lines.length + 2; l++) for (let c = 0; c < 30; c++) hoverAt(TEXT, FILE, l, c);
  });
});
