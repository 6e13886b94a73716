import { strict as assert } from 'node:assert';
import { parseEndpointInput } from '../../../src/net/endpointInput';

describe('endpoints typed in the palette', () => {
  it('reads HOST:PORT and [v6]:PORT for clients and listeners, ignoring surrounding spaces', () => {
    assert.deepEqual(parseEndpointInput(' 127.0.0.1:8080 ', 'tcp', false, '127.0.0.1'), { transport: 'tcp', host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseEndpointInput('[::1]:53', 'udp', false, '127.0.0.1'), { transport: 'udp', host: '::1', port: 53 });
    // A URL pasted from a browser: its host and port, or its scheme's port.
    assert.deepEqual(parseEndpointInput('http://localhost:8080/', 'tcp', false, '127.0.0.1'), { transport: 'tcp', host: 'localhost', port: 8080 });
    assert.deepEqual(parseEndpointInput('https://[::1]/path?q=1', 'tls', false, '127.0.0.1'), { transport: 'tls', host: '::1', port: 443 });
    assert.equal(parseEndpointInput('gopher://example.test/', 'tcp', false, '127.0.0.1'), 'The URL names no port and gopher has none Socket Lab knows: type HOST:PORT');
    assert.deepEqual(parseEndpointInput('localhost:443', 'tls', true, '127.0.0.1'), { transport: 'tls', host: 'localhost', port: 443 });
  });

  it('binds the socketLab.defaultBindHost setting for a listener\'s port alone', () => {
    assert.deepEqual(parseEndpointInput('8080', 'tcp', true, '127.0.0.1'), { transport: 'tcp', host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseEndpointInput(':0', 'udp', true, '127.0.0.1'), { transport: 'udp', host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseEndpointInput('9000', 'tcp', true, '::1'), { transport: 'tcp', host: '::1', port: 9000 });
    assert.deepEqual(parseEndpointInput('9000', 'tcp', true, '0.0.0.0'), { transport: 'tcp', host: '0.0.0.0', port: 9000 });
  });

  it('asks a client for a host and a real port: no default host, no port 0', () => {
    assert.equal(parseEndpointInput('8080', 'tcp', false, '127.0.0.1'), 'expected HOST:PORT, e.g. 127.0.0.1:8080');
    assert.equal(parseEndpointInput('127.0.0.1:0', 'tcp', false, '127.0.0.1'), 'Port 0 only makes sense for a listener: type the port to connect to');
  });

  it('answers bad input with the message shown under the input box, without the typed text repeated', () => {
    assert.equal(parseEndpointInput('70000', 'tcp', true, '127.0.0.1'), '"70000" is not a port: expected a number from 0 to 65535');
    assert.equal(parseEndpointInput('::1:80', 'tcp', false, '127.0.0.1'), 'an IPv6 address needs brackets, e.g. [::1]:8080');
    assert.equal(parseEndpointInput('', 'tcp', true, '127.0.0.1'), 'expected HOST:PORT, e.g. 127.0.0.1:8080');
    assert.equal(parseEndpointInput('80', 'tcp', true, ''), 'the host is empty');
  });

  it('takes an absolute path for a Unix socket, and says what to type otherwise', () => {
    assert.deepEqual(parseEndpointInput(' /tmp/lab.socket ', 'unix', true, '127.0.0.1'), { transport: 'unix', path: '/tmp/lab.socket' });
    assert.deepEqual(parseEndpointInput('/tmp/lab.socket', 'unix', false, '127.0.0.1'), { transport: 'unix', path: '/tmp/lab.socket' });
    assert.equal(parseEndpointInput('lab.socket', 'unix', true, '127.0.0.1'), 'Use an absolute path, e.g. /tmp/lab.socket');
    assert.equal(parseEndpointInput('  ', 'unix', false, '127.0.0.1'), 'Type the path of the Unix socket, e.g. /tmp/lab.socket');
  });
});
