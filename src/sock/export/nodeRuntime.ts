/**
 * The helpers an exported Node program defines before its blocks (spec §16.3), as snippets: the
 * program carries only those it uses. Node 20+, ES modules, `net`, `dgram`, `tls` and `dns` with
 * `async`/`await`, no dependencies. They print what they send and receive in the same form as the
 * Python export's helpers (`received 24 bytes: b'…'`), so the two programs' output compares.
 */
import type { Snippet } from './pythonRuntime';

const S = (imports: string[], needs: string[], code: string): Snippet => ({ imports, needs, code: code.replace(/^\n/, '') });

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
export const NODE_SNIPPETS: Readonly<Record<string, Snippet>> = {
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
  listener: S(['net'], ['stream'], `
const events = {}; // connections accepted and datagrams received, by listener name, for await
const eventWaiters = new Set();

function countEvent(name, event) {
  const key = \`\${name} \${event}\`;
  events[key] = (events[key] ?? 0) + 1;
  for (const wake of eventWaiters) wake();
}

/** as NAME: {{NAME}}, {{NAME.host}}, {{NAME.port}} and {{NAME.address}} for later blocks (§3.2). */
function nameListener(name, server) {
  const bound = server.address();
  if (typeof bound === 'string') {
    vars[name] = vars[\`\${name}.path\`] = Buffer.from(bound);
    return;
  }
  const host = { '0.0.0.0': '127.0.0.1', '::': '::1' }[bound.address] ?? bound.address;
  const text = host.includes(':') ? \`[\${host}]:\${bound.port}\` : \`\${host}:\${bound.port}\`;
  vars[name] = vars[\`\${name}.address\`] = Buffer.from(text);
  vars[\`\${name}.host\`] = Buffer.from(host);
  vars[\`\${name}.port\`] = Buffer.from(String(bound.port));
}

/**
 * A stream listener on HOST:PORT (or a Unix PATH): each accepted connection runs SESSION, all of
 * them at once, as the event loop serves them (what threads do in the Python tutorial).
 */
/**
 * allow and deny (§7.6): a net.BlockList of the peers turned away (those that match a deny, or no
 * allow when there are some); undefined when the listener has neither.
 */
function turnedAway(policy) {
  if (!policy.allow?.length && !policy.deny?.length) return undefined;
  const list = (subnets) => {
    const blocks = new net.BlockList();
    for (const subnet of subnets) {
      const [address, prefix] = subnet.split('/');
      const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
      blocks.addSubnet(address, Number(prefix ?? (type === 'ipv6' ? 128 : 32)), type);
    }
    return blocks;
  };
  const deny = list(policy.deny ?? []);
  const allow = policy.allow?.length ? list(policy.allow) : undefined;
  return (address) => {
    const plain = address.replace(/^::ffff:(?=\\d+\\.)/, ''); // ::ffff:127.0.0.1 is 127.0.0.1
    const type = net.isIPv6(plain) ? 'ipv6' : 'ipv4';
    return deny.check(plain, type) || (allow !== undefined && !allow.check(plain, type));
  };
}

/**
 * A stream listener on HOST:PORT (or a Unix PATH): each accepted connection runs SESSION, all of
 * them at once, as the event loop serves them (what threads do in the Python tutorial). POLICY
 * holds the listener's maxConns (100 by default), allow, deny and idle (ms) (§7.6).
 */
async function serve(label, where, session, tlsOptions, policy = {}) {
  let count = 0;
  let open = 0;
  const denied = turnedAway(policy);
  const onConnection = (socket) => {
    if (denied?.(socket.remoteAddress ?? '')) {
      socket.resetAndDestroy(); // a RST: the peer sees ECONNRESET
      return log(label, \`turned away \${socket.remoteAddress}:\${socket.remotePort}: not allowed\`);
    }
    if (open >= (policy.maxConns ?? 100)) {
      socket.destroy();
      return log(label, \`turned away \${socket.remoteAddress}:\${socket.remotePort}: over max-conns\`);
    }
    open++;
    socket.once('close', () => open--);
    if (policy.idle !== undefined) {
      socket.setTimeout(policy.idle, () => {
        log(name, \`idle-timeout: nothing for \${policy.idle} ms, the connection is closed\`);
        socket.destroy(stepError('ETIMEDOUT', \`idle-timeout: nothing for \${policy.idle} ms, the connection is closed\`));
      });
    }
    const name = \`\${label} c\${++count}\`;
    log(name, \`accepted \${socket.remoteAddress ?? ''}:\${socket.remotePort ?? ''}\`);
    countEvent(label, 'accepted');
    const verified = Boolean(tlsOptions?.requestCert);
    const conn = new Stream(socket, name, verified);
    sessions.push(runBlock(name, session, conn).finally(() => conn.close()));
  };
  const server = tlsOptions ? tls.createServer({ allowHalfOpen: true, ...tlsOptions }) : net.createServer({ allowHalfOpen: true });
  server.on(tlsOptions ? 'secureConnection' : 'connection', onConnection);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(typeof where === 'string' ? { path: where } : { host: where[0], port: where[1] }, resolve);
  });
  closers.push(() => server.close());
  log(label, \`listening on \${JSON.stringify(server.address())}\`);
  return server;
}
`),
  serveUdp: S(['dgram', 'net'], ['datagrams', 'listener'], `
/** A UDP listener on HOST:PORT: each datagram runs SESSION (§7.4); one from a peer allow and deny turn away is dropped (§7.6). */
async function serveUdp(label, where, session, policy = {}) {
  const denied = turnedAway(policy);
  const socket = dgram.createSocket(net.isIPv6(where[0]) ? 'udp6' : 'udp4');
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(where[1], where[0], resolve);
  });
  let count = 0;
  socket.on('message', (datagram, peer) => {
    if (denied?.(peer.address)) return log(label, \`turned away \${peer.address}:\${peer.port}: not allowed\`);
    const name = \`\${label} d\${++count}\`;
    countEvent(label, 'datagram');
    sessions.push(runBlock(name, session, new Datagrams(socket, name, peer, datagram)));
  });
  closers.push(() => socket.close());
  log(label, \`listening on \${JSON.stringify(socket.address())}\`);
  return socket;
}
`),
  unixPath: S(['fs'], [], `
/** A stale Unix socket file at PATH is removed before a listener binds there (§7.1). */
function freeUnixPath(path) {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    // nothing there
  }
  return path;
}
`),
  awaits: S([], ['listener'], `
/**
 * await NAME accepted|datagram|data [N] (§8.9): until the listener NAME has accepted N
 * connections or received N datagrams in all, or the kept connection NAME has received N bytes.
 */
async function awaitEvent(label, name, event, count = 1, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  if (event === 'data') {
    const conn = connections[name];
    if (!(await conn.until(() => conn.received >= count, deadline))) throw stepError('EOF', \`\${name} closed after \${conn.received} of \${count} bytes\`);
  } else {
    const key = \`\${name} \${event}\`;
    while ((events[key] ?? 0) < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw stepError('ETIMEDOUT', \`\${name}: \${events[key] ?? 0} of \${count} \${event} in \${timeout} ms\`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        const wake = () => {
          clearTimeout(timer);
          eventWaiters.delete(wake);
          resolve();
        };
        eventWaiters.add(wake);
      });
    }
  }
  log(label, \`\${name}: \${count} \${event}\`);
}
`),
  forward: S([], ['connect', 'search'], `
/**
 * forward (§7.8): relays the connection to an upstream, both ways, until both have closed; a FIN
 * one way is passed on as a FIN.
 */
/**
 * rewrite up|down MATCH with PAYLOAD (§7.8): in a chunk going one way, every run of the match's
 * bytes, or every match of its regex ([RegExp, asBytes]), replaced.
 */
function rewrite(data, rules) {
  for (const [match, replacement] of rules) {
    if (Buffer.isBuffer(match)) {
      const parts = [];
      let from = 0;
      for (let at = data.indexOf(match); at >= 0 && match.length > 0; at = data.indexOf(match, from)) {
        parts.push(data.subarray(from, at), replacement);
        from = at + match.length;
      }
      data = Buffer.concat([...parts, data.subarray(from)]);
    } else {
      const [text, encoding] = textOf(data, match[1]);
      data = Buffer.from(text.replace(new RegExp(match[0].source, match[0].flags.includes('g') ? match[0].flags : match[0].flags + 'g'), () => replacement.toString(encoding)), encoding);
    }
  }
  return data;
}

/**
 * forward (§7.8): relays the connection to an upstream, both ways, until both have closed; a FIN
 * one way is passed on as a FIN. UP and DOWN: the rewrites of each way.
 */
async function forward(conn, address, label, timeout = TIMEOUT, tlsOptions, up = [], down = []) {
  const upstream = await connect(address, \`\${label} upstream\`, timeout, tlsOptions);
  const pump = async (src, dst, rules) => {
    for (;;) {
      const data = await src.recv(65536, Infinity).catch(() => Buffer.alloc(0));
      if (data.length === 0) {
        if (!dst.socket.destroyed) dst.socket.end();
        return;
      }
      await dst.sendall(rewrite(data, rules));
    }
  };
  await Promise.all([pump(conn, upstream, up), pump(upstream, conn, down)]);
  upstream.close();
}
`),
  load: S([], ['connect'], `
/** A load's figures (§8.15): sessions, failed and erred ones, starts dropped, and each metric's times in ms. */
class LoadStats {
  sessions = 0;
  failed = 0;
  errors = 0;
  dropped = 0;
  times = { connect: [], tls: [], 'first-byte': [], 'round-trip': [], session: [] };

  /** min, median, p90, p99 (nearest rank), max or mean of METRIC, in ms. */
  stat(metric, name) {
    const values = [...this.times[metric]].sort((a, b) => a - b);
    if (values.length === 0) throw new assert.AssertionError({ message: \`\${metric} was never measured\` });
    if (name === 'mean') return values.reduce((a, b) => a + b, 0) / values.length;
    const rank = { min: 0, median: 0.5, p90: 0.9, p99: 0.99, max: 1 }[name];
    return values[Math.max(0, Math.ceil(rank * values.length) - 1)];
  }
}

/**
 * load N clients [ramp D] [rate R/s] [for D] (§8.15): SESSION run by CLIENTS at once, each once or
 * again and again for DURATION ms (closed loop), or started RATE times a second with at most
 * CLIENTS running (open loop; a start that finds them all busy is dropped). The first session
 * prints; the others are counted.
 */
/** A load expectation (§8.15): a case of its own, so one that fails does not keep the others from being checked. */
function verdict(label, line, ok, why) {
  if (ok) return passed(label, line);
  results.failed++;
  log(label, \`failed: line \${line}: \${why}\`);
}

async function load(label, session, { clients, ramp = 0, rate, duration }) {
  const stats = new LoadStats();
  const started = performance.now();
  const end = duration === undefined ? undefined : started + duration;
  let number = 0;
  const one = async () => {
    const n = ++number;
    const store = { streams: [], quiet: n > 1 };
    const begun = performance.now();
    let outcome;
    await loadSession.run(store, () => session(\`\${label} v\${n}\`)).catch((error) => (outcome = [error instanceof assert.AssertionError ? 'failed' : 'errors', error]));
    stats.sessions++;
    stats.times.session.push(performance.now() - begun);
    for (const conn of store.streams) {
      for (const [metric, value] of [['connect', conn.connectMs], ['tls', conn.tlsMs], ['first-byte', conn.firstByteMs]]) if (value !== undefined) stats.times[metric].push(value);
      stats.times['round-trip'].push(...conn.roundTrips);
      conn.close();
    }
    if (outcome) {
      stats[outcome[0]]++;
      if (stats.failed + stats.errors <= 10) log(label, \`session \${n} \${outcome[0]}: \${outcome[0] === 'errors' ? \`\${outcome[1].code ?? 'EUNKNOWN'} \` : ''}\${outcome[1].message}\`);
    }
  };
  if (rate === undefined) {
    const client = async (k) => {
      await sleep((ramp * k) / clients);
      do await one();
      while (end !== undefined && performance.now() < end);
    };
    await Promise.all(Array.from({ length: clients }, (_, k) => client(k)));
  } else {
    const running = new Set();
    for (let k = 0; ; k++) {
      const due = started + (k * 1000) / rate;
      if ((end === undefined && k >= clients) || (end !== undefined && due >= end)) break;
      await sleep(Math.max(0, due - performance.now()));
      if (running.size >= clients) {
        stats.dropped++;
        continue;
      }
      const p = one().finally(() => running.delete(p));
      running.add(p);
    }
    await Promise.all(running);
  }
  const seconds = (performance.now() - started) / 1000;
  const trips = stats.times['round-trip'].length ? \`; round trip median \${stats.stat('round-trip', 'median').toFixed(2)} ms, p99 \${stats.stat('round-trip', 'p99').toFixed(2)} ms\` : '';
  log(label, \`load: \${stats.sessions} sessions in \${seconds.toFixed(2)} s (\${(stats.sessions / seconds).toFixed(1)}/s)\${trips}; \${stats.failed} failed, \${stats.errors} errors, \${stats.dropped} dropped\`);
  return stats;
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
  duration: S([], ['core'], `
/** A duration from a variable (§9.1): 500ms, 2s, 1.5s, 1m or 20us, in ms. */
function duration(text) {
  const m = /^(\\d+(?:\\.\\d+)?)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw stepError('EVARIABLE', \`\${JSON.stringify(text)} is not a duration\`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
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
  search: S([], ['core'], `
/** How a regex sees a value (§8.5): its UTF-8 text, or one character per byte. */
function textOf(data, asBytes = false) {
  if (!asBytes) {
    try {
      return [new TextDecoder('utf-8', { fatal: true }).decode(data), 'utf8'];
    } catch {
      // not UTF-8
    }
  }
  return [data.toString('latin1'), 'latin1'];
}

const search = (pattern, data, asBytes = false) => pattern.exec(textOf(data, asBytes)[0]);

/** A rule's regex match: its named groups, as variables (§7.9). */
function groupsOf(m, data, asBytes = false) {
  const encoding = textOf(data, asBytes)[1];
  return Object.fromEntries(Object.entries(m.groups ?? {}).map(([name, value]) => [name, Buffer.from(value ?? '', encoding)]));
}
`),
  capture: S([], ['search'], `
/** capture NAME /REGEX/: its first group, or the whole match (§8.11). */
function captureRegex(data, pattern, asBytes = false) {
  const [text, encoding] = textOf(data, asBytes);
  const m = pattern.exec(text);
  if (!m) throw stepError('ECAPTURE', \`\${pattern} does not match \${show(data)}\`);
  const value = m.length > 1 ? m[1] : m[0];
  if (value === undefined) throw stepError('ECAPTURE', \`the first group of \${pattern} took no part in the match\`);
  return Buffer.from(value, encoding);
}

/** capture /REGEX/: each named group, under its own name. */
function captureNamed(data, pattern, asBytes = false) {
  const [text, encoding] = textOf(data, asBytes);
  const m = pattern.exec(text);
  if (!m) throw stepError('ECAPTURE', \`\${pattern} does not match \${show(data)}\`);
  return Object.fromEntries(Object.entries(m.groups ?? {}).map(([name, value]) => [name, Buffer.from(value ?? '', encoding)]));
}

/** capture NAME line N: the Nth line, without its line ending. */
function captureLine(data, n) {
  const lines = data.toString('latin1').split('\\n');
  if (n > lines.length || (n > 1 && n === lines.length && lines[n - 1] === '')) throw stepError('ECAPTURE', \`there is no line \${n} in \${show(data)}\`);
  const line = n < lines.length ? lines[n - 1].replace(/\\r$/, '') : lines[n - 1];
  return Buffer.from(line, 'latin1');
}

/** capture NAME bytes N at OFFSET: N bytes from OFFSET (from the end when negative). */
function take(data, at, size) {
  const start = at < 0 ? data.length + at : at;
  if (start < 0 || start + size > data.length) throw stepError('ECAPTURE', \`\${size} bytes at offset \${at} are past the end of \${show(data)}\`);
  return data.subarray(start, start + size);
}
`),
  fields: S([], [], `
const WIDTHS = { u8: 1, i8: 1, u16: 2, u16le: 2, i16: 2, i16le: 2, u32: 4, u32le: 4, i32: 4, i32le: 4, u64: 8, u64le: 8, i64: 8, i64le: 8 };
const WRITERS = {
  u8: 'writeUInt8', i8: 'writeInt8', u16: 'writeUInt16BE', u16le: 'writeUInt16LE', i16: 'writeInt16BE', i16le: 'writeInt16LE',
  u32: 'writeUInt32BE', u32le: 'writeUInt32LE', i32: 'writeInt32BE', i32le: 'writeInt32LE',
  u64: 'writeBigUInt64BE', u64le: 'writeBigUInt64LE', i64: 'writeBigInt64BE', i64le: 'writeBigInt64LE',
};

/** An integer field of TYPE (§4.6) as bytes, as Buffer's write methods lay it out. */
function field(type, value) {
  const bytes = Buffer.alloc(WIDTHS[type]);
  const method = WRITERS[type];
  bytes[method](method.includes('Big') ? BigInt(value) : Number(value));
  return bytes;
}

/** An integer field of TYPE read at OFFSET. */
function readField(data, type, offset) {
  return data[WRITERS[type].replace('write', 'read')](offset);
}
`),
  varint: S([], ['fields'], `
/** A base-128 varint: 7 bits a byte, least significant first (MQTT 3.1.1 §1.5.5). */
function varint(n) {
  const out = [];
  let rest = BigInt(n);
  do {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(byte | (rest ? 0x80 : 0));
  } while (rest);
  return Buffer.from(out);
}

function readVarint(data, at) {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (at + i >= data.length) throw stepError('EOF', 'the varint goes past the end of the bytes');
    value += (data[at + i] & 0x7f) * 2 ** (7 * i);
    if (data[at + i] < 0x80) return value;
  }
  throw stepError('EBADPAYLOAD', 'a varint longer than 10 bytes');
}
`),
  unpack: S([], ['capture', 'varint'], `
/** capture NAME TYPE at OFFSET: an integer field, kept as its decimal digits (§8.11). */
function unpackAt(data, type, at) {
  const start = at < 0 ? data.length + at : at;
  if (type === 'varint') return Buffer.from(String(readVarint(data, start)));
  return Buffer.from(String(readField(take(data, start, WIDTHS[type]), type, 0)));
}
`),
  matchAt: S([], [], `
/** expect PAYLOAD at OFFSET (§8.4): the bytes stand there; null in EXPECTED matches any byte. */
function matchAt(data, at, expected) {
  const start = at < 0 ? data.length + at : at;
  if (start < 0 || start + expected.length > data.length) return false;
  for (let i = 0; i < expected.length; i++) if (expected[i] !== null && data[start + i] !== expected[i]) return false;
  return true;
}
`),
  contains: S([], ['matchAt'], `
/** expect hex … with ?? (§8.4): the pattern somewhere in the value; null matches any byte. */
function contains(data, expected) {
  for (let i = 0; i + expected.length <= data.length; i++) if (matchAt(data, i, expected)) return true;
  return false;
}
`),
  arithmetic: S([], [], `
/**
 * set's integer arithmetic (§8.12): integers joined by + - * × with spaces around are computed
 * (* and × first); any other value stays as written.
 */
function arithmetic(value) {
  const text = value.toString();
  if (!/^\\s*-?\\d+(?:\\s+[-+*×]\\s+-?\\d+)+\\s*$/.test(text)) return value;
  const tokens = text.trim().split(/\\s+/);
  const terms = [BigInt(tokens[0])];
  const signs = [];
  for (let i = 1; i < tokens.length; i += 2) {
    const n = BigInt(tokens[i + 1]);
    if (tokens[i] === '*' || tokens[i] === '×') terms[terms.length - 1] *= n;
    else {
      signs.push(tokens[i]);
      terms.push(n);
    }
  }
  let total = terms[0];
  signs.forEach((sign, i) => (total = sign === '+' ? total + terms[i + 1] : total - terms[i + 1]));
  return Buffer.from(String(total));
}
`),
  checksums: S(['zlib'], [], `
/** CRC-16/MODBUS of DATA, little endian as Modbus RTU sends it. */
function crc16Modbus(data) {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  const out = Buffer.alloc(2);
  out.writeUInt16LE(crc);
  return out;
}

/** The Internet checksum (RFC 1071) of DATA, big endian. */
function inet16(data) {
  let total = 0;
  for (let i = 0; i < data.length; i += 2) total += (data[i] << 8) + (data[i + 1] ?? 0);
  while (total > 0xffff) total = (total & 0xffff) + Math.floor(total / 0x10000);
  const out = Buffer.alloc(2);
  out.writeUInt16BE(~total & 0xffff);
  return out;
}

function crc32(data, littleEndian) {
  const out = Buffer.alloc(4);
  out[littleEndian ? 'writeUInt32LE' : 'writeUInt32BE'](zlib.crc32(data));
  return out;
}
`),
  lookups: S(['dns', 'net', 'os', 'fs'], ['core'], `
/** A lookup's answer is the value the next expect checks. */
function lookedUp(label, value) {
  log(label, \`looked up: \${typeof value === 'string' ? value : show(value)}\`);
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** lookup NAME: the name of an address (getnameinfo), else every address of a name. */
async function lookup(name) {
  if (net.isIP(name)) return (await dns.promises.lookupService(name, 0)).hostname;
  const addresses = await dns.promises.lookup(name, { all: true });
  return [...new Set(addresses.map((a) => a.address))].join(', ');
}

/** service NAME PROTO: /etc/services read as getservbyname(3) and getservbyport(3) do. */
function service(name, proto) {
  for (const line of fs.readFileSync('/etc/services', 'utf8').split('\\n')) {
    const [entry] = line.split('#');
    const [service, portProto, ...aliases] = entry.trim().split(/\\s+/);
    const [port, p] = (portProto ?? '').split('/');
    if (p !== proto) continue;
    if (/^\\d+$/.test(name) ? port === name : service === name || aliases.includes(name)) return /^\\d+$/.test(name) ? service : port;
  }
  throw stepError('ESERVICE', \`\${name}/\${proto}: not found\`);
}

/** aton ADDRESS: inet_aton(3): a.b.c.d, a.b.c, a.b or a; each part decimal, 0x hex or 0 octal. */
function aton(text) {
  const parts = text.split('.');
  const values = parts.map((p) => (/^0x[0-9a-f]+$/i.test(p) ? parseInt(p, 16) : /^0[0-7]*$/.test(p) ? parseInt(p, 8) : /^[1-9]\\d*$/.test(p) ? parseInt(p, 10) : NaN));
  const last = 2 ** (8 * (5 - parts.length)) - 1;
  if (parts.length > 4 || values.some((n, i) => Number.isNaN(n) || n > (i === parts.length - 1 ? last : 255))) {
    throw stepError('EBADADDR', \`\${text} is not an IPv4 address inet_aton accepts\`);
  }
  let n = values[values.length - 1];
  values.slice(0, -1).forEach((part, i) => (n += part * 2 ** (8 * (3 - i))));
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
}

/** pton ADDRESS: inet_pton, four bytes for IPv4 or sixteen for IPv6. */
function pton(text) {
  if (net.isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!net.isIPv6(text)) throw stepError('EBADADDR', \`\${text} is not an IP address\`);
  const [head, tail] = text.split('::');
  const groups = (part) => (part ? part.split(':') : []).flatMap((g) => (g.includes('.') ? [...pton(g)].reduce((a, b, i) => (i % 2 ? [...a.slice(0, -1), ((a.at(-1) << 8) | b).toString(16)] : [...a, b]), []) : [g]));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** ntoa / ntop: four bytes as a.b.c.d, sixteen as IPv6 text with the longest run of zeros as ::. */
function ntop(bytes) {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) throw stepError('EBADADDR', \`\${bytes.length} bytes are not an address\`);
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best[1] && j - i > 1) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best[0] < 0) return groups.join(':');
  return \`\${groups.slice(0, best[0]).join(':')}::\${groups.slice(best[0] + best[1]).join(':')}\`;
}
`),
  resolve: S(['dns', 'net'], ['lookups'], `
/** resolve NAME TYPE [@SERVER] (§5.1): a DNS query, one try; the answers joined with ", ". */
async function resolveRecords(name, type, server, timeout = TIMEOUT) {
  const resolver = new dns.promises.Resolver({ timeout, tries: 1 });
  if (server) resolver.setServers([server]);
  const answers = type === 'PTR' && net.isIP(name) ? await resolver.reverse(name) : await resolver.resolve(name, type);
  if (type === 'MX') answers.sort((a, b) => a.priority - b.priority);
  return answers
    .map((a) => (typeof a === 'string' ? a : Array.isArray(a) ? a.join('') : 'exchange' in a ? \`\${a.priority} \${a.exchange}\` : 'weight' in a ? \`\${a.priority} \${a.weight} \${a.port} \${a.name}\` : JSON.stringify(a)))
    .join(', ');
}
`),
  closed: S([], ['stream'], `
/** expect closed: a recv returned nothing, or the peer's FIN has arrived. */
const peerClosed = (conn) => conn.peerClosed;
`),
  tlsFacts: S(['crypto'], ['core'], `
/** expect tls subject: the peer certificate's subject, CN=…, O=…. */
function tlsSubject(conn) {
  const subject = conn.socket.getPeerCertificate().subject ?? {};
  return Object.entries(subject).map(([key, value]) => \`\${key}=\${value}\`).join(', ');
}
`),
};

/** The helpers `used` need, in a fixed order, and the modules they import. */
export function nodePrelude(used: ReadonlySet<string>): { readonly imports: string[]; readonly code: string } {
  const all = new Set<string>();
  const visit = (name: string): void => {
    if (all.has(name)) return;
    all.add(name);
    for (const n of NODE_SNIPPETS[name].needs) visit(n);
  };
  visit('core');
  for (const name of used) visit(name);
  const names = Object.keys(NODE_SNIPPETS).filter((n) => all.has(n));
  const imports = [...new Set(names.flatMap((n) => NODE_SNIPPETS[n].imports))].sort();
  return { imports, code: names.map((n) => NODE_SNIPPETS[n].code).join('\n\n') };
}
