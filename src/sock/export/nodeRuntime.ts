/**
 * The helpers an exported Node program defines before its blocks (spec §16.3), as snippets: the
 * program carries only those it uses. Node 20+, ES modules, `net`, `dgram`, `tls` and `dns` with
 * `async`/`await`, no dependencies. They print what they send and receive in the same form as the
 * Python export's helpers (`received 24 bytes: b'…'`), so the two programs' output compares.
 */
import { S, type Snippet } from './snippets';
import { NODE_SERVING } from './nodeServing';
import { NODE_VALUES } from './nodeValues';

/** What a program sets up first, before its variables and blocks: settings, the NAME=VALUE arguments, the counts. */
export const NODE_STATE = `
const TIMEOUT = 5000; // ms: Socket Lab's default timeout for a connect, a send or a receive (§9)
const MAX_BYTES = 16 * 1024 * 1024; // recv until, line and all give up past 16 MiB, as Socket Lab does

// NAME=VALUE arguments set variables, as \`socket-lab run --var NAME=VALUE\` does.
const vars = {};
for (const argument of process.argv.slice(2)) {
  const at = argument.indexOf('=');
  if (at > 0) vars[argument.slice(0, at)] = Buffer.from(argument.slice(at + 1));
}
const SERVE = process.argv.slice(2).includes('--serve'); // keep listeners open after the last block, as socket-lab run --serve
const results = { passed: 0, failed: 0, errors: 0 };
const sessions = []; // the promises of sessions of accepted connections
const connections = {}; // the connections blocks keep open (connect … as NAME keep), by name
const closers = []; // what finish() closes: listeners
`.trim();

