// Benchmark baseline: a plain Node client doing ROUNDS request/response rounds ("PING\n", then
// the line back) on one connection to HOST:PORT. Usage: node pingclient.mjs HOST PORT ROUNDS
import { connect } from 'node:net';

const [host, port, rounds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const s = connect({ host, port, noDelay: true });
await new Promise((resolve) => s.once('connect', resolve));
let buf = '';
const lines = [];
let wake = null;
s.on('data', (d) => {
  buf += d.toString('latin1');
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    lines.push(buf.slice(0, i + 1));
    buf = buf.slice(i + 1);
  }
  if (wake) wake();
});
for (let k = 0; k < rounds; k++) {
  s.write('PING\n');
  while (lines.length === 0) await new Promise((resolve) => (wake = resolve));
  if (lines.shift() !== 'PING\n') throw new Error('the echo answered something else');
}
s.destroy();
