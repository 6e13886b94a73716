// Benchmark baseline: N concurrent clients, each connecting to HOST:PORT and doing ROUNDS
// request/response rounds ("PING\n", await the line back), as a plain Node script would.
// Prints the elapsed ms from the first connect to the last close.
// Usage: node vclients.mjs HOST PORT N ROUNDS
import { connect } from 'node:net';

const [host, port, n, rounds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];

function client() {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, noDelay: true });
    let left = rounds;
    let buf = '';
    s.on('connect', () => s.write('PING\n'));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\n')) {
        buf = buf.slice(buf.indexOf('\n') + 1);
        if (--left === 0) {
          s.end();
          return;
        }
        s.write('PING\n');
      }
    });
    s.on('close', () => (left === 0 ? resolve() : reject(new Error(`closed with ${left} rounds left`))));
    s.on('error', reject);
  });
}

const t0 = performance.now();
await Promise.all(Array.from({ length: n }, client));
console.log((performance.now() - t0).toFixed(1));
