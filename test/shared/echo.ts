import { connect } from 'node:net';

/**
 * Connects to 127.0.0.1:`port`, sends `text` and resolves with the first reply as text, the
 * connect error's code (`ECONNREFUSED`), or `no answer` after 3 s; shared by the unit and
 * integration tests. Bounded: it never waits longer than 3 s.
 */
export function echoOf(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => (c.destroy(), resolve('no answer')), 3000);
    c.on('error', (err: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(err.code ?? err.message)));
    c.on('connect', () => c.write(text));
    c.once('data', (d: Buffer) => (clearTimeout(timer), c.destroy(), resolve(d.toString())));
  });
}
