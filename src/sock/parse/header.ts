/**
 * A block's header: `connect TRANSPORT TARGET [timeout D] [as NAME [keep]]`,
 * `listen TRANSPORT TARGET [as NAME]` and `use NAME` (spec §4).
 */
import { isIP } from 'node:net';
import { DEFAULT_BIND_HOST, isWildcardAddress, parseHostPort, parseListenerHostPort } from '../../net/address';
import { SocketLabError } from '../../net/errors';
import type { Amount, BlockTransport, Step } from '../ast';
import type { BlockDraft } from './blockDraft';
import { findPair, LineError, type Token } from './lexer';
import { allText, KEYWORDS, NAME, type LineParser } from './lineParser';
import { VERB_BY_NAME } from '../lang/verbs';

/**
 * True when the target `text[start, end)` of a `connect udp` names the broadcast address: its host
 * is written out (even when the port is a variable: `<broadcast>:{{rx.port}}`) and is
 * 255.255.255.255 or `<broadcast>`.
 */
function isBroadcastTarget(text: string, codes: Uint16Array, start: number, end: number): boolean {
  const open = findPair(codes, start, end, 0x7b);
  if (open === start) return false;
  const lead = text.slice(start, open < 0 ? end : open);
  const host = lead.slice(0, lead.lastIndexOf(':'));
  return host === '255.255.255.255' || host === '<broadcast>';
}

/** Checks a target written out: an address a connect can reach or a listener can bind; warns of a wildcard bind. */
function checkHostPort(p: LineParser, verb: 'connect' | 'listen', target: Token): void {
  try {
    const { host, port } = verb === 'listen' ? parseListenerHostPort(target.text, DEFAULT_BIND_HOST) : parseHostPort(target.text);
    if (verb === 'connect' && port === 0) throw new LineError('cannot connect to port 0', target.start, target.end);
    // By the address's bytes, not its spelling: [::0], [::ffff:0:0] and 0:PORT bind every interface too.
    if (verb === 'listen' && isWildcardAddress(host)) {
      p.error(`listening on ${host} accepts connections from other machines; 127.0.0.1 keeps the listener on this one`, p.line, target.start, target.end, 'warning');
    } else if (verb === 'listen' && !isIP(host) && host !== 'localhost') {
      p.error(`a listener binds an address; "${host}" is resolved to its first address`, p.line, target.start, target.end, 'warning');
    }
  } catch (err) {
    if (err instanceof SocketLabError) throw new LineError(err.message, target.start, target.end);
    throw err;
  }
}

/** Notes where the header just parsed is, for the block's diagnostics. */
function placeHeader(p: LineParser, draft: BlockDraft): void {
  draft.headerFrom = p.lineStart + p.verbStart;
  draft.headerTo = p.statementEnd();
}

/** `connect` or `listen`: sets the block's header; returns its transport. */
export function parseHeader(p: LineParser, verb: 'connect' | 'listen', draft: BlockDraft): BlockTransport {
  const { codes, c, text } = p;
  const base = p.lineStart;
  c.next('tcp, udp, unix or tls');
  const transport: BlockTransport | undefined = c.is('tcp') ? 'tcp' : c.is('udp') ? 'udp' : c.is('unix') ? 'unix' : c.is('tls') ? 'tls' : undefined;
  if (transport === undefined) throw p.keywordError(verb === 'connect' ? KEYWORDS.connectTransport : KEYWORDS.listenTransport, `${verb} takes tcp, udp, unix or tls, not "${c.slice()}"`);
  c.next(transport === 'unix' ? 'a socket path' : verb === 'listen' ? 'HOST:PORT or PORT' : 'HOST:PORT');
  const targetStart = c.start;
  const targetEnd = c.stop;
  const target = p.template(targetStart, targetEnd);
  if (transport !== 'unix' && allText(target)) {
    checkHostPort(p, verb, { text: text.slice(targetStart, targetEnd), start: targetStart - base, end: targetEnd - base });
  }
  let name: Token | undefined;
  let timeoutMs: Amount | undefined;
  let keep: Token | undefined;
  while (!c.atEnd()) {
    c.next('');
    if (c.is('as')) {
      const n = c.word('a name after "as"');
      if (!NAME.test(n.text)) throw new LineError(`"${n.text}" is not a name: use letters, digits, _ and -`, n.start, n.end);
      if (p.nameBefore(n.text)) throw new LineError(`the name "${n.text}" is already taken by an earlier block`, n.start, n.end);
      name = n;
    } else if (verb === 'connect' && c.is('keep')) {
      keep = c.token();
    } else if (verb === 'connect' && c.is('timeout')) {
      if (transport === 'udp') throw new LineError('a UDP connect sends nothing and does not wait; put the timeout on recv', c.start - base, c.stop - base);
      timeoutMs = p.durationOrVariable();
    } else if (VERB_BY_NAME.has(c.slice())) {
      // A setting written on the header (`listen tls … self-signed as x`): it is a line of its own.
      throw new LineError(`"${c.slice()}" is a line of its own: write it on the line after this ${verb} line`, c.start - base, c.stop - base);
    } else {
      throw p.keywordError(verb === 'listen' ? KEYWORDS.listenOption : KEYWORDS.connectOption, `unexpected "${c.slice()}" (${verb === 'listen' ? 'expected "as NAME"' : 'expected "timeout DURATION", "as NAME" or "keep"'})`, `unexpected "${c.slice()}"`);
    }
  }
  if (keep && !name) throw new LineError('keep needs a name for later blocks: connect … as NAME keep', keep.start, keep.end);
  if (name) p.giveName(name.text, { kind: verb === 'listen' ? 'listener' : 'connection', transport, keep: Boolean(keep), block: p.blockIndex });
  if (verb === 'connect' && transport === 'udp') draft.broadcastTarget = isBroadcastTarget(text, codes, targetStart, targetEnd);
  placeHeader(p, draft);
  const range = p.statementRange();
  const source = p.statementSource();
  // Only the keys it has, each shape written out once (a spread of optional keys costs a parse of
  // 10,000 blocks a few milliseconds).
  if (name === undefined) draft.header = timeoutMs === undefined ? { kind: verb, transport, target, range, source } : { kind: verb, transport, target, timeoutMs, range, source };
  else if (keep === undefined) draft.header = timeoutMs === undefined ? { kind: verb, transport, target, name: name.text, range, source } : { kind: verb, transport, target, name: name.text, timeoutMs, range, source };
  else draft.header = timeoutMs === undefined ? { kind: verb, transport, target, name: name.text, keep: true, range, source } : { kind: verb, transport, target, name: name.text, keep: true, timeoutMs, range, source };
  return transport;
}

