import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsTable } from '../../src/net/hosts';
import { hoverAt } from '../../src/sock/hoverInfo';
import { hoverMarkdown } from '../../src/sock/hoverMarkdown';
import { parseSock } from '../../src/sock/parser';
import { ROOT, run } from './helpers';

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

  it('explains every statement from the verb table, settings and end included, with its syntax', () => {
    const text = '### a\nlisten tcp 0\nmax-conns 2\nrepeat 2\necho\nend\n';
    const file = parseSock(text);
    const setting = hoverAt(text, file, 2, 0);
    assert.ok(setting?.info.kind === 'verb' && setting.info.syntax.join() === 'max-conns N');
    assert.ok(hoverAt(text, file, 5, 1)?.info.kind === 'verb');
    const md = hoverMarkdown(setting.info);
    assert.match(md, /^\*\*max-conns\*\* — Serves at most N connections/);
    assert.match(md, /```text\nmax-conns N\n```/);
    assert.match(hoverMarkdown(at(3, 1)?.info ?? setting.info), /```text\nsend PAYLOAD\nsend PART PART…\n```\n\nPython: \n\n```python\ns\.sendall\(data\)\n```/);
  });

  it('shows the exact bytes of quoted and hex payloads', () => {
    const q = at(3, 8);
    assert.ok(q?.info.kind === 'payload');
    assert.deepEqual(q.info.bytes, Buffer.from('GET /\r\n'));
    const h = at(4, 10);
    assert.ok(h?.info.kind === 'payload');
    assert.deepEqual(h.info.bytes, Buffer.from('GET'));
    // Every word of the hex payload hovers, not only the first.
    for (const column of [12, 13, 15, 16]) {
      const w = at(4, column);
      assert.ok(w?.info.kind === 'payload', `column ${column}`);
      assert.deepEqual([w.info.bytes, w.start, w.end], [Buffer.from('GET'), 9, 17]);
    }
    const bad = hoverAt('### a\nsend hex 00 zz\n', parseSock('### a\nsend hex 00 zz\n'), 1, 13);
    assert.ok(bad?.info.kind === 'payload-error');
  });

  it('hovers a file variable line: the name gives its value, the value hovers as any address', () => {
    const name = at(0, 2);
    assert.ok(name?.info.kind === 'variable' && name.info.value === '127.0.0.1');
    assert.deepEqual([name.start, name.end], [0, 5]);
    assert.equal(at(0, 6), undefined, 'the = is nothing');
    const value = at(0, 10);
    assert.ok(value?.info.kind === 'address' && value.info.family === 4);
    const env = hoverAt(TEXT, FILE, 0, 2, { source: 'environment "ci"', value: (n) => (n === 'host' ? '10.0.0.1' : undefined) });
    assert.ok(env?.info.kind === 'variable');
    assert.deepEqual([env.info.value, env.info.note], ['10.0.0.1', "from environment \"ci\", over the file's @host"]);
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

  it('does not hover an address or host inside a trailing comment', () => {
    const text = '### a\nconnect tcp 127.0.0.1:80 # was 10.0.0.1\nlookup localhost // or 10.0.0.3\nsend "a # 10.0.0.4"\n';
    const file = parseSock(text);
    const line1 = text.split('\n')[1];
    assert.ok(hoverAt(text, file, 1, line1.indexOf('127')), 'the address before the comment is hovered');
    assert.equal(hoverAt(text, file, 1, line1.indexOf('10.0')), undefined);
    assert.equal(hoverAt(text, file, 1, line1.indexOf('#')), undefined);
    assert.equal(hoverAt(text, file, 2, text.split('\n')[2].indexOf('10.0')), undefined);
    assert.equal(hoverAt(text, file, 3, text.split('\n')[3].indexOf('10.0'))?.info.kind, 'payload', 'a # inside quotes is payload, not a comment');
  });

  it('reads words as the parser does: a # right after a closing quote is a word, not a comment', () => {
    // The parser reads `#b` as a word (and reports it), so the rest of the line is statement, not comment.
    const text = '### a\nconnect tcp 127.0.0.1:80\nsend "a"#b 10.0.0.1:80\nsend "{{$randomInt 0 100}}" # 10.0.0.2\n';
    const file = parseSock(text);
    const line = text.split('\n')[2];
    assert.deepEqual(file.diagnostics.map((d) => [d.range.start.line, d.range.start.column, d.range.end.column]), [[2, line.indexOf('#'), line.indexOf('#') + 2]]);
    const address = hoverAt(text, file, 2, line.indexOf('10.0'));
    assert.ok(address?.info.kind === 'address' && address.info.address === '10.0.0.1');
    const env = text.split('\n')[3];
    const v = hoverAt(text, file, 3, env.indexOf('0 100'));
    assert.ok(v?.info.kind === 'variable' && v.info.name === '$randomInt 0 100', 'a {{…}} with spaces inside a string');
    assert.deepEqual([v.start, v.end], [env.indexOf('{{'), env.indexOf('}}') + 2]);
    assert.equal(hoverAt(text, file, 3, env.indexOf('10.0')), undefined);
  });

  it('says nothing over blank space, comments and the = of a variable line, and never throws on any position', () => {
    assert.equal(at(1, 1), undefined);
    assert.equal(at(0, 6), undefined);
    assert.equal(hoverAt('### a\n\nservice http tcp # 10.0.0.1\n', parseSock('### a\n\nservice http tcp # 10.0.0.1\n'), 1, 0), undefined);
    assert.equal(hoverAt('### a\nservice http tcp # 10.0.0.1\n', parseSock('### a\nservice http tcp # 10.0.0.1\n'), 1, 22), undefined);
    const lines = TEXT.split('\n');
    for (let l = 0; l < lines.length + 2; l++) for (let c = 0; c < 30; c++) hoverAt(TEXT, FILE, l, c);
  });
});

