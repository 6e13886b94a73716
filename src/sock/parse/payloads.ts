/**
 * Payloads (spec §6): `"text"` with escapes and `{{…}}`, `hex …`, `base64 …`, `file PATH` and
 * heredocs (`<<TAG`, whose lines the parser reads after the statement's line); the steps that
 * write to the peer (`send`, and `shutdown` and `close`, which end what it sends); and the test of
 * `if` and `repeat … until`, a payload or a `/regex/`.
 */
import { decodeBase64, decodeHex } from '../../net/payload';
import type { BlockTransport, Matcher, Payload, Step } from '../ast';
import { LineError } from './lexer';
import { allText, errorAt, KEYWORDS, NAME, type LineParser, type PendingHeredoc } from './lineParser';

const EXPECTED_PAYLOAD = 'a payload: "text", hex 47 45 54, base64 R0VU, file PATH or <<END';

/** Throws the "did you mean" error for a near miss of `timeout` among the words of `text[start, end)`, if there is one. */
function timeoutAmong(p: LineParser, start: number, end: number): void {
  const { c } = p;
  c.pos = start;
  while (c.pos < end && !c.atEnd()) {
    c.next('');
    if (p.hint(KEYWORDS.recvTimeout, c.slice())) throw p.keywordError(KEYWORDS.recvTimeout, '', `unexpected "${c.slice()}"`);
  }
}

/**
 * A payload: `"text"`, `hex …`, `base64 …`, `file PATH`, or `<<TAG` (a heredoc, whose lines
 * {@link LineParser.heredoc} tells the parser to read next).
 *
 * @param keywords the payload's slot in the verb table (`expect` adds `error`), for "did you mean"
 * @param stopAtTimeout hex or base64 words end at a `timeout` word (`recv until hex 0d0a timeout 2s`)
 */
export function parsePayload(p: LineParser, keywords: readonly string[], stopAtTimeout = false): Payload {
  const { codes, c, text } = p;
  const base = p.lineStart;
  const ch = c.peek();
  if (ch === 0x22 /* " */) {
    c.quoted();
    const { start, stop } = c;
    const template = p.template(start, stop, c.sawBrace);
    if (c.oddEscape || c.sawBrace) p.checkStringEscapes(start, stop);
    return { kind: 'text', template };
  }
  if (ch === 0x3c /* < */ && codes[c.pos + 1] === 0x3c) {
    const t = c.word('a heredoc tag');
    const tag = t.text.slice(2);
    if (!NAME.test(tag)) throw new LineError(`a heredoc is written <<TAG, e.g. <<END`, t.start, t.end);
    const payload: PendingHeredoc['payload'] = { kind: 'heredoc', lines: [], range: p.range(t.start, t.end) };
    p.heredoc = { tag, line: p.line, start: t.start, end: t.end, payload };
    return payload;
  }
  c.next(EXPECTED_PAYLOAD);
  if (c.is('file')) {
    c.next('a file path after "file"');
    return { kind: 'file', template: p.wordTemplate() };
  }
  const hex = c.is('hex');
  if (hex || c.is('base64')) {
    const kindStart = c.start - base;
    const kindEnd = c.stop - base;
    let start = -1;
    let end = -1;
    while (!c.atEnd()) {
      const save = c.pos;
      c.next('');
      if (stopAtTimeout && c.is('timeout')) {
        c.pos = save;
        break;
      }
      if (start < 0) start = c.start;
      end = c.stop;
    }
    if (start < 0) throw new LineError(hex ? 'hex needs digits, e.g. hex 47 45 54' : 'base64 needs text, e.g. base64 R0VUIC8=', kindStart, kindEnd);
    const template = p.template(start, end);
    if (allText(template)) {
      const digits = text.slice(start, end);
      try {
        if (hex) decodeHex(digits);
        else decodeBase64(digits);
      } catch (err) {
        // `recv until hex 0d0a tiemout 2s`: the misspelt timeout is the mistake, not the digits.
        if (stopAtTimeout) timeoutAmong(p, start, end);
        throw errorAt(err, start - base, end - base);
      }
    }
    return hex ? { kind: 'hex', template } : { kind: 'base64', template };
  }
  const message = `a payload is quoted ("${c.slice()}"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)`;
  // A bare {{name}} is a payload left unquoted, not a variable in place of hex or file.
  if (c.hasReference()) throw new LineError(message, c.start - base, c.stop - base);
  throw p.keywordError(keywords, message);
}

/**
 * The test of `if` and `repeat … until`: a payload the last value contains, or a /regex/ it
 * matches, as `expect` has them (no `expect error`).
 */
export function parseTest(p: LineParser, keywords: readonly string[], what: string): Matcher {
  const { c } = p;
  if (c.atEnd()) throw p.verbError(`${what} needs a test: a payload such as "OK", or a /regex/`);
  if (c.peek() === 0x2f /* / */) {
    const source = p.regex();
    return { kind: 'regex', source, flags: c.flags };
  }
  return { kind: 'contains', payload: parsePayload(p, keywords) };
}

/** `send PAYLOAD`. */
export function parseSend(p: LineParser): Step {
  const payload = parsePayload(p, KEYWORDS.send);
  p.c.expectEnd();
  return { kind: 'send', payload, range: p.statementRange(), source: p.statementSource() };
}

/** `close`, or `shutdown` (a half-close: FIN, `socket.shutdown(SHUT_WR)`), which UDP has none of. */
export function parseEnding(p: LineParser, verb: 'close' | 'shutdown', transport: BlockTransport | undefined): Step {
  if (verb === 'shutdown' && transport === 'udp') throw p.verbError('shutdown half-closes a stream (TCP, Unix, TLS); UDP has no connection to close');
  p.c.expectEnd();
  return { kind: verb, range: p.statementRange(), source: p.statementSource() };
}
