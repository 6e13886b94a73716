// Benchmark peer: opens N connections to HOST:PORT at once, waits until every one has received a
// byte from the listener (so each was accepted and served), prints "ready", then holds them until
// its stdin closes. Usage: node clients.mjs HOST PORT N
import { connect } from 'node:net';

const [host, port, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
let served = 0;
const sockets = [];
for (let i = 0; i < n; i++) {
  const s = connect({ host, port });
  s.once('data', () => {
    if (++served === n) console.log('ready');
  });
  s.on('error', (e) => {
    console.error(`clients: ${e.message}`);
    process.exit(1);
  });
  sockets.push(s);
}
process.stdin.on('end', () => {
  for (const s of sockets) s.destroy();
});
process.stdin.resume();
