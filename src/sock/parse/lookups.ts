/**
 * The lookup steps, which need no connection (spec §9): `hostname`, `lookup`, `resolve`,
 * `service`, and the address conversions `aton`, `ntoa`, `pton`, `ntop`.
 */
import { parseNameServer, RECORD_TYPES, type RecordType } from '../../net/dnsQuery';
import { decodeHex } from '../../net/payload';
import type { Step, Template } from '../ast';
import { LineError, type Token } from './lexer';
import { allText, errorAt, KEYWORDS, type LineParser } from './lineParser';

const RECORD_TYPE_LIST = RECORD_TYPES.join(', ');

/** The lookup verbs, each parsed by {@link parseLookup}. */
export type LookupVerb = 'hostname' | 'lookup' | 'resolve' | 'service' | 'aton' | 'ntoa' | 'pton' | 'ntop';

/** Checks that literal hex is a packed address of one of the allowed lengths (ntoa: 4; ntop: 4 or 16). */
function checkPackedHex(t: Token, lengths: readonly number[], example: string): void {
  let n: number;
  try {
    n = decodeHex(t.text).length;
  } catch (err) {
    throw errorAt(err, t.start, t.end);
  }
  if (!lengths.includes(n)) throw new LineError(`${example.split(' ')[0]} takes exactly ${lengths.join(' or ')} bytes, not ${n}, e.g. ${example}`, t.start, t.end);
}

/** `verb TARGET`, the one word after the verb, as a step of kind `kind`. */
function targetStep(p: LineParser, kind: 'lookup' | 'aton' | 'pton', what: string): Step {
  const { c } = p;
  c.next(what);
  const { start, stop } = c;
  c.expectEnd();
  return { kind, target: p.template(start, stop), range: p.statementRange(), source: p.statementSource() };
}

/** `resolve NAME TYPE [@SERVER[:PORT]]`. */
function parseResolve(p: LineParser): Step {
  const { c } = p;
  c.next('a name to resolve');
  const nameStart = c.start;
  const nameEnd = c.stop;
  const t = c.word(`a record type: ${RECORD_TYPE_LIST}`);
  const recordType = t.text.toUpperCase() as RecordType;
  if (!RECORD_TYPES.includes(recordType)) throw p.keywordError(KEYWORDS.recordType, `"${t.text}" is not a record type: ${RECORD_TYPE_LIST}`, `"${t.text}" is not a record type`, recordType);
  let server: Template | undefined;
  if (!c.atEnd()) {
    const s = c.word('@SERVER');
    if (!s.text.startsWith('@') || s.text.length === 1) throw new LineError('the server is written @ADDRESS[:PORT], e.g. @127.0.0.1:5353', s.start, s.end);
    server = p.template(c.start + 1, c.stop);
    if (/^[0-9a-fA-F:]*::[0-9a-fA-F:]*:\d{2,5}$/.test(s.text.slice(1))) {
      const [, addr, port] = /^(.*):(\d+)$/.exec(s.text.slice(1)) ?? [];
      p.error(`${s.text} is the IPv6 address ${s.text.slice(1)} on port 53; for ${addr} port ${port} write @[${addr}]:${port}`, p.line, s.start, s.end, 'warning');
    }
    if (allText(server)) {
      try {
        parseNameServer(s.text.slice(1));
      } catch (err) {
        throw errorAt(err, s.start, s.end);
      }
    }
  }
  c.expectEnd();
  const target = p.template(nameStart, nameEnd);
  const range = p.statementRange();
  const source = p.statementSource();
  return server === undefined ? { kind: 'resolve', target, recordType, range, source } : { kind: 'resolve', target, recordType, server, range, source };
}

/** `ntoa HEX` (4 bytes) or `ntop HEX` (4 or 16 bytes): the rest of the line. */
function parsePacked(p: LineParser, verb: 'ntoa' | 'ntop'): Step {
  const t = p.c.rest();
  if (!t.text) {
    const message = verb === 'ntop' ? 'ntop takes 4 or 16 bytes in hex, e.g. ntop 00000000000000000000000000000001' : 'ntoa takes 4 bytes in hex, e.g. ntoa 7f000001';
    throw new LineError(message, p.verbEnd, p.verbEnd + 1);
  }
  const target = p.template(p.lineStart + t.start, p.lineStart + t.end);
  if (allText(target)) {
    if (verb === 'ntop') checkPackedHex(t, [4, 16], 'ntop 00000000000000000000000000000001');
    else checkPackedHex(t, [4], 'ntoa 7f000001');
  }
  return { kind: verb, target, range: p.statementRange(), source: p.statementSource() };
}

/** `service NAME|PORT [tcp|udp]`. */
function parseService(p: LineParser): Step {
  const { c } = p;
  c.next('a service name or port');
  const { start, stop } = c;
  let proto: 'tcp' | 'udp' = 'tcp';
  const word = c.optionalWord();
  if (word) {
    if (word.text !== 'tcp' && word.text !== 'udp') throw p.keywordError(KEYWORDS.serviceProtocol, `the protocol is tcp or udp, not "${word.text}"`);
    proto = word.text;
  }
  c.expectEnd();
  return { kind: 'service', target: p.template(start, stop), proto, range: p.statementRange(), source: p.statementSource() };
}

/** A lookup step. */
export function parseLookup(p: LineParser, verb: LookupVerb): Step {
  switch (verb) {
    case 'hostname':
      p.c.expectEnd();
      return { kind: 'hostname', range: p.statementRange(), source: p.statementSource() };
    case 'resolve':
      return parseResolve(p);
    case 'lookup':
      return targetStep(p, 'lookup', 'a host name or address');
    case 'pton':
      return targetStep(p, 'pton', 'an IPv4 or IPv6 address');
    case 'aton':
      return targetStep(p, 'aton', 'an IPv4 address');
    case 'ntoa':
    case 'ntop':
      return parsePacked(p, verb);
    case 'service':
      return parseService(p);
  }
}
