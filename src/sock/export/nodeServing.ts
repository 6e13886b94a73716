/**
 * The Node export's helpers for servers and the network beyond one connection (spec §16.1): listeners
 * and their policy, `await`, relays, loads, lookups, `resolve` and TLS facts.
 */
import { S, type Snippet } from './snippets';

/** Serving helpers of an exported Node program, by name (see nodeRuntime.ts). */
export const NODE_SERVING: Readonly<Record<string, Snippet>> = {
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
  tlsFacts: S(['crypto'], ['core'], `
/** expect tls subject: the peer certificate's subject, CN=…, O=…. */
function tlsSubject(conn) {
  const subject = conn.socket.getPeerCertificate().subject ?? {};
  return Object.entries(subject).map(([key, value]) => \`\${key}=\${value}\`).join(', ');
}
`),
};
