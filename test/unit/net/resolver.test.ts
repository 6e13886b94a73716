import { strict as assert } from 'node:assert';
import { lookup, lookupHost, reverseLookup } from '../../../src/net/resolver';

describe('host questions either way', () => {
  it('an address gives its name, a name its addresses, comma-separated (from /etc/hosts: nothing leaves the machine)', async () => {
    assert.equal(await lookupHost('127.0.0.1'), await reverseLookup('127.0.0.1'));
    const addresses = await lookupHost('localhost');
    assert.equal(addresses, (await lookup('localhost')).map((a) => a.address).join(', '));
    assert.ok(addresses.split(', ').includes('127.0.0.1'), addresses);
  });
});
