/**
 * "Record then replay": turns the captured traffic of one connection into a `.sock` block that
 * plays the same conversation again. The block takes the side Socket Lab had for a client
 * connection, and the peer's side for a connection a listener accepted: it sends what that side
 * sent and checks, with `expect`, that what comes back is what came back when it was recorded.
 * Pure: events in, text out; the language is `docs/sock-language.md`.
 */
import { isIP } from 'node:net';
import { parseHostPort, formatHostPort } from '../net/address';
import { createError } from '../net/errors';
import { RECV_MAX_BYTES } from '../net/stream';
import type { DataEvent, TlsEvent, TrafficEvent } from '../net/traffic';
import type { FieldPart, Payload, Step, Template } from './ast';
import { printHeader, printPayload, printStep, printVariable } from './printer';
import { DEFAULT_TIMEOUT_MS } from './runner';

/** Options of {@link replayBlock}. */
export interface ReplayOptions {
  /** The block's title (the rest of its `###` line); default `Replay of c3: tcp 127.0.0.1:8080`. */
  readonly title?: string;
  /**
   * For a UDP listener (`u1`), the peer whose datagrams to replay, as `host:port`; default the
   * sender of the first datagram. A stream connection has one peer and ignores this.
   */
  readonly peer?: string;
}

/** The generated block and what the caller should tell the user about it. */
export interface ReplayResult {
  /** The `.sock` text: header comment lines, a `###` line, the block; ends with a newline. */
  readonly text: string;
  /** Sentences about what the replay cannot reproduce or check, e.g. a payload the capture cut. */
  readonly warnings: readonly string[];
}

/** A received piece longer than this many escaped characters is checked in several steps. */
const TEXT_WIDTH = 96;
/** Bytes per `hex` line of a received piece: 8 groups of 4 bytes, 71 characters. */
const HEX_BYTES = 32;

/** One step of the replay, before rendering. */
type Action =
  | { readonly kind: 'send'; readonly payload: Buffer }
  /** Bytes that came back: `chunks` as they arrived, with their times, for the timeouts. */
  | { readonly kind: 'receive'; readonly chunks: readonly { readonly payload: Buffer; readonly ts: number }[]; readonly sinceTs: number }
  | { readonly kind: 'shutdown' }
  /** The other side sent FIN (a stream's `half-close`). */
  | { readonly kind: 'fin'; readonly waitMs: number }
  | { readonly kind: 'comment'; readonly text: string };

/** How the replay reaches the other side, from the events of the connection. */
interface Role {
  readonly transport: 'tcp' | 'udp' | 'unix' | 'tls';
  /** The address to connect to: `host:port` or a Unix socket path. */
  readonly target: string;
  /** The direction of the data the replay sends: `out` for a client, `in` for an accepted connection. */
  readonly mine: 'in' | 'out';
  /** What the header comment says about the connection. */
  readonly described: string;
  readonly startTs: number;
  /** For a UDP listener: only datagrams from and to this peer. */
  readonly peer?: string;
}

/**
 * Writes a `.sock` block that replays one captured connection ("record then replay").
 *
 * - A **client** connection (an `open` event without `listener`): the block connects to its
 *   `remote` with the same transport, sends each chunk that went `out` as one `send`, and checks
 *   what came `in`.
 * - A connection a **listener accepted** (`open` with `listener`): the peer was the client, so the
 *   block connects to the listener's address (the connection's `local`), sends what came `in`
 *   and checks what went `out`.
 * - A **UDP listener** (`u1`, a `listening` event): the block plays one peer (`options.peer`, by
 *   default the first sender), sending its datagrams to the listener and checking the replies.
 * - TLS: `insecure` only when the recorded handshake skipped verification; the agreed ALPN
 *   protocol is offered again with `alpn`.
 *
 * **Chunk boundaries.** TCP keeps no message boundaries: the peer's bytes may come back in other
 * chunks on replay (§8.2). So a run of bytes that came back between two sends is read with
 * `recv exactly N` (Python's `recv(N, MSG_WAITALL)`), N being the run's length, and then checked
 * with `expect` of exactly those N bytes: the check holds however the peer's bytes are chunked,
 * and a payload of the same length that differs fails the `expect`. A long run is read and
 * checked in pieces (after each `\n`, or every 96 characters / 32 bytes of hex), each its own
 * `recv exactly` + `expect`. An answer that is shorter fails its `recv exactly` (`EOF` or
 * `ETIMEDOUT`) instead. Datagrams keep their boundaries: one `send` per datagram and one `recv` +
 * `expect` per reply (a longer reply that holds the recorded bytes passes, as `expect` checks
 * "contains"). The peer's FIN becomes `recv` + `expect /^$/` (zero bytes: the peer closed its
 * side); this side's FIN becomes `shutdown` (left out when it is the last step, as the block's end
 * closes anyway). A wait that took more than half the default timeout when recorded gets
 * `timeout` of twice the wait, at most 30 s (a longer wait is said in a comment).
 *
 * Payloads: text as a quoted string with escapes (`\r \n \t \0 \\ \" \xHH`, `{{` escaped as
 * `\x7b{`), lines of text that end with the block's line ending as a heredoc, a binary send that
 * begins with a length of the rest as fields with a computed `len` ({@link lengthPrefixed}),
 * anything else as `hex`. The text parses with no diagnostics (`parseSock`) and each payload decodes back to the
 * captured bytes.
 *
 * @param events the capture, oldest first (`TrafficCapture.events()`), any connections mixed
 * @param id the connection (`c3`) or UDP socket (`u4`) to replay
 * @throws SocketLabError `ENOTCAPTURED` when the capture holds no start (`open`, or `listening` for
 *   UDP) of `id`, or `id` is a stream listener, or (UDP listener) no datagram of the chosen peer;
 *   `EBADADDR` for an address the capture could not tell (`?`) or a Unix socket path that a `.sock`
 *   file cannot spell
 */
