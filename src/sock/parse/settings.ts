/**
 * The lines that configure their block wherever they stand (spec §5): a listener's policy
 * (`max-conns`, `allow`, `deny`, `idle-timeout`, `remove-stale`), TLS settings, UDP settings
 * (`broadcast`, `join`) and `eol`.
 */
import { isIP } from 'node:net';
import { isMulticast } from '../../net/datagram';
import { parseAddressPattern } from '../../net/policy';
import type { Rewrite, Step } from '../ast';
import { parsePayload } from './payloads';
import type { BlockDraft } from './blockDraft';
import { parseRecv } from './receive';
import { parseRate } from './flow';
import { LineError, type Token } from './lexer';
import { errorAt, KEYWORDS, type LineParser } from './lineParser';

/** The text of a token that must be written out: `{{…}}` is not expanded in settings lines. */
function literal(t: Token): string {
  if (t.text.includes('{{')) throw new LineError('variables are not expanded here: write the value itself', t.start, t.end);
  return t.text;
}

/** A listener block's policy line: `max-conns N`, `allow …`, `deny …`, `idle-timeout D`, `remove-stale`. */
export function parsePolicy(p: LineParser, verb: string, draft: BlockDraft): void {
  const { c } = p;
  if (draft.headerVerb !== 'listen') throw p.verbError(`${verb} is a listener setting: put it in a block that starts with listen`);
  const transport = draft.transport;
  const policy = (draft.policy ??= { allow: [], deny: [] });
  if (verb === 'max-conns') {
    // On UDP it caps the sessions (one per datagram) that run at once.
    const n = c.word('a number of connections');
    if (!/^\d+$/.test(n.text) || Number(n.text) < 1) throw p.literalRequired('a number of connections', 'max-conns 10') ?? new LineError('max-conns takes a number ≥ 1', n.start, n.end);
    c.expectEnd();
    policy.maxConnections = Number(n.text);
  } else if (verb === 'allow' || verb === 'deny') {
    if (transport === 'unix') throw p.verbError(`${verb} filters addresses; Unix socket peers have none`);
    if (c.atEnd()) throw p.verbError(`${verb} takes addresses or subnets, e.g. ${verb} 127.0.0.1 10.0.0.0/8`);
    while (!c.atEnd()) {
      const a = c.word('');
      literal(a);
      try {
        parseAddressPattern(a.text);
      } catch (err) {
        throw errorAt(err, a.start, a.end);
      }
      policy[verb].push(a.text);
    }
  } else if (verb === 'messages') {
    // The recv that reads one message; `chunk` is a plain recv's mode, written out.
    if (c.nextIs('chunk')) {
      c.next('chunk');
      c.expectEnd();
      policy.messages = { kind: 'recv', mode: 'chunk', range: p.statementRange(), source: p.statementSource() };
    } else {
      policy.messages = parseRecv(p, transport) as Extract<Step, { kind: 'recv' }>;
      c.expectEnd();
    }
  } else if (verb === 'rewrite') {
    if (!draft.forwarded) throw p.verbError('rewrite changes what a relay forwards: put it after the block\'s forward line');
    const way = c.word('up (the client\'s bytes) or down (the upstream\'s)');
    if (way.text !== 'up' && way.text !== 'down') throw p.keywordError(KEYWORDS.rewriteDirection, `rewrite takes up or down, not "${way.text}"`, `"${way.text}" is not a direction`);
    let match: Rewrite['match'];
    if (c.peek() === 0x2f /* / */) {
      const source = p.regex();
      match = { kind: 'regex', source, flags: c.flags };
    } else {
      const payload = parsePayload(p, KEYWORDS.send, { stopWords: ['with'] });
      if (payload.kind === 'heredoc') throw p.verbError('a rewrite matches a payload written on its line: "text", hex or base64, or a /regex/');
      match = { kind: 'payload', payload };
    }
    const w = c.word('with PAYLOAD, e.g. rewrite down "hello" with "HELLO"');
    if (w.text !== 'with') throw p.keywordError(['with'], `rewrite MATCH takes with PAYLOAD next, not "${w.text}"`, `unexpected "${w.text}"`);
    const replacement = parsePayload(p, KEYWORDS.send);
    if (replacement.kind === 'heredoc') throw p.verbError('a rewrite\'s replacement is written on its line: "text", hex or base64');
    c.expectEnd();
    (policy.rewrites ??= []).push({ direction: way.text, match, replacement, range: p.statementRange(), source: p.statementSource() });
  } else if (verb === 'idle-timeout') {
    if (transport === 'udp') throw p.verbError('idle-timeout closes idle connections; UDP has none');
    policy.idleTimeoutMs = p.duration();
    c.expectEnd();
  } else {
    if (transport !== 'unix') throw p.verbError('remove-stale is for listen unix: it removes a stale socket file');
    c.expectEnd();
    policy.removeStale = true;
  }
}

/** A UDP block's `broadcast` or `join GROUP [IFACE]` line. */
export function parseUdpSetting(p: LineParser, verb: string, draft: BlockDraft): void {
  const { c } = p;
  if ((draft.transport !== undefined && draft.transport !== 'udp') || !draft.headerVerb) throw p.verbError(`${verb} is a UDP setting: put it in a block that starts with connect udp or listen udp`);
  if (draft.headerVerb === 'use') throw p.verbError(`${verb} belongs to the connect udp block that opens the connection, not to use`);
  if (verb === 'broadcast') {
    c.expectEnd();
    (draft.udp ??= { groups: [] }).broadcast = true;
    return;
  }
  if (draft.headerVerb !== 'listen') throw p.verbError('join is a listener setting: a listen udp block joins a multicast group to receive from it');
  const g = c.word('a multicast group, e.g. 239.1.2.3');
  if (!isMulticast(g.text)) throw new LineError(`"${g.text}" is not a multicast group (224.0.0.0/4 or ff00::/8)`, g.start, g.end);
  const iface = c.optionalWord();
  if (iface && !isIP(iface.text)) throw new LineError(`"${iface.text}" is not an interface address, e.g. 127.0.0.1`, iface.start, iface.end);
  c.expectEnd();
  (draft.udp ??= { groups: [] }).groups.push(iface ? { group: g.text, iface: iface.text } : { group: g.text });
}

