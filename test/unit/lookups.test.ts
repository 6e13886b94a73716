import { strict as assert } from 'node:assert';
import { SocketLabError } from '../../src/net/errors';
import { hostname, lookup, reverseLookup } from '../../src/net/resolver';
import { ServiceTable, systemServices, wellKnownServices } from '../../src/net/services';
import { python, run, ROOT } from './helpers';

describe('lookups, against Python 3 socket on this machine', () => {
  it('hostname() is socket.gethostname()', async () => {
    assert.equal(hostname(), await python('import socket; print(socket.gethostname())'));
  });

  it('lookup(localhost) contains socket.gethostbyname("localhost")', async () => {
    const expected = await python('import socket; print(socket.gethostbyname("localhost"))');
    const found = await lookup('localhost');
    assert.ok(found.some((a) => a.address === expected), `${JSON.stringify(found)} lacks ${expected}`);
  });

  it('reverseLookup(127.0.0.1) is socket.gethostbyaddr("127.0.0.1")[0]', async () => {
    assert.equal(await reverseLookup('127.0.0.1'), await python('import socket; print(socket.gethostbyaddr("127.0.0.1")[0])'));
  });

  it('an unknown host is ENOTFOUND (resolved in a private namespace with hosts: files only, so no DNS query leaves the machine)', async () => {
    const script = `require('${ROOT}/node_modules/tsx/dist/cjs/index.cjs');
      const { lookup } = require('${ROOT}/src/net/resolver.ts');
      lookup('no-such-host.socket-lab.test').then(() => console.log('resolved'), (e) => console.log(e.code + '|' + e.message));`;
    const r = await run('unshare', ['-m', '-n', 'sh', '-c', `printf 'hosts: files\\n' > /tmp/socket-lab-nss-$$ && mount --bind /tmp/socket-lab-nss-$$ /etc/nsswitch.conf && ${process.execPath} -e "$0"; rc=$?; rm -f /tmp/socket-lab-nss-$$; exit $rc`, script]);
    assert.equal(r.code, 0, `could not run the lookup in a network namespace (unshare needs root): ${r.stderr}`);
    const [code, message] = r.stdout.trim().split('|');
    assert.equal(code, 'ENOTFOUND');
    assert.match(message, /lookup no-such-host\.socket-lab\.test: host not found \(ENOTFOUND\)/);
  });

  it('services agree with socket.getservbyname / getservbyport for the tutorial table', async () => {
    const names = ['http', 'nntp', 'ftp', 'ftp-data', 'smtp', 'pop3', 'imap', 'telnet', 'gopher', 'ssh', 'https'];
    const py = JSON.parse(await python(`import json, socket; print(json.dumps([socket.getservbyname(n, 'tcp') for n in ${JSON.stringify(names)}]))`)) as number[];
    names.forEach((n, i) => assert.equal(systemServices().port(n, 'tcp').port, py[i], n));
    assert.equal(systemServices().name(80, 'tcp').name, await python('import socket; print(socket.getservbyport(80, "tcp"))'));
  });

  it('a service/proto pair that does not exist fails as Python does', async () => {
    const py = await python(`import socket
try:
    print(socket.getservbyname('http', 'udp'))
except OSError as e:
    print('error', e)`);
    let mine: string;
    try {
      mine = String(systemServices().port('http', 'udp').port);
    } catch (e) {
      assert.ok(e instanceof SocketLabError && e.code === 'ESERVICE');
      mine = `error ${e.message.replace(/: .*/, '')}`;
    }
    assert.equal(mine, py);
  });

  it('the bundled table answers the tutorial services when /etc/services is missing', () => {
    const t = wellKnownServices();
    const table: [string, number][] = [['http', 80], ['nntp', 119], ['ftp', 21], ['ftp-data', 20], ['smtp', 25], ['pop3', 110], ['imap', 143], ['telnet', 23], ['gopher', 70]];
    for (const [name, port] of table) assert.equal(t.port(name).port, port, name);
    assert.equal(t.name(70).name, 'gopher');
    assert.throws(() => t.port('http', 'udp'), /service\/proto not found/);
  });

  it('skips malformed services(5) lines as the C library does', () => {
    const t = new ServiceTable('# comment\nbroken line\nfoo 99/xyz\nlab 4242/tcp lab-alias # Socket Lab\n');
    assert.equal(t.port('lab-alias').port, 4242);
    assert.throws(() => t.port('foo'), /not found/);
  });
});
