// Benchmark peer: connects to HOST:PORT, writes BYTES as fast as the socket takes them (64 KiB
// writes, honouring 'drain'), half-closes, and waits for the sink to close. Prints the elapsed
// milliseconds from connect to close. Usage: node sender.mjs HOST PORT BYTES
import { connect } from 'node:net';

const [host, port, bytes] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const chunk = Buffer.alloc(64 * 1024, 0x61);
const t0 = performance.now();
const socket = connect({ host, port }, () => {
  let sent = 0;
  const pump = () => {
    while (sent < bytes) {
      const n = Math.min(chunk.length, bytes - sent);
      sent += n;
      if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
});
socket.on('data', () => undefined);
socket.on('error', (e) => {
  console.error(`sender: ${e.message}`);
  process.exit(1);
});
socket.on('close', () => console.log((performance.now() - t0).toFixed(1)));