export function replayBlock(events: readonly TrafficEvent[], id: string, options: ReplayOptions = {}): ReplayResult {
  const own = events.filter((e) => e.id === id);
  const warnings: string[] = [];
  const role = findRole(own, id, options.peer, warnings);
  const { actions, tls, complete } = collectActions(own, role, warnings);
  if (!complete) warnings.push(`${id} was still open when exported: the replay covers its traffic so far`);
  while (actions.length > 0 && actions[actions.length - 1].kind === 'shutdown') actions.pop();

  const lines: string[] = [];
  const stamp = new Date(role.startTs).toISOString();
  lines.push(`# Recorded by Socket Lab at ${stamp}: ${oneLine(role.described)}.`);
  if (role.transport !== 'udp') lines.push('# What came back is read with recv exactly N, so it passes however the peer chunks its bytes.');
  const title = oneLine(options.title ?? `Replay of ${id}: ${role.transport} ${role.target}`);
  lines.push(`### ${title}`);

  const eol = chooseEol(actions, role.transport === 'udp');
  let target = role.target;
  if (role.transport === 'unix') {
    if (!target.startsWith('/')) warnings.push(`the socket path ${target} is relative: the replay resolves it against the folder of its .sock file`);
    if (!isWord(target)) {
      // A path with spaces, or one that starts like a comment, is spelt through a variable, whose
      // value is the rest of its line (§3.1).
      if (/[\r\n]|^\s|\s$|\{\{|\s(#|\/\/)/.test(target)) throw createError('EBADADDR', `the socket path ${JSON.stringify(target)} cannot be written in a .sock file`);
      const name = `replay-${id.replace(/[^A-Za-z0-9_-]/g, '_')}-path`;
      lines.push(printVariable(name, target));
      target = `{{${name}}}`;
    }
  }
  lines.push(printHeader({ kind: 'connect', transport: role.transport, target: template(target), range: NOWHERE, source: '' }));
  if (eol === 'lf') lines.push('eol lf');
  if (role.transport === 'udp' && parseHostPort(role.target).host === '255.255.255.255') lines.push('broadcast');
  if (role.transport === 'tls') lines.push(...tlsLines(tls, role, warnings));

  for (const a of actions) {
    switch (a.kind) {
      case 'comment':
        lines.push(`# ${a.text}`);
        break;
      case 'shutdown':
        lines.push(print({ kind: 'shutdown' }));
        break;
      case 'fin':
        lines.push(...recvLines({ kind: 'recv', mode: 'chunk' }, a.waitMs), print({ kind: 'expect', matcher: { kind: 'regex', source: '^$', flags: '' } }));
        break;
      case 'send':
        lines.push(payloadLine('send', a.payload, eol));
        break;
      case 'receive':
        lines.push(...receiveLines(a, role.transport === 'udp', eol));
        break;
    }
  }
  return { text: lines.join('\n') + '\n', warnings };
}

/**
 * Writes a `.sock` listener block that plays the other side of a captured connection: the server,
 * for a client connection (a relay's upstream leg included), or the listener, for a connection it
 * accepted ("record → mock"); the side {@link replayBlock} does not play. It listens where that side listened, and answers as it
 * did: each run of bytes the recorded client sent becomes a rule (§7.9) whose test is its first
 * line (text) or its exact bytes (binary), sending back what came back; bytes the server sent first
 * become `on connect`; a server that closed after an answer closes there too. A request seen twice
 * keeps its first answer. TLS listens with a self-signed certificate; UDP answers each datagram.
 *
 * @param events the capture, oldest first, any connections mixed
 * @param ids the connections (`c3`) or UDP sockets (`u4`) whose other side to mock: one, or
 *   several that talked to the same side (their rules are merged, the first answer kept)
 * @throws SocketLabError as {@link replayBlock}: `ENOTCAPTURED`, `EBADADDR`; `TypeError` for
 *   connections that talked to different sides
 */
export function mockBlock(events: readonly TrafficEvent[], ids: string | readonly string[], options: ReplayOptions = {}): ReplayResult {
  const warnings: string[] = [];
  const list = typeof ids === 'string' ? [ids] : ids;
  const conversations = list.map((id) => {
    const own = events.filter((e) => e.id === id);
    const role = findRole(own, id, options.peer, warnings);
    const { actions, complete } = collectActions(own, role, warnings);
    if (!complete) warnings.push(`${id} was still open when exported: the mock answers what it saw so far`);
    return { id, role, actions };
  });
  const { role } = conversations[0];
  if (conversations.some((c) => c.role.target !== role.target || c.role.transport !== role.transport)) throw new TypeError('mockBlock: the connections must have one other side');
  const datagram = role.transport === 'udp';
  const eol = chooseEol(conversations.flatMap((c) => c.actions), datagram);
  const lines: string[] = [];
  lines.push(`# Recorded by Socket Lab at ${new Date(role.startTs).toISOString()}: the other side of ${conversations.map((c) => oneLine(c.role.described)).join('; ')}.`);
  lines.push('# A mock: it listens where that side listened and answers what it was sent as it answered then.');
  lines.push(`### ${oneLine(options.title ?? `Mock of ${role.target} (from ${list.join(', ')})`)}`);
  if (role.transport === 'unix' && !isWord(role.target)) throw createError('EBADADDR', `the socket path ${JSON.stringify(role.target)} cannot be written in a .sock file`);
  lines.push(printHeader({ kind: 'listen', transport: role.transport, target: template(role.target), range: NOWHERE, source: '' }));
  if (eol === 'lf') lines.push('eol lf');
  if (role.transport === 'tls') {
    lines.push('self-signed');
    warnings.push('the mock has a self-signed certificate: its clients need its certificate as ca, or insecure');
  }
  const tests = new Set<string>();
  for (const { actions } of conversations) {
    let pending: Buffer[] = [];
    let first = true;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      if (a.kind === 'send') {
        pending.push(a.payload);
        continue;
      }
      if (a.kind !== 'receive') continue;
      const answer = Buffer.concat(a.chunks.map((c) => c.payload));
      // The recorded server closed after this answer, with nothing more asked: the mock closes too.
      const rest = actions.slice(i + 1);
      const closes = !datagram && rest.every((x) => x.kind !== 'send') && rest.some((x) => x.kind === 'fin');
      const send = payloadLine('send', answer, eol);
      // A heredoc's lines are its bytes: only a one-line send is indented.
      const body = [send.includes('\n') ? send : `  ${send}`, ...(closes ? ['  close'] : [])];
      const test = pending.length === 0 ? (first && !datagram ? 'connect' : undefined) : ruleTest(Buffer.concat(pending));
      pending = [];
      first = false;
      if (test === undefined) continue;
      if (tests.has(test)) {
        if (test !== 'connect') warnings.push(`a request was sent again (${test}): the mock answers it as it was answered the first time`);
        continue;
      }
      tests.add(test);
      lines.push(`on ${test}`, ...body, 'end');
    }
  }
  return { text: lines.join('\n') + '\n', warnings };
}

/**
 * A `.sock` file with one replay block per connection in the events (clients, accepted
 * connections, UDP sockets); what cannot be replayed, and each block's warnings, are comments.
 * @returns the file's text and how many replay blocks it has
 * @throws Error when no connection of the events can be replayed (saying why)
 */
export function replayFile(events: readonly TrafficEvent[]): { text: string; blocks: number } {
  const ids = [...new Set(events.filter((e) => e.type === 'open' || (e.type === 'listening' && e.transport === 'udp')).map((e) => e.id))];
  const parts: string[] = [];
  let blocks = 0;
  for (const id of ids) {
    try {
      parts.push(withWarnings(replayBlock(events, id)));
      blocks++;
    } catch (err) {
      parts.push(`# ${id} cannot be replayed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (blocks === 0) throw new Error(parts.length > 0 ? parts.join('; ').replace(/^# /, '') : 'the capture holds no connection to replay');
  return { text: parts.join('\n\n') + '\n', blocks };
}

/** A block's text after its warnings, each as a `# warning:` comment. */
function withWarnings(r: ReplayResult): string {
  return [...r.warnings.map((w) => `# warning: ${w}`), r.text.trimEnd()].join('\n');
}

/**
 * A `.sock` file that mocks the servers of a capture and checks the mocks ("record → mock →
 * replay"): for each other side the connections talked to (a server, or a listener), one
 * {@link mockBlock} of all of them, then a {@link replayBlock} of each connection, which connects
 * where the mock listens. Run it to see that the mock answers as the server did; run its mock
 * blocks with `--serve` to unplug the server from a client under test. A relay's accepted
 * connection is left to its upstream leg, which talked to the real server.
 * @returns the file's text, how many mock and replay blocks it has, and what could not be exported
 */
export function mockFile(events: readonly TrafficEvent[]): { text: string; mocks: number; replays: number } {
  const relayed = new Set(events.flatMap((e) => (e.type === 'open' && e.via !== undefined ? [e.via] : [])));
  const ids = [...new Set(events.filter((e) => (e.type === 'open' && !relayed.has(e.id)) || (e.type === 'listening' && e.transport === 'udp')).map((e) => e.id))];
  const groups = new Map<string, string[]>();
  const notes: string[] = [];
  for (const id of ids) {
    try {
      const role = findRole(events.filter((e) => e.id === id), id, undefined, []);
      const key = `${role.transport} ${role.target}`;
      groups.set(key, [...(groups.get(key) ?? []), id]);
    } catch (err) {
      notes.push(`# ${id} cannot be mocked: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const parts: string[] = [...notes];
  let mocks = 0;
  let replays = 0;
  for (const group of groups.values()) {
    parts.push(withWarnings(mockBlock(events, group)));
    mocks++;
  }
  for (const group of groups.values()) {
    for (const id of group) {
      parts.push(withWarnings(replayBlock(events, id)));
      replays++;
    }
  }
  return { text: parts.join('\n\n') + '\n', mocks, replays };
}

/** A rule's test for a recorded request: its first line (text), or its exact bytes (binary, hex). */
function ruleTest(request: Buffer): string {
  const lf = request.indexOf(0x0a);
  const first = lf < 0 ? request : request.subarray(0, lf > 0 && request[lf - 1] === 0x0d ? lf - 1 : lf);
  if (first.length > 0 && isText(request) && isText(first)) return printPayload(quoted(first));
  return `exactly ${printPayload(hexWords(request))}`;
}

function findRole(own: readonly TrafficEvent[], id: string, peer: string | undefined, warnings: string[]): Role {
  const open = own.find((e) => e.type === 'open');
  if (open) {
    if (open.listener === undefined) {
      return { transport: open.transport, target: dialable(open.remote, open.transport), mine: 'out', described: `${id}, a ${open.transport} client, ${open.local} → ${open.remote}`, startTs: open.ts };
    }
    return {
      transport: open.transport,
      target: dialable(open.local, open.transport),
      mine: 'in',
      described: `${id}, accepted by ${open.listener} on ${open.local} from ${open.remote}; the replay plays the peer`,
      startTs: open.ts,
    };
  }
  const listening = own.find((e) => e.type === 'listening');
  if (listening && listening.transport !== 'udp') {
    throw createError('ENOTCAPTURED', `${id} is a listener: export one of the connections it accepted`);
  }
  if (!listening) {
    const what = own.length === 0 ? `the capture holds no events of ${id}` : `the capture no longer holds the start of ${id} (older events were dropped)`;
    throw createError('ENOTCAPTURED', what);
  }
  const senders = [...new Set(own.filter((e): e is DataEvent => e.type === 'data' && e.direction === 'in' && e.peer !== undefined).map((e) => e.peer as string))];
  const chosen = peer ?? senders[0];
  if (chosen === undefined || !own.some((e) => e.type === 'data' && e.peer === chosen)) {
    throw createError('ENOTCAPTURED', peer ? `the capture holds no datagram of ${id} from or to ${peer}` : `the capture holds no datagram received by ${id}`);
  }
  const others = senders.filter((s) => s !== chosen);
  if (others.length > 0) warnings.push(`${id} also exchanged datagrams with ${others.join(', ')}: the replay plays ${chosen} only`);
  return {
    transport: 'udp',
    target: dialable(listening.local, 'udp'),
    mine: 'in',
    described: `${id}, a udp listener on ${listening.local}; the replay plays its peer ${chosen}`,
    startTs: listening.ts,
    peer: chosen,
  };
}

/**
 * An address to connect to for one that was bound or seen: a wildcard bind (`0.0.0.0`, `::`) is
 * reached on loopback, and an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as IPv4.
 */
function dialable(address: string, transport: string): string {
  if (transport === 'unix') return address;
  // Throws EBADADDR for an address the socket could not tell (`?`).
  const { host, port } = parseHostPort(address);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : mapped ? mapped[1] : host;
  return formatHostPort(h, port);
}

function collectActions(own: readonly TrafficEvent[], role: Role, warnings: string[]): { actions: Action[]; tls: TlsEvent | undefined; complete: boolean } {
  const actions: Action[] = [];
  const stream = role.transport !== 'udp';
  let tls: TlsEvent | undefined;
  let complete = false;
  let lastTs = role.startTs;
  let pending: { payload: Buffer; ts: number }[] = [];
  const sums = { in: 0, out: 0 };
  const flush = (): void => {
    if (pending.length === 0) return;
    actions.push({ kind: 'receive', chunks: pending, sinceTs: lastTs });
    lastTs = pending[pending.length - 1].ts;
    pending = [];
  };
  for (const e of own) {
    if (e.type === 'data') {
      sums[e.direction] += e.payload.length;
      if (role.peer !== undefined && e.peer !== role.peer) continue;
      if (e.direction === role.mine) {
        flush();
        actions.push({ kind: 'send', payload: e.payload });
        lastTs = e.ts;
      } else {
        pending.push({ payload: e.payload, ts: e.ts });
        // A datagram is a message of its own: one receive each.
        if (!stream) flush();
      }
    } else if (e.type === 'half-close') {
      flush();
      if (e.direction === role.mine) actions.push({ kind: 'shutdown' });
      else actions.push({ kind: 'fin', waitMs: e.ts - lastTs });
      lastTs = e.ts;
    } else if (e.type === 'tls') {
      tls = e;
    } else if (e.type === 'error') {
      flush();
      actions.push({ kind: 'comment', text: `when recorded, ${e.id} failed here: ${oneLine(e.message)}` });
      warnings.push(`${e.id} failed when recorded (${e.code}); the replay does not check for that`);
    } else if (e.type === 'close') {
      flush();
      complete = true;
      if (role.peer === undefined && (e.bytesIn > sums.in || e.bytesOut > sums.out)) {
        warnings.push(`the capture holds ${sums.in} of ${e.bytesIn} bytes received and ${sums.out} of ${e.bytesOut} bytes sent on ${e.id} (it dropped or cut payloads): the replay has only what it holds`);
      }
      break;
    }
  }
  flush();
  return { actions, tls, complete };
}

function tlsLines(tls: TlsEvent | undefined, role: Role, warnings: string[]): string[] {
  const lines: string[] = [];
  if (!tls) {
    warnings.push('the capture holds no TLS handshake of this connection: the replay verifies the server as a connect tls does by default');
    return lines;
  }
  if (role.mine === 'in') {
    // The recorded client was someone else: how it verified the listener is unknown.
    lines.push('# verification is on: add ca FILE with the listener\'s certificate, or insecure for a self-signed one');
    warnings.push('the replay verifies the listener\'s certificate: a self-signed listener needs ca FILE or insecure in the block');
  } else if (tls.insecure) {
    lines.push('insecure');
  } else {
    const cert = tls.session.peerCertificate;
    const host = parseHostPort(role.target).host;
    const names = (cert?.subjectAltName ?? '').split(/,\s*/);
    // The replay dials the address; the recorded connect may have named the host instead.
    const dns = names.find((n) => n.startsWith('DNS:') && !n.includes('*'))?.slice(4);
    const listsAddress = isIP(host) !== 0 && names.some((n) => n.startsWith('IP Address:') && sameAddress(n.slice(11), host));
    if (!listsAddress && dns && /^[A-Za-z0-9.-]+$/.test(dns)) lines.push(`servername ${dns}`);
    if (cert && cert.subject === cert.issuer) {
      lines.push('# verified when recorded against a self-signed certificate: add its ca FILE here');
      warnings.push('the server\'s certificate is self-signed and was trusted when recorded (ca FILE): add that ca line to the block');
    }
  }
  if (typeof tls.session.alpn === 'string' && /^[!-~]+$/.test(tls.session.alpn) && !tls.session.alpn.includes('{{')) lines.push(`alpn ${tls.session.alpn}`);
  return lines;
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  // OpenSSL spells IPv6 addresses out in full (0:0:0:0:0:0:0:1).
  return isIP(a) === 6 && isIP(b) === 6 && new URL(`http://[${a}]/`).hostname === new URL(`http://[${b}]/`).hostname;
}

/** Text for a comment or title line: whitespace runs, line breaks included, become one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A word the parser reads as one target: no whitespace, quote, `{{`, and no comment start. */
function isWord(text: string): boolean {
  return text.length > 0 && !/[\s"]/.test(text) && !text.includes('{{') && !text.startsWith('#') && !text.startsWith('//');
}

/** Where the replay's nodes come from: nowhere in a file (the printer ignores ranges). */
const NOWHERE = { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };

/** A template of literal text, or of one `{{name}}` reference. */
function template(text: string): Template {
  const ref = /^\{\{([A-Za-z_][A-Za-z0-9_-]*)\}\}$/.exec(text);
  return { parts: ref ? [{ variable: ref[1], range: NOWHERE }] : text ? [{ text }] : [], range: NOWHERE };
}

/** One step of the replay as the printer writes it. */
function print(body: DistributiveOmit<Step, 'range' | 'source'>): string {
  return printStep({ ...body, range: NOWHERE, source: '' } as Step);
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** The longest timeout a replay derives from a recorded wait (30 s): a longer wait was most likely a person typing the answer. */
export const MAX_REPLAY_TIMEOUT_MS = 30_000;

/**
 * A `recv` line for bytes that took `waitMs` to come when recorded: a wait of more than half the
 * default gets a timeout of twice the wait, in whole seconds, at most {@link MAX_REPLAY_TIMEOUT_MS};
 * a wait past that is said in a comment above it, rather than made the replay's timeout.
 */
function recvLines(body: Extract<DistributiveOmit<Step, 'range' | 'source'>, { kind: 'recv' }>, waitMs: number): string[] {
  if (waitMs * 2 <= DEFAULT_TIMEOUT_MS) return [print(body)];
  const timeoutMs = Math.min(Math.ceil((waitMs * 2) / 1000) * 1000, MAX_REPLAY_TIMEOUT_MS);
  const note = timeoutMs === MAX_REPLAY_TIMEOUT_MS && waitMs * 2 > MAX_REPLAY_TIMEOUT_MS ? [`# this answer took ${(waitMs / 1000).toFixed(1)} s when recorded (a person typing it?); the replay waits at most ${MAX_REPLAY_TIMEOUT_MS / 1000} s`] : [];
  return [...note, print({ ...body, timeoutMs })];
}

function receiveLines(a: Extract<Action, { kind: 'receive' }>, datagram: boolean, eol: 'crlf' | 'lf'): string[] {
  const bytes = a.chunks.length === 1 ? a.chunks[0].payload : Buffer.concat(a.chunks.map((c) => c.payload));
  const last = a.chunks[a.chunks.length - 1].ts;
  if (datagram) return [...recvLines({ kind: 'recv', mode: 'chunk' }, last - a.sinceTs), payloadLine('expect', bytes, eol)];
  if (bytes.length <= RECV_MAX_BYTES && heredoc(bytes, eol)) {
    return [...recvLines({ kind: 'recv', mode: 'exactly', max: bytes.length }, last - a.sinceTs), payloadLine('expect', bytes, eol)];
  }
  // The time each piece was complete: when the chunk holding its last byte arrived.
  const ends: number[] = [];
  let offset = 0;
  for (const c of a.chunks) ends.push((offset += c.payload.length));
  let since = a.sinceTs;
  let chunk = 0;
  const lines: string[] = [];
  const text = isText(bytes);
  for (const [start, end] of pieces(bytes, text)) {
    while (ends[chunk] < end) chunk++;
    const ts = a.chunks[chunk].ts;
    const piece = bytes.subarray(start, end);
    lines.push(...recvLines({ kind: 'recv', mode: 'exactly', max: end - start }, ts - since), print({ kind: 'expect', matcher: { kind: 'contains', payload: text ? quoted(piece) : hexWords(piece) } }));
    since = ts;
  }
  return lines;
}

/** The byte ranges a received stream run is checked in: lines of text, or 32-byte rows of hex. A run is shown all as text or all as hex. */
function pieces(bytes: Buffer, text: boolean): [number, number][] {
  const out: [number, number][] = [];
  if (!text) {
    for (let i = 0; i < bytes.length; i += HEX_BYTES) out.push([i, Math.min(i + HEX_BYTES, bytes.length)]);
    return out;
  }
  let start = 0;
  let width = 0;
  for (const t of tokens(bytes)) {
    if (width + t.text.length > TEXT_WIDTH && t.start > start) {
      out.push([start, t.start]);
      start = t.start;
      width = 0;
    }
    width += t.text.length;
    if (bytes[t.start] === 0x0a) {
      out.push([start, t.end]);
      start = t.end;
      width = 0;
    }
  }
  if (start < bytes.length) out.push([start, bytes.length]);
  return out;
}

/** `VERB PAYLOAD`: a heredoc when the bytes are lines of text, else quoted text, else (to send) fields with a computed length, else hex. */
function payloadLine(verb: 'send' | 'expect', bytes: Buffer, eol: 'crlf' | 'lf'): string {
  const doc = heredoc(bytes, eol);
  const payload: Payload = doc
    ? { kind: 'heredoc', lines: doc.map((l) => ({ parts: [{ text: l }], range: NOWHERE })), range: NOWHERE }
    : isText(bytes)
      ? quoted(bytes)
      : ((verb === 'send' ? lengthPrefixed(bytes) : undefined) ?? hexWords(bytes));
  return verb === 'send' ? print({ kind: 'send', payload }) : print({ kind: 'expect', matcher: { kind: 'contains', payload } });
}

/** The shortest varint (LEB128, as MQTT's remaining length and protobuf write it) of `n`: its size in bytes. */
function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

/**
 * A binary payload as fields (§4.6) when it begins with a length that counts every byte after
 * it: a 2- or 4-byte big-endian length (DNS over TCP, many RPC framings: `u16 len ( hex … )`), or
 * a type byte and a varint length (an MQTT packet: `u8 0x30 varint len ( hex … )`). The fields make
 * exactly the captured bytes: the length is the one the builder computes for the group, and a
 * varint is taken only in the shortest form, the one the builder writes. At least one byte follows.
 *
 * @returns the payload, or undefined when no such length begins the bytes
 */
function lengthPrefixed(bytes: Buffer): Payload | undefined {
  const counted = (parts: FieldPart[], rest: Buffer): Payload => ({ kind: 'fields', parts: [...parts, { kind: 'group', parts: [{ kind: 'payload', payload: hexWords(rest) }], range: NOWHERE }], range: NOWHERE });
  if (bytes.length >= 3 && bytes.readUInt16BE(0) === bytes.length - 2) return counted([{ kind: 'length', type: 'u16', range: NOWHERE }], bytes.subarray(2));
  if (bytes.length >= 5 && bytes.readUInt32BE(0) === bytes.length - 4) return counted([{ kind: 'length', type: 'u32', range: NOWHERE }], bytes.subarray(4));
  // MQTT: the fixed header's packet type (1–14) in the high nibble, then the remaining length.
  const type = bytes[0] >> 4;
  if (bytes.length >= 3 && type >= 1 && type <= 14) {
    let value = 0;
    let size = 0;
    for (let mul = 1; size < 4 && 1 + size < bytes.length; mul *= 0x80) {
      const b = bytes[1 + size++];
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (value === bytes.length - 1 - size && value > 0 && varintSize(value) === size) {
          return counted([{ kind: 'int', type: 'u8', value: `0x${bytes[0].toString(16).padStart(2, '0')}`, range: NOWHERE }, { kind: 'length', type: 'varint', range: NOWHERE }], bytes.subarray(1 + size));
        }
        break;
      }
    }
  }
  return undefined;
}

/** One rendered character of a quoted payload and the bytes it stands for. */
interface Token {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** True when the bytes are shown as `\xHH` or `\0`, not as themselves. */
  readonly escaped: boolean;
}

const NAMED: Record<number, string> = { 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t', 0x5c: '\\\\', 0x22: '\\"' };
/** Characters a file may hold as they are: letters, marks, digits, punctuation and symbols. */
const VISIBLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** The length of the UTF-8 sequence that a lead byte starts, or 0 for a byte that starts none. */
function sequenceLength(b: number): number {
  return b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
}

/**
 * Splits bytes into the characters of a quoted payload (§4.1): printable ASCII as itself, the
 * named escapes, a visible non-ASCII character as itself when its UTF-8 bytes are valid (the parser
 * encodes characters as UTF-8), and every other byte as `\xHH`. A `{` before another `{` is `\x7b`,
 * so no `{{` reference appears.
 */
function* tokens(bytes: Buffer): Generator<Token> {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const named = NAMED[b];
    if (named !== undefined) {
      yield { start: i, end: i + 1, text: named, escaped: false };
      i++;
    } else if (b >= 0x20 && b < 0x7f) {
      const brace = b === 0x7b && bytes[i + 1] === 0x7b;
      yield { start: i, end: i + 1, text: brace ? '\\x7b' : String.fromCharCode(b), escaped: false };
      i++;
    } else {
      const n = sequenceLength(b);
      let plausible = n > 0 && i + n <= bytes.length;
      for (let k = 1; plausible && k < n; k++) plausible = (bytes[i + k] & 0xc0) === 0x80;
      // Decoding checks the rest (overlong forms, surrogates, past U+10FFFF): it must give the bytes back.
      const seq = plausible ? bytes.subarray(i, i + n) : undefined;
      const ch = seq?.toString('utf8');
      if (seq && ch && Buffer.from(ch, 'utf8').equals(seq) && VISIBLE.test(ch)) {
        yield { start: i, end: i + n, text: ch, escaped: false };
        i += n;
      } else {
        yield { start: i, end: i + 1, text: b === 0 ? '\\0' : `\\x${b.toString(16).padStart(2, '0')}`, escaped: true };
        i++;
      }
    }
  }
}

/** True when at least three quarters of the bytes are shown as themselves in a quoted payload. */
function isText(bytes: Buffer): boolean {
  let escaped = 0;
  for (const t of tokens(bytes)) {
    if (t.escaped && ++escaped * 4 > bytes.length) return false;
  }
  return true;
}

/** The bytes as a quoted payload, its text escaped as {@link tokens} says. */
function quoted(bytes: Buffer): Payload {
  let s = '';
  for (const t of tokens(bytes)) s += t.text;
  return { kind: 'text', template: template(s) };
}

/** A `hex` payload with the bytes in groups of four, as `hex 47455420 2f0d0a`; `""` for none. */
function hexWords(bytes: Buffer): Payload {
  if (bytes.length === 0) return { kind: 'text', template: template('') };
  return { kind: 'hex', template: template((bytes.toString('hex').match(/.{1,8}/g) as string[]).join(' ')) };
}

/**
 * The bytes as heredoc lines (§4.3), when that is exact and worth it: two lines or more, each
 * ending with the block's line ending, valid UTF-8 of visible characters, spaces and tabs, no
 * `{{`, no line the parser would take for a `###` line (the printer picks a closing word that no
 * line holds), and no trailing whitespace (which editors strip on save).
 */
function heredoc(bytes: Buffer, eol: 'crlf' | 'lf'): string[] | undefined {
  const ending = eol === 'crlf' ? '\r\n' : '\n';
  if (bytes.length < 4) return undefined;
  const text = bytes.toString('utf8');
  if (!text.endsWith(ending) || !Buffer.from(text, 'utf8').equals(bytes)) return undefined;
  const lines = text.slice(0, -ending.length).split(ending);
  if (lines.length < 2) return undefined;
  for (const line of lines) {
    if (line.includes('{{') || /[ \t]$/.test(line) || line.trim().startsWith('###')) return undefined;
    for (const ch of line) if (ch !== ' ' && ch !== '\t' && !(ch >= '!' && ch <= '~') && !VISIBLE.test(ch)) return undefined;
  }
  return lines;
}

/** The block's `eol`: LF when more payloads can be heredocs with LF lines than with CRLF lines. */
function chooseEol(actions: readonly Action[], datagram: boolean): 'crlf' | 'lf' {
  let crlf = 0;
  let lf = 0;
  for (const a of actions) {
    const bytes = a.kind === 'send' ? a.payload : a.kind === 'receive' ? Buffer.concat(a.chunks.map((c) => c.payload)) : undefined;
    if (!bytes || (a.kind === 'receive' && !datagram && bytes.length > RECV_MAX_BYTES)) continue;
    if (heredoc(bytes, 'crlf')) crlf++;
    else if (heredoc(bytes, 'lf')) lf++;
  }
  return lf > crlf ? 'lf' : 'crlf';
}