/** The helpers, by name. `core` is always there. Imports are `name from 'node:name'` lines. */
const CONNECTIONS: Readonly<Record<string, Snippet>> = {
  core: S(['assert', 'async_hooks'], [], `
/** A load's session (§8.15): its connections, whose timings count, and whether it prints (the first only). */
const loadSession = new async_hooks.AsyncLocalStorage();

/** The variable NAME as bytes; an error that names it when it has no value. */
function v(name) {
  if (!(name in vars)) throw stepError('EVARIABLE', \`{{\${name}}} has no value\`);
  return vars[name];
}

/** The variable NAME as text, for an address, a path or a number. */
const s = (name) => v(name).toString();

/** Bytes as Python writes them (b'…'), cut after 256: the Python export prints the same. */
function show(data) {
  const cut = data.subarray(0, 256);
  const quote = cut.includes(0x27) && !cut.includes(0x22) ? '"' : "'";
  let out = 'b' + quote;
  for (const b of cut) {
    if (b === 0x5c) out += '\\\\\\\\';
    else if (b === 0x09) out += '\\\\t';
    else if (b === 0x0a) out += '\\\\n';
    else if (b === 0x0d) out += '\\\\r';
    else if (b === quote.charCodeAt(0)) out += '\\\\' + quote;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\\\x' + b.toString(16).padStart(2, '0');
  }
  return out + quote + (data.length > 256 ? '…' : '');
}

const log = (label, text) => loadSession.getStore()?.quiet || console.log(\`[\${label}] \${text}\`);

function passed(label, line) {
  if (loadSession.getStore()) return; // a load's sessions are counted by the load
  results.passed++;
  log(label, \`line \${line}: passed\`);
}

/** A failure that Socket Lab names with a code of its own: EOF, ETOOBIG, ESERVICE … (§10.3). */
function stepError(code, message) {
  return Object.assign(new Error(message), { code });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** expect error [CODE]: the step before failed, with CODE when one is given (§10.2). */
function expectError(label, line, error, code) {
  assert.ok(error !== undefined, \`line \${line}: expected an error, but the step before succeeded\`);
  const found = error.code ?? 'EUNKNOWN';
  assert.ok(code === undefined || found === code, \`line \${line}: expected the error \${code}, got \${found}: \${error.message}\`);
  log(label, \`\${found} (expected): \${error.message}\`);
  passed(label, line);
}

/** Runs a block or a session: a failed assert or an error ends it (§10.1) and is counted. */
async function runBlock(label, block, ...args) {
  try {
    await block(label, ...args);
  } catch (error) {
    if (error instanceof assert.AssertionError) {
      results.failed++;
      log(label, \`failed: \${error.message}\`);
    } else {
      results.errors++;
      log(label, \`error \${error.code ?? 'EUNKNOWN'}: \${error.message}\`);
    }
  }
}

/** Waits up to 2 s for sessions still running (§7.2), prints the totals, exits as socket-lab run does. */
async function finish() {
  if (SERVE) {
    console.log('serving: listeners stay open until Ctrl-C');
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
  await Promise.race([Promise.allSettled(sessions), sleep(2000)]);
  console.log(\`\${results.passed} passed, \${results.failed} failed, \${results.errors} errors\`);
  for (const close of closers) close();
  process.exit(results.errors ? 2 : results.failed ? 1 : 0);
}
`),
  stream: S([], ['core'], `
/**
 * A stream connection (TCP, TLS or Unix) that logs what it sends and receives. What arrives waits
 * in \`buffer\` until a receive takes it, so bytes past a delimiter stay for the next (§8.1).
 */
class Stream {
  constructor(socket, label, verified = false) {
    this.socket = socket;
    this.label = label;
    this.verified = verified;
    this.buffer = Buffer.alloc(0);
    this.peerClosed = false;
    this.closed = false;
    this.received = 0; // bytes received in all, for await NAME data N
    this.faults = {}; // fault … (§8.14): delay, drip, partial, cut, drop
    this.sentBytes = 0; // for repeat … rate BYTES/s
    this.error = undefined;
    this.elapsedMs = 0;
    this.wake = undefined;
    // A load's timings (§8.15), in ms: the connect, the TLS handshake, the first byte, each round trip.
    this.openedAt = performance.now();
    this.connectMs = this.tlsMs = this.firstByteMs = undefined;
    this.roundTrips = [];
    this.sentAt = undefined;
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.received += chunk.length;
      this.notify();
    });
    socket.on('end', () => {
      this.peerClosed = true;
      this.notify();
    });
    socket.on('error', (error) => {
      this.error = error;
      this.notify();
    });
    socket.on('close', () => {
      this.peerClosed = true;
      this.notify();
    });
  }

  notify() {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits until ready() holds; false when the peer closed first. */
  async until(ready, deadline) {
    while (!ready()) {
      if (this.error) throw this.error;
      if (this.peerClosed) return false;
      const left = deadline - Date.now();
      if (left <= 0) throw stepError('ETIMEDOUT', \`timed out; \${this.buffer.length} bytes arrived: \${show(this.buffer)}\`);
      await new Promise((resolve) => {
        const timer = Number.isFinite(left) ? setTimeout(resolve, left) : undefined;
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return true;
  }

  /** messages … (§7.9): waits for the peer's next bytes; false once it has closed and nothing is left. */
  async nextMessage(timeout = Infinity) {
    if (this.closed) return false;
    await this.until(() => this.buffer.length > 0, Date.now() + timeout);
    return this.buffer.length > 0;
  }

  take(size, started) {
    const data = this.buffer.subarray(0, size);
    this.buffer = this.buffer.subarray(size);
    const now = performance.now();
    this.firstByteMs ??= now - this.openedAt;
    if (this.sentAt !== undefined) this.roundTrips.push(now - this.sentAt);
    this.sentAt = undefined;
    this.elapsedMs = Date.now() - started;
    log(this.label, \`received \${data.length} bytes: \${show(data)}\`);
    return data;
  }

  /** send: every byte, handed to the OS; the connection's faults (§8.14) first. */
  async sendall(data) {
    const started = Date.now();
    this.sentAt ??= performance.now(); // a round trip runs from a send to the end of the next recv
    const f = this.faults;
    if (f.drop) return log(this.label, \`not sent (fault drop): \${data.length} bytes\`);
    if (f.delay) await sleep(f.delay);
    if (f.partial !== undefined) data = data.subarray(0, f.partial);
    if (f.cut) data = data.subarray(0, f.cut[0]);
    const write = (bytes) => new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(error) : resolve())));
    if (f.drip) {
      for (let i = 0; i < data.length; i += f.drip[0]) {
        if (i) await sleep(f.drip[1]);
        await write(data.subarray(i, i + f.drip[0]));
      }
    } else await write(data);
    this.sentBytes += data.length;
    this.elapsedMs = Date.now() - started;
    log(this.label, \`sent \${data.length} bytes: \${show(data)}\`);
    if (f.cut) {
      f.cut = [f.cut[0] - data.length, f.cut[1]];
      if (f.cut[0] <= 0) {
        if (f.cut[1] === 'reset') {
          this.socket.resetAndDestroy();
          this.closed = true;
          log(this.label, 'reset (fault reset-after)');
        } else this.close();
      }
    }
  }

  /** recv, recv N: what has arrived, at most SIZE bytes; nothing once the peer has closed. */
  async recv(size = 65536, timeout = TIMEOUT) {
    const started = Date.now();
    await this.until(() => this.buffer.length > 0, started + timeout);
    return this.take(size, started);
  }

  /** recv exactly N: waits until SIZE bytes have arrived. */
  async recvExactly(size, timeout = TIMEOUT) {
    const started = Date.now();
    if (!(await this.until(() => this.buffer.length >= size, started + timeout))) {
      throw stepError('EOF', \`the peer closed the connection after \${this.buffer.length} of \${size} bytes: \${show(this.buffer)}\`);
    }
    return this.take(size, started);
  }

  /** recv until PAYLOAD: every byte up to and including the delimiter. */
  async recvUntil(delimiter, timeout = TIMEOUT) {
    const started = Date.now();
    const found = () => this.buffer.indexOf(delimiter) >= 0 || this.buffer.length > MAX_BYTES;
    if (!(await this.until(found, started + timeout))) {
      throw stepError('EOF', \`the peer closed the connection before the delimiter arrived; \${this.buffer.length} bytes arrived: \${show(this.buffer)}\`);
    }
    const at = this.buffer.indexOf(delimiter);
    if (at < 0) throw stepError('ETOOBIG', \`no delimiter in the first \${MAX_BYTES} bytes\`);
    return this.take(at + delimiter.length, started);
  }

  /** recv line: every byte up to and including the next LF. */
  recvLine(timeout = TIMEOUT) {
    return this.recvUntil(Buffer.from('\\n'), timeout);
  }

  /** recv all: every byte until the peer closes its side. */
  async recvAll(timeout = TIMEOUT) {
    const started = Date.now();
    await this.until(() => this.buffer.length > MAX_BYTES, started + timeout);
    if (this.buffer.length > MAX_BYTES) throw stepError('ETOOBIG', \`more than \${MAX_BYTES} bytes arrived\`);
    return this.take(this.buffer.length, started);
  }

  /** shutdown: sends FIN and keeps receiving (a half-close). */
  shutdown() {
    this.socket.end();
    log(this.label, 'sent FIN (shutdown)');
  }

  close() {
    this.closed = true;
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.end();
    log(this.label, 'closed');
  }
}
`),
  frames: S([], ['stream', 'varint'], `
/**
 * recv frame TYPE [after N] [inclusive] (§8.1): AFTER bytes of header, a length of TYPE (u8 … u64,
 * the le forms, or varint), then that many bytes; the whole frame.
 */
async function recvFrame(conn, type, after = 0, inclusive = false, timeout = TIMEOUT) {
  const started = Date.now();
  const deadline = started + timeout;
  const need = async (n) => {
    if (!(await conn.until(() => conn.buffer.length >= n, deadline))) throw stepError('EOF', \`the peer closed the connection inside a frame\`);
  };
  let size;
  let length;
  if (type === 'varint') {
    for (size = 1; ; size++) {
      await need(after + size);
      if (conn.buffer[after + size - 1] < 0x80 || size === 10) break;
    }
    length = readVarint(conn.buffer, after);
  } else {
    size = WIDTHS[type];
    await need(after + size);
    length = Number(readField(conn.buffer, type, after));
  }
  const total = inclusive ? length : after + size + length;
  if (length < 0 || total < after + size) throw stepError('EBADPAYLOAD', \`a frame length of \${length} is impossible\`);
  if (total > MAX_BYTES) throw stepError('ETOOBIG', \`a frame of \${total} bytes is more than \${MAX_BYTES}\`);
  await need(total);
  return conn.take(total, started);
}

/** recv frame from START to END (§8.1): bytes before START are skipped. */
async function recvBetween(conn, start, end, timeout = TIMEOUT) {
  const skipped = await conn.recvUntil(start, timeout);
  log(conn.label, \`skipped \${skipped.length - start.length} bytes\`);
  return Buffer.concat([start, await conn.recvUntil(end, timeout)]);
}
`),
  datagrams: S([], ['core'], `
/**
 * A UDP socket with one peer: sendall is one datagram (send), recv is one datagram. In a
 * listener's session the first recv is the datagram that started it (§7.4).
 */
class Datagrams {
  constructor(socket, label, peer, datagram) {
    this.socket = socket;
    this.label = label;
    this.peer = peer;
    this.datagram = datagram;
    this.queue = [];
    this.wake = undefined;
    this.closed = false;
    this.faults = {}; // fault delay and drop (§8.14)
    this.sentBytes = 0; // for repeat … rate BYTES/s
    this.elapsedMs = 0;
    if (!peer) {
      socket.on('message', (message) => {
        this.queue.push(message);
        this.wake?.();
      });
    }
  }

  /** A UDP listener's session has one message: its datagram (§7.9). */
  async nextMessage() {
    return this.datagram !== undefined;
  }

  async sendall(data) {
    const started = Date.now();
    if (this.faults.drop) return log(this.label, \`not sent (fault drop): \${data.length} bytes\`);
    if (this.faults.delay) await sleep(this.faults.delay);
    await new Promise((resolve, reject) => {
      const done = (error) => (error ? reject(error) : resolve());
      if (this.peer) this.socket.send(data, this.peer.port, this.peer.address, done);
      else this.socket.send(data, done);
    });
    this.sentBytes += data.length;
    this.elapsedMs = Date.now() - started;
    log(this.label, \`sent \${data.length} bytes: \${show(data)}\`);
  }

  async recv(size = 65536, timeout = TIMEOUT) {
    const started = Date.now();
    let data;
    if (this.peer) {
      if (this.datagram === undefined) throw stepError('EOF', 'a UDP session has one datagram: it was received already');
      [data, this.datagram] = [this.datagram, undefined];
    } else {
      while (this.queue.length === 0) {
        const left = started + timeout - Date.now();
        if (left <= 0) throw stepError('ETIMEDOUT', \`timed out after \${timeout} ms; no datagram arrived\`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      data = this.queue.shift();
    }
    data = data.subarray(0, size);
    this.elapsedMs = Date.now() - started;
    log(this.label, \`received \${data.length} bytes: \${show(data)}\`);
    return data;
  }

  close() {
    if (!this.peer) {
      this.socket.close();
      log(this.label, 'closed');
    }
  }
}
`),
  connect: S(['net', 'tls'], ['stream'], `
/** connect tcp HOST:PORT, connect unix PATH, connect tls HOST:PORT (with tls.connect OPTIONS). */
async function connect(address, label, timeout = TIMEOUT, tlsOptions) {
  const started = Date.now();
  const begun = performance.now();
  let connectedAt;
  const where = typeof address === 'string' ? { path: address, allowHalfOpen: true } : { host: address[0], port: address[1], allowHalfOpen: true };
  const socket = tlsOptions ? tls.connect({ ...where, servername: where.host, ...tlsOptions }) : net.connect(where);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(stepError('ETIMEDOUT', \`connect: timed out after \${timeout} ms\`));
    }, timeout);
    socket.once('connect', () => (connectedAt = performance.now()));
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  if (typeof address !== 'string') socket.setNoDelay(true);
  const conn = new Stream(socket, label, Boolean(tlsOptions) && tlsOptions.rejectUnauthorized !== false);
  conn.elapsedMs = Date.now() - started;
  conn.connectMs = (connectedAt ?? performance.now()) - begun;
  if (tlsOptions) conn.tlsMs = performance.now() - (connectedAt ?? begun);
  loadSession.getStore()?.streams.push(conn); // a load's session: its timings are counted
  log(label, \`connected to \${typeof address === 'string' ? address : address.join(':')}\`);
  return conn;
}
`),
  connectUdp: S(['dgram', 'net'], ['datagrams'], `
/** connect udp HOST:PORT: a UDP socket whose datagrams go to one peer. */
async function connectUdp(address, label, broadcast = false) {
  const socket = dgram.createSocket(net.isIPv6(address[0]) ? 'udp6' : 'udp4');
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(address[1], address[0], () => {
      socket.off('error', reject);
      resolve();
    });
  });
  if (broadcast) socket.setBroadcast(true);
  log(label, \`connected to \${address.join(':')}\`);
  return new Datagrams(socket, label);
}
`),
  address: S([], ['core'], `
/** HOST:PORT (or [IPv6]:PORT) as a [host, port] pair. */
function address(text) {
  const at = text.lastIndexOf(':');
  return [text.slice(0, at).replace(/^\\[|\\]$/g, ''), Number(text.slice(at + 1))];
}
`),
  echo: S([], ['core'], `
/** echo: sends back what arrives until the peer closes (a datagram: once). */
async function echo(conn, timeout = TIMEOUT) {
  for (;;) {
    const data = await conn.recv(65536, timeout);
    if (data.length === 0) return;
    await conn.sendall(data);
    if ('peer' in conn) return; // a datagram is echoed once
  }
}
`),
  reset: S([], ['core'], `
/** reset: the connection is aborted, so the peer gets a RST. */
function reset(conn) {
  conn.socket.resetAndDestroy();
  conn.closed = true;
  log(conn.label, 'reset');
}
`),
  closed: S([], ['stream'], `
/** expect closed: a recv returned nothing, or the peer's FIN has arrived. */
const peerClosed = (conn) => conn.peerClosed;
`),
};

/** Every helper by name: connections first, then servers and lookups, then values. */
export const NODE_SNIPPETS: Readonly<Record<string, Snippet>> = { ...CONNECTIONS, ...NODE_SERVING, ...NODE_VALUES };