describe('the hosts table (/etc/hosts, hosts(5))', () => {
  const table = new HostsTable('# comment\n127.0.0.1\tlocalhost\n::1 localhost ip6-localhost # trailing\n10.9.8.7 Router.Lab.test router\nnot-an-address x\n10.9.8.7 second\n');

  it('maps names (case-insensitive) to addresses and addresses (by their bytes) to names', () => {
    assert.deepEqual(table.addresses('localhost'), ['127.0.0.1', '::1']);
    assert.deepEqual(table.addresses('router.lab.test'), ['10.9.8.7']);
    assert.deepEqual(table.names('0:0::1'), ['localhost', 'ip6-localhost']);
    assert.deepEqual(table.names('10.9.8.7'), ['Router.Lab.test', 'router', 'second']);
    assert.deepEqual(table.names('10.0.0.1'), []);
    assert.deepEqual(table.addresses('x'), []);
  });
});

describe('hover text', () => {
  it('offers the network lookup as a command link and says what /etc/hosts knows', () => {
    const md = hoverMarkdown({ kind: 'address', address: '10.0.0.1', family: 4, packed: Buffer.from([10, 0, 0, 1]), hosts: [] }, { lookupCommand: 'socketLab.lookupHost' });
    assert.match(md, /packed \(inet_aton\): `0a 00 00 01`/);
    assert.match(md, /not in \/etc\/hosts/);
    assert.match(md, /\[Look up 10\.0\.0\.1\]\(command:socketLab\.lookupHost\?%5B%2210\.0\.0\.1%22%5D "gethostbyaddr/);
    const host = hoverMarkdown({ kind: 'host', name: 'a(b)', hosts: ['10.9.8.7'] }, { lookupCommand: 'socketLab.lookupHost' });
    assert.match(host, /\/etc\/hosts: `10\.9\.8\.7`/);
    assert.match(host, /\[Look up a\\\(b\\\)\]\(command:socketLab\.lookupHost\?%5B%22a%28b%29%22%5D "gethostbyname/, 'parentheses cannot end the link early');
    assert.doesNotMatch(hoverMarkdown({ kind: 'host', name: 'x', hosts: [] }), /command:/, 'no link without a command');
  });
});

describe('hovers send nothing (a private network namespace whose resolver is a logging dnsmasq)', () => {
  it('hovering addresses, host names and comments makes no DNS query; the resolver itself does', async function () {
    this.timeout(30_000);
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-hover-'));
    try {
      const sock = [
        '@gw = 10.0.0.1',
        '### client',
        'connect tcp 10.0.0.1:80 # was 10.0.0.3',
        'send "hi"',
        '### v6',
        'connect udp [2001:db8::1]:53',
        '### lookups',
        'lookup example.test',
        'lookup lab-router.test',
        'lookup 192.0.2.9',
        'aton 10.9.8.7',
        'resolve other.test A',
        '// 10.0.0.4',
        '',
      ].join('\n');
      await writeFile(join(dir, 'hover.sock'), sock);
      await writeFile(join(dir, 'hosts'), '127.0.0.1 localhost\n10.9.8.7 lab-router.test router\n');
      await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n');
      const log = join(dir, 'dnsmasq.log');
      const script = [
        'ip link set lo up',
        `mount --bind "${dir}/hosts" /etc/hosts`,
        `mount --bind "${dir}/resolv.conf" /etc/resolv.conf`,
        `dnsmasq --no-daemon --log-queries --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts --user=root --pid-file= --log-facility="${log}" & D=$!`,
        `for i in $(seq 50); do grep -q started "${log}" 2>/dev/null && break; sleep 0.1; done`,
        `"${process.execPath}" "${join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')}" "${join(ROOT, 'test', 'fixtures', 'hover-all.ts')}" "${dir}/hover.sock" --control; S=$?`,
        'kill $D; wait $D; exit $S',
      ].join('\n');
      const r = await run('unshare', ['-n', '-m', 'sh', '-c', script], { timeoutMs: 25_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /hovered\ncontrol done/);
      const hovers = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { line: number; start: number; kind: string; md: string });
      const queries = (await readFile(log, 'utf8')).split('\n').filter((l) => /query\[/.test(l));
      // The observer works: the control lookups after the hovers reached it.
      assert.ok(queries.some((q) => q.includes('2.0.0.10.in-addr.arpa')), queries.join('\n'));
      assert.ok(queries.some((q) => q.includes('control.test')), queries.join('\n'));
      assert.deepEqual(queries.filter((q) => !/2\.0\.0\.10\.in-addr\.arpa|control\.test/.test(q)), [], 'no query came from a hover');
      // What the hovers said, from local facts only.
      const address = hovers.find((h) => h.line === 2 && h.kind === 'address');
      assert.ok(address, JSON.stringify(hovers));
      assert.match(address.md, /not in \/etc\/hosts[\s\S]*\[Look up 10\.0\.0\.1\]\(command:socketLab\.lookupHost\?%5B%2210\.0\.0\.1%22%5D/);
      assert.match(hovers.find((h) => h.line === 8 && h.kind === 'host')?.md ?? '', /\/etc\/hosts: `10\.9\.8\.7`/);
      assert.match(hovers.find((h) => h.line === 10 && h.kind === 'address')?.md ?? '', /\/etc\/hosts: `lab-router\.test`, `router`/);
      assert.deepEqual(hovers.filter((h) => (h.line === 2 && h.start >= sock.split('\n')[2].indexOf('#')) || h.line === 12), [], 'comments are not hovered');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
