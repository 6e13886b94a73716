// Benchmark peer: a Node echo server (pipe), on 127.0.0.1 and a free port; prints the port, and
// exits when its stdin closes. Usage: node echo.mjs
import { createServer } from 'node:net';

const server = createServer((s) => {
  s.setNoDelay(true);
  s.on('error', () => undefined);
  s.pipe(s);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
