import { strict as assert } from 'node:assert';
import { SocketLabError } from '../../../src/net/errors';
import { ServiceTable } from '../../../src/net/services';

describe('service questions either way', () => {
  const table = new ServiceTable('http 80/tcp www\nntp 123/udp\ndomain 53/tcp\ndomain 53/udp\n');

  it('a port gives its name (getservbyport), a name or alias its port (getservbyname), per protocol', () => {
    assert.equal(table.lookup('80'), 'http');
    assert.equal(table.lookup('http'), '80');
    assert.equal(table.lookup('www', 'tcp'), '80');
    assert.equal(table.lookup('123', 'udp'), 'ntp');
    assert.equal(table.lookup('domain', 'udp'), '53');
  });

  it('a pair that does not exist is ESERVICE, naming the pair', () => {
    const fails = (query: string, proto: 'tcp' | 'udp', message: string): void => {
      assert.throws(() => table.lookup(query, proto), (e: unknown) => e instanceof SocketLabError && e.code === 'ESERVICE' && e.message === message);
    };
    fails('ntp', 'tcp', 'service/proto not found: ntp/tcp');
    fails('81', 'tcp', 'port/proto not found: 81/tcp');
  });
});