/** `use NAME`: the kept connection of an earlier `connect … as NAME keep` block. Sets the header; returns its transport. */
export function parseUseHeader(p: LineParser, draft: BlockDraft): BlockTransport {
  const { c } = p;
  const n = c.word('the name of a kept connection');
  c.expectEnd();
  const known = p.nameBefore(n.text);
  if (!known || known.kind !== 'connection') {
    throw new LineError(`no connection named "${n.text}": an earlier block must say connect … as ${n.text} keep`, n.start, n.end);
  }
  if (!known.keep) throw new LineError(`connection "${n.text}" closes at the end of its block: add keep to its connect line`, n.start, n.end);
  placeHeader(p, draft);
  const target = { parts: [{ text: n.text }], range: p.range(n.start, n.end) };
  draft.header = { kind: 'use', transport: known.transport, target, name: n.text, range: p.statementRange(), source: p.statementSource() };
  return known.transport;
}

/**
 * A connect or listen line with a mistake still gives its `as NAME` (and `keep`) to the blocks
 * after it, so that their `use NAME` and `{{NAME.port}}` are not errors too. The transport is
 * the one written, its near miss, or tcp.
 */
export function nameOfBrokenHeader(p: LineParser, verb: 'connect' | 'listen'): void {
  const { c } = p;
  c.reset(p.text, p.codes, p.lineStart, p.lineEnd);
  c.pos = p.lineStart + p.verbEnd;
  let transport: BlockTransport = 'tcp';
  let name: string | undefined;
  let keep = false;
  for (let index = 1; !c.atEnd(); index++) {
    c.next('');
    const word = c.slice();
    if (index === 1) {
      const written = word === 'tcp' || word === 'udp' || word === 'unix' || word === 'tls' ? word : p.hint(KEYWORDS.connectTransport, word);
      if (written) transport = written as BlockTransport;
    } else if (word === 'keep') keep = true;
    else if (word === 'as' && !c.atEnd()) {
      c.next('');
      if (NAME.test(c.slice())) name = c.slice();
    }
  }
  if (name !== undefined && !p.names.has(name)) p.giveName(name, { kind: verb === 'listen' ? 'listener' : 'connection', transport, keep, block: p.blockIndex });
}

/** `starttls [timeout D]`: in a `connect tcp` block, a TLS handshake on its connection (§6.1.1). */
export function parseStarttls(p: LineParser, draft: BlockDraft): Step {
  if (draft.headerVerb !== 'connect' || (draft.transport !== undefined && draft.transport !== 'tcp')) {
    throw p.verbError('starttls upgrades the TCP connection of a connect tcp block (a connect tls block is TLS from the start)');
  }
  draft.starttls = true;
  const timeoutMs = p.optionalTimeout(KEYWORDS.starttls);
  const range = p.statementRange();
  const source = p.statementSource();
  return timeoutMs === undefined ? { kind: 'starttls', range, source } : { kind: 'starttls', timeoutMs, range, source };
}
