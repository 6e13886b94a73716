// Benchmark peer: the upstream of the relay rows. Listens on 127.0.0.1 (a free port), prints
// "listening PORT", reads and discards everything one connection sends, closes when it half-closes,
// and exits. Usage: node sink.mjs
import { createServer } from 'node:net';
import { setTimeout } from 'node:timers';

const server = createServer((s) => {
  s.on('data', () => undefined);
  s.on('end', () => s.end());
  s.on('close', () => server.close());
  s.on('error', () => process.exit(1));
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
setTimeout(() => process.exit(2), 120_000).unref();