const CLIENT_ONLY = ['insecure', 'servername'];
const SERVER_ONLY = ['self-signed'];

/**
 * A TLS block's setting line: `insecure`, `servername` (clients); `self-signed` (listeners);
 * `ca`, `cert`, `key` and `alpn` (both: a client's `cert` and `key` are its certificate for
 * mutual TLS, a listener's `ca` the authority its clients' certificates must come from).
 */
export function parseTlsSetting(p: LineParser, verb: string, draft: BlockDraft): void {
  const { c } = p;
  // A connect tcp block's TLS lines are for its starttls step, checked once the block is read.
  const forStarttls = draft.headerVerb === 'connect' && draft.transport === 'tcp';
  if (draft.transport !== 'tls' && !forStarttls && !(draft.headerVerb && draft.transport === undefined)) {
    throw p.verbError(`${verb} is a TLS setting: put it in a block that starts with connect tls or listen tls (or connect tcp with a starttls step)`);
  }
  if (forStarttls) draft.tlsLineOfTcp ??= p.range(p.verbStart, p.verbEnd);
  if (draft.headerVerb === 'use') throw p.verbError(`${verb} belongs to the connect tls block that opens the connection, not to use`);
  const listen = draft.headerVerb === 'listen';
  if (listen && CLIENT_ONLY.includes(verb)) throw p.verbError(`${verb} is a client setting (connect tls); a listener uses cert, key or self-signed, and ca to require client certificates`);
  if (!listen && SERVER_ONLY.includes(verb)) throw p.verbError(`${verb} is a listener setting (listen tls)`);
  const tls = (draft.tls ??= {});
  if (verb === 'insecure' || verb === 'self-signed') {
    c.expectEnd();
    if (verb === 'insecure') {
      tls.insecure = true;
      p.warnAtVerb('insecure: the server certificate is not verified');
    } else tls.selfSigned = true;
  } else if (verb === 'alpn') {
    const protocols: string[] = [];
    while (!c.atEnd()) protocols.push(literal(c.word('')));
    if (protocols.length === 0) throw p.verbError('alpn takes protocol names, e.g. alpn h2 http/1.1');
    tls.alpn = protocols;
  } else if (verb === 'servername') {
    tls.servername = literal(c.word('a host name'));
    c.expectEnd();
  } else {
    c.next('a file path');
    const { start, stop } = c;
    c.expectEnd();
    tls[verb as 'ca' | 'cert' | 'key'] = p.template(start, stop);
  }
}

/** `eol crlf|lf`: the line ending of the block's heredocs. */
export function parseEol(p: LineParser, draft: BlockDraft): void {
  const { c } = p;
  const t = c.word('crlf or lf');
  if (t.text !== 'crlf' && t.text !== 'lf') throw p.keywordError(KEYWORDS.eol, `eol is crlf or lf, not "${t.text}"`);
  c.expectEnd();
  draft.eol = t.text;
}

/** The most virtual clients a `load` line may ask for; each takes a connection (and a file descriptor). */
export const MAX_LOAD_CLIENTS = 100_000;

/** `load N clients [ramp D] [rate R/s] [for D]` (§8.15), in a `connect` block. */
export function parseLoad(p: LineParser, draft: BlockDraft): void {
  const { c } = p;
  if (draft.headerVerb !== 'connect') throw p.verbError('load runs a client block as many clients: put it in a block that starts with connect');
  if (draft.load) throw p.verbError('a block has one load line');
  const n = c.word('a number of clients, e.g. load 100 clients');
  if (!/^\d{1,6}$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > MAX_LOAD_CLIENTS) throw p.literalRequired('a number of clients', 'load 100 clients') ?? new LineError(`load takes a number of clients from 1 to ${MAX_LOAD_CLIENTS}, not "${n.text}"`, n.start, n.end);
  const w = c.word('clients');
  if (w.text !== 'clients') throw p.keywordError(['clients'], `load N takes the word clients next, as in load ${n.text} clients; not "${w.text}"`, `unexpected "${w.text}"`);
  const plan: { clients: number; rampMs: number; rate?: number; forMs?: number } = { clients: Number(n.text), rampMs: 0 };
  const seen = new Set<string>();
  while (!c.atEnd()) {
    const k = c.word('ramp D, rate R/s or for D');
    if (k.text !== 'ramp' && k.text !== 'rate' && k.text !== 'for') throw p.keywordError(['ramp', 'rate', 'for'], `load takes ramp D, rate R/s and for D; not "${k.text}"`, `unexpected "${k.text}"`);
    if (seen.has(k.text)) throw new LineError(`${k.text} is written twice`, k.start, k.end);
    seen.add(k.text);
    if (k.text === 'ramp') plan.rampMs = p.duration();
    else if (k.text === 'for') plan.forMs = p.duration();
    else plan.rate = parseRate(p, false).perSecond;
  }
  if (plan.rate !== undefined && plan.forMs === undefined) throw p.verbError('rate starts sessions for a while: add for D, e.g. load 50 clients rate 200/s for 10s');
  draft.load = { ...plan, range: p.statementRange(), source: p.statementSource() };
}
