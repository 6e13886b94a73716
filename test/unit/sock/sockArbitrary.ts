// Syntax trees of `.sock` files made from the grammar, for property tests (the printer's round
// trip, code export): valid by construction, each block kind with the steps and settings it allows.
import fc from 'fast-check';
import { CHECKSUM_TYPES } from '../../../src/net/checksums';
import { intBounds, INT_TYPES } from '../../../src/net/fields';
import type { Amount, Block, Comparison, FieldPart, Header, Matcher, Payload, SockFile, Step, Template, TemplatePart, TlsFact } from '../../../src/sock/ast';

/** An empty range: the trees these make have no positions. */
export const R = { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };

/** Literal text, then references, merged as the parser merges them: no empty or adjacent literal runs. */
function template(parts: readonly TemplatePart[]): Template {
  const out: TemplatePart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if ('text' in p) {
      if (p.text === '') continue;
      if (last && 'text' in last) out[out.length - 1] = { text: last.text + p.text };
      else out.push(p);
    } else out.push(p);
  }
  return { parts: out, range: R };
}

export const text = (t: string): Template => template([{ text: t }]);

// --- pieces of the grammar -------------------------------------------------------------------

const VARIABLES = ['host', 'port', 'token'];
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const hexByte = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, '0'));
const durationMs = fc.integer({ min: 0, max: 600_000 });
/** A duration written out, or one from a variable (`{{port}}ms`), as a step may have it. */
const duration: fc.Arbitrary<Amount> = fc.oneof({ weight: 4, arbitrary: durationMs }, { weight: 1, arbitrary: fc.constant(0).map((): Amount => template([{ variable: 'port', range: R }, { text: 'ms' }])) });
/** A count written out, or `{{port}}`. */
const countOf = (min: number, max: number): fc.Arbitrary<Amount> => fc.oneof({ weight: 4, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: fc.constant(0).map((): Amount => template([{ variable: 'port', range: R }])) });
const variableRef = fc.constantFrom(...VARIABLES).map((v): TemplatePart => ({ variable: v, range: R }));
const builtin = fc.oneof(
  fc.constant<TemplatePart>({ builtin: { name: 'timestamp' }, range: R }),
  fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 1000 })).map(([min, span]): TemplatePart => ({ builtin: { name: 'randomInt', min, max: min + span }, range: R })),
  fc.constantFrom('HOME', 'TOKEN_1').map((v): TemplatePart => ({ builtin: { name: 'env', variable: v }, range: R })),
);

/** A quoted payload's raw text: plain characters, the escapes the language knows, references. */
const quotedText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9 .,:;!?'()<>=+*@#$%&|~^_-]{1,12}$/).map((t): TemplatePart => ({ text: t })) },
      { weight: 2, arbitrary: fc.constantFrom('\\r', '\\n', '\\t', '\\0', '\\\\', '\\"', '\\x7b', '\\xff').map((t): TemplatePart => ({ text: t })) },
      { weight: 1, arbitrary: variableRef },
      { weight: 1, arbitrary: builtin },
    ),
    { maxLength: 6 },
  )
  .map(template);

/** A heredoc line: words and references, no line that is only a closing word. */
const heredocLine = fc.array(fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 :/.-]{0,14}[A-Za-z0-9]$/).map((t): TemplatePart => ({ text: t })) }, variableRef), { minLength: 1, maxLength: 3 }).map(template);

const payload: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 4, arbitrary: quotedText.map((t): Payload => ({ kind: 'text', template: t })) },
  { weight: 1, arbitrary: fc.array(hexByte, { minLength: 1, maxLength: 8 }).map((b): Payload => ({ kind: 'hex', template: text(b.join(' ')) })) },
  // A base64 text that starts with `//` reads as a comment after `base64 ` (§2.3): no parse makes one.
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b).toString('base64')).filter((t) => !t.startsWith('//')).map((t): Payload => ({ kind: 'base64', template: text(t) })) },
  { weight: 1, arbitrary: word.map((w): Payload => ({ kind: 'file', template: text(`${w}.bin`) })) },
  { weight: 1, arbitrary: fc.array(heredocLine, { minLength: 1, maxLength: 3 }).map((lines): Payload => ({ kind: 'heredoc', lines, range: R })) },
);

/** A regex RE2 accepts, from a few building blocks. */
const regex = fc
  .tuple(fc.array(fc.constantFrom('a', 'b1', '\\d+', '.', '[a-c]', '(ab)?', '\\s', 'x{2,3}', '^', '\\/'), { minLength: 1, maxLength: 4 }), fc.subarray(['i', 'm', 's']))
  .map(([parts, flags]): Matcher => ({ kind: 'regex', source: parts.join(''), flags: flags.join('') }));

const expectStep = fc.oneof(
  { weight: 3, arbitrary: payload.map((p): Matcher => ({ kind: 'contains', payload: p })) },
  { weight: 1, arbitrary: fc.tuple(payload, fc.integer({ min: -1000, max: 1000 })).map(([p, at]): Matcher => ({ kind: 'contains', payload: p, at })) },
  { weight: 1, arbitrary: payload.map((p): Matcher => ({ kind: 'exactly', payload: p })) },
  { weight: 1, arbitrary: fc.array(fc.oneof(hexByte, fc.constant('??')), { minLength: 1, maxLength: 6 }).map((b): Matcher => ({ kind: 'contains', payload: { kind: 'hex', template: text(b.join(' ')) } })) },
  { weight: 2, arbitrary: regex },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.option(fc.constantFrom('ECONNREFUSED', 'ETIMEDOUT', 'EOF'), { nil: undefined }), fc.option(fc.oneof(regex, quotedText.filter((t) => t.parts.every((p) => 'text' in p)).map((t): Matcher => ({ kind: 'contains', payload: { kind: 'text', template: t } }))), { nil: undefined }))
      .map(([code, pattern]): Matcher => ({ kind: 'error', ...(code ? { code } : {}), ...(pattern ? { pattern } : {}) })),
  },
  { weight: 2, arbitrary: factMatcher() },
).map((matcher): Step => ({ kind: 'expect', matcher, range: R, source: '' }));

/** `expect time`, `expect bytes`, `expect closed` and `expect tls …`. */
function factMatcher(): fc.Arbitrary<Matcher> {
  const op = fc.constantFrom<Comparison>('<', '<=', '>', '>=', '=');
  const value = fc.oneof(fc.constantFrom('TLSv1.3', 'h2', 'none', 'TLS_AES_256_GCM_SHA384', 'AB:CD:01').map((text) => template([{ text }])), fc.constant(0).map(() => template([{ variable: 'token', range: R }])));
  const fact = fc.oneof(
    fc.constant<TlsFact>({ name: 'verified' }),
    fc.tuple(fc.constantFrom('protocol' as const, 'cipher' as const, 'alpn' as const, 'fingerprint' as const), value).map(([name, v]): TlsFact => ({ name, value: v })),
    regex.map((r): TlsFact => (r.kind === 'regex' ? { name: 'subject', source: r.source, flags: r.flags } : { name: 'verified' })),
  );
  return fc.oneof(
    fc.tuple(op, duration).map(([o, ms]): Matcher => ({ kind: 'time', op: o, ms })),
    fc.tuple(op, countOf(0, 1_000_000)).map(([o, count]): Matcher => ({ kind: 'bytes', op: o, count })),
    fc.constant<Matcher>({ kind: 'closed' }),
    fact.map((f): Matcher => ({ kind: 'tls', fact: f })),
  );
}

/** The test of `if` and `repeat … until`: a payload on one line, or a regex. */
const flowTest: fc.Arbitrary<Matcher> = fc.oneof(regex, payload.filter((p) => p.kind !== 'heredoc').map((p): Matcher => ({ kind: 'contains', payload: p })));

const captureStep: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom('token', 'len').map((name): Step => ({ kind: 'capture', name, range: R, source: '' })),
  fc.tuple(fc.constantFrom('token', 'len'), fc.integer({ min: 1, max: 1_000_000 })).map(([name, line]): Step => ({ kind: 'capture', name, line, range: R, source: '' })),
  fc.tuple(fc.constantFrom('token', 'len'), regex).map(([name, m]): Step => ({ kind: 'capture', name, pattern: { source: (m as { source: string }).source, flags: (m as { flags: string }).flags }, range: R, source: '' })),
  fc.constantFrom('(?P<id>\\d+)', 'x(?P<a>.)(?P<b>.)').map((source): Step => ({ kind: 'capture', pattern: { source, flags: '' }, range: R, source: '' })),
  fc.tuple(fc.constantFrom('id', 'len'), fc.constantFrom(...INT_TYPES), fc.integer({ min: -1000, max: 1000 })).map(([name, field, at]): Step => ({ kind: 'capture', name, field, ...(at !== 0 ? { at } : {}), range: R, source: '' })),
  fc.tuple(fc.constantFrom('addr', 'token'), fc.integer({ min: 1, max: 64 }), fc.boolean(), fc.integer({ min: -64, max: 64 })).map(([name, count, hex, at]): Step => ({ kind: 'capture', name, count, ...(hex ? { hex } : {}), ...(at !== 0 ? { at } : {}), range: R, source: '' })),
);

const setStep: fc.Arbitrary<Step> = fc.tuple(fc.constantFrom('key', 'count'), quotedText.filter((t) => t.parts.length > 0 && t.parts.every((p) => !('text' in p) || (!/^\s|\s$|#|\/\//.test(p.text) && !p.text.includes('\\')))))
  .map(([name, value]): Step => ({ kind: 'set', name, value, range: R, source: '' }));

const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), hexByte, hexByte, fc.integer({ min: 1, max: 254 })).map(([a, , , d]) => `${a}.0.0.${d}`);
const lookupStep: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'hostname', range: R, source: '' }),
  fc.constantFrom('localhost', 'example.com', '127.0.0.1', '{{host}}').map((t): Step => ({ kind: 'lookup', target: t === '{{host}}' ? template([{ variable: 'host', range: R }]) : text(t), range: R, source: '' })),
  fc.tuple(fc.constantFrom('example.com', 'localhost'), fc.constantFrom('A', 'AAAA', 'MX', 'TXT', 'SRV', 'NS', 'CNAME', 'PTR'), fc.option(fc.constantFrom('127.0.0.1', '127.0.0.1:5353', '[::1]:53'), { nil: undefined })).map(
    ([t, recordType, server]): Step => ({ kind: 'resolve', target: text(t), recordType: recordType as never, ...(server ? { server: text(server) } : {}), range: R, source: '' }),
  ),
  fc.tuple(fc.constantFrom('http', 'domain', '80', '53'), fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp')).map(([t, proto]): Step => ({ kind: 'service', target: text(t), proto, range: R, source: '' })),
  ipv4.map((a): Step => ({ kind: 'aton', target: text(a), range: R, source: '' })),
  fc.array(hexByte, { minLength: 4, maxLength: 4 }).map((b): Step => ({ kind: 'ntoa', target: text(b.join('')), range: R, source: '' })),
  fc.constantFrom('::1', '127.0.0.1', 'fe80::1').map((a): Step => ({ kind: 'pton', target: text(a), range: R, source: '' })),
  fc.array(hexByte, { minLength: 16, maxLength: 16 }).map((b): Step => ({ kind: 'ntop', target: text(b.join('')), range: R, source: '' })),
);

type Kind = 'lookups' | 'stream' | 'udp' | 'listener';

function recvStep(kind: Kind): fc.Arbitrary<Step> {
  const t = fc.option(duration, { nil: undefined });
  const stream: fc.Arbitrary<Step>[] =
    kind === 'udp'
      ? []
      : [
          fc.tuple(fc.constantFrom<'line' | 'all'>('line', 'all'), t).map(([mode, timeoutMs]): Step => ({ kind: 'recv', mode, ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })),
          fc.tuple(countOf(1, 16 * 1024 * 1024), t).map(([max, timeoutMs]): Step => ({ kind: 'recv', mode: 'exactly', max, ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })),
          fc.tuple(payload.filter((p) => p.kind !== 'heredoc'), t).map(([until, timeoutMs]): Step => ({ kind: 'recv', mode: 'until', until, ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })),
          fc
            .tuple(fc.constantFrom(...INT_TYPES.filter((x) => x !== 'dec')), fc.integer({ min: 0, max: 1024 }), fc.boolean(), t)
            .map(([type, after, inclusive, timeoutMs]): Step => ({ kind: 'recv', mode: 'frame', frame: { type, after, inclusive }, ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })),
          fc
            .tuple(payload.filter((p) => p.kind !== 'heredoc'), payload.filter((p) => p.kind !== 'heredoc'), t)
            .map(([start, end, timeoutMs]): Step => ({ kind: 'recv', mode: 'frame', delimited: { start, end }, ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })),
        ];
  return fc.oneof(
    t.map((timeoutMs): Step => ({ kind: 'recv', mode: 'chunk', ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })),
    fc.tuple(countOf(1, 65536), t).map(([max, timeoutMs]): Step => ({ kind: 'recv', mode: 'bytes', max, ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })),
    ...stream,
  );
}

/** An integer field: a type, and a literal within its bounds (decimal or 0x) or a reference. */
const intField: fc.Arbitrary<FieldPart> = fc.constantFrom(...INT_TYPES).chain((type) => {
  const { min, max } = intBounds(type);
  const literal = fc.tuple(fc.bigInt({ min, max }), fc.boolean()).map(([v, hex]) => (hex && v >= 0n ? `0x${v.toString(16)}` : v.toString()));
  const value = fc.oneof({ weight: 4, arbitrary: literal }, { weight: 1, arbitrary: variableRef.map((r) => template([r])) });
  return value.map((v): FieldPart => ({ kind: 'int', type, value: v, range: R }));
});

/** The parts of one level of a field payload; a length field always has a group after it. */
const fieldParts: fc.Memo<FieldPart[]> = fc.memo((depth) => {
  const leaf = fc.oneof(
    { weight: 3, arbitrary: intField },
    { weight: 2, arbitrary: payload.filter((q) => q.kind !== 'heredoc').map((q): FieldPart => ({ kind: 'payload', payload: q })) },
  );
  const group = depth > 1 ? fieldParts(depth - 1).map((parts): FieldPart => ({ kind: 'group', parts, range: R })) : fc.constant<FieldPart>({ kind: 'group', parts: [], range: R });
  const lengthThenGroup = fc.tuple(fc.constantFrom(...INT_TYPES.filter((t) => !t.startsWith('i'))), group).map(([type, g]): FieldPart[] => [{ kind: 'length', type, range: R }, g]);
  const groupThenChecksum = fc.tuple(group, fc.constantFrom(...CHECKSUM_TYPES)).map(([g, type]): FieldPart[] => [g, { kind: 'checksum', type, range: R }]);
  return fc
    .array(fc.oneof({ weight: 4, arbitrary: leaf.map((x) => [x]) }, { weight: 1, arbitrary: group.map((g) => [g]) }, { weight: 1, arbitrary: lengthThenGroup }, { weight: 1, arbitrary: groupThenChecksum }), { maxLength: 4 })
    .map((runs) => runs.flat());
});

/** A field payload as the parser makes one: two parts or more, or one that only a field payload has. */
const fieldsPayload: fc.Arbitrary<Payload> = fieldParts(3)
  .filter((parts) => parts.length >= 2 || (parts.length === 1 && parts[0].kind !== 'payload'))
  .map((parts): Payload => ({ kind: 'fields', parts, range: R }));

/** The steps a block of `kind` allows, repeats nested at most `depth` deep. */
function steps(kind: Kind, depth: number): fc.Arbitrary<Step[]> {
  const simple: fc.Arbitrary<Step>[] = [lookupStep, expectStep, captureStep, setStep, duration.map((ms): Step => ({ kind: 'wait', ms, range: R, source: '' }))];
  if (kind !== 'lookups') {
    simple.push(fc.oneof(payload, fieldsPayload).map((p): Step => ({ kind: 'send', payload: p, range: R, source: '' })), recvStep(kind), fc.constant<Step>({ kind: 'close', range: R, source: '' }));
    if (kind !== 'udp') simple.push(fc.constant<Step>({ kind: 'shutdown', range: R, source: '' }));
  }
  if (kind === 'listener') simple.push(fc.option(duration, { nil: undefined }).map((timeoutMs): Step => ({ kind: 'echo', ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' })));
  const one: fc.Arbitrary<Step> =
    depth > 0
      ? fc.oneof(
          { weight: 6, arbitrary: fc.oneof(...simple) },
          {
            weight: 1,
            arbitrary: fc.tuple(countOf(1, 1000), fc.option(duration, { nil: undefined }), fc.option(flowTest, { nil: undefined }), steps(kind, depth - 1).filter((s) => s.length > 0)).map(
              ([count, everyMs, until, inner]): Step => ({ kind: 'repeat', count, ...(everyMs !== undefined ? { everyMs } : {}), ...(until ? { until } : {}), steps: inner, range: R, source: '' }),
            ),
          },
          {
            weight: 1,
            arbitrary: fc.tuple(flowTest, steps(kind, depth - 1), steps(kind, depth - 1)).map(([test, inner, otherwise]): Step => ({ kind: 'if', test, steps: inner, otherwise, range: R, source: '' })),
          },
        )
      : fc.oneof(...simple);
  return fc.array(one, { maxLength: 5 });
}

const title = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.:'()-]{0,20}[A-Za-z0-9)]$/);
const port = fc.integer({ min: 1, max: 65535 });
const noPolicy = { allow: [], deny: [] };

/** One block of a file, given its 1-based number (names derive from it, so they are unique). */
function block(index: number): fc.Arbitrary<Block> {
  const base = (header: Header | undefined, body: Step[], extra: Partial<Block>, t: string, eol: 'crlf' | 'lf'): Block => ({
    index,
    title: t,
    range: R,
    ...(header ? { header } : {}),
    steps: body,
    eol,
    policy: noPolicy,
    tls: {},
    udp: { groups: [] },
    ...extra,
  });
  const eol = fc.constantFrom<'crlf' | 'lf'>('crlf', 'lf');
  const lookups = fc.tuple(steps('lookups', 2), title, eol).map(([s, t, e]) => base(undefined, s, {}, t, e));
  const client = fc
    .tuple(fc.constantFrom<'tcp' | 'tls' | 'unix'>('tcp', 'tls', 'unix'), port, fc.option(duration, { nil: undefined }), fc.boolean(), fc.boolean(), steps('stream', 2), title, eol, fc.boolean(), fc.option(fc.constantFrom('h2', 'http/1.1'), { nil: undefined }), fc.boolean(), fc.boolean())
    .map(([transport, p, timeoutMs, named, keep, s, t, e, insecure, alpn, clientCert, starttls]) => {
      const target = transport === 'unix' ? text(`./b${index}.socket`) : template([{ variable: 'host', range: R }, { text: `:${p}` }]);
      const header: Header = { kind: 'connect', transport, target, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(named ? { name: `c${index}`, ...(keep ? { keep: true } : {}) } : {}), range: R, source: '' };
      // A connect tcp block with starttls takes the TLS lines too (§6.1.1); mutual TLS adds a client certificate.
      const upgraded = transport === 'tcp' && starttls;
      const tls =
        transport === 'tls' || upgraded
          ? { ...(insecure ? { insecure: true } : { ca: text('certs/ca.pem'), servername: 'localhost' }), ...(alpn ? { alpn: [alpn] } : {}), ...(clientCert ? { cert: text('certs/client.pem'), key: text('certs/client.key') } : {}) }
          : {};
      const body: Step[] = upgraded ? [{ kind: 'starttls', ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: R, source: '' }, ...s] : s;
      return base(header, body, { tls }, t, e);
    });
  const udpClient = fc.tuple(port, fc.boolean(), steps('udp', 1), title, eol).map(([p, broadcast, s, t, e]) =>
    base({ kind: 'connect', transport: 'udp', target: text(`${broadcast ? '<broadcast>' : '127.0.0.1'}:${p}`), range: R, source: '' }, s, { udp: { groups: [], ...(broadcast ? { broadcast: true } : {}) } }, t, e),
  );
  const listener = fc
    .tuple(fc.constantFrom<'tcp' | 'udp' | 'tls' | 'unix'>('tcp', 'udp', 'tls', 'unix'), fc.constantFrom('0', ':0', '127.0.0.1:0', '[::1]:0'), fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), fc.subarray(['127.0.0.0/8', '::1', '10.0.0.0/8']), fc.option(durationMs, { nil: undefined }), fc.boolean(), title, eol)
    .chain(([transport, target, maxConnections, allow, idleTimeoutMs, selfSigned, t, e]) =>
      steps(transport === 'udp' ? 'udp' : 'listener', 2).map((s) => {
        const policy = {
          ...(maxConnections !== undefined ? { maxConnections } : {}),
          allow: transport === 'unix' ? [] : allow,
          deny: [],
          ...(idleTimeoutMs !== undefined && transport !== 'udp' ? { idleTimeoutMs } : {}),
          ...(transport === 'unix' ? { removeStale: true } : {}),
        };
        const tls = transport === 'tls' ? (selfSigned ? { selfSigned: true } : { cert: text('cert.pem'), key: text('key.pem'), ...(maxConnections !== undefined && maxConnections % 2 === 0 ? { ca: text('certs/ca.pem') } : {}) }) : {};
        const udp = transport === 'udp' && selfSigned ? { groups: [{ group: '239.1.2.3' }] } : { groups: [] };
        const header: Header = { kind: 'listen', transport, target: text(transport === 'unix' ? `./l${index}.socket` : target), name: `l${index}`, range: R, source: '' };
        return base(header, s, { policy, tls, udp }, t, e);
      }),
    );
  return fc.oneof(lookups, client, udpClient, listener);
}

const variables = fc.tuple(fc.constantFrom('127.0.0.1', 'localhost', '[::1]'), fc.integer({ min: 1, max: 65535 }), fc.stringMatching(/^[#A-Za-z0-9/][A-Za-z0-9./:-]{0,10}[A-Za-z0-9]$/)).map(([host, p, token]) => {
  const v = (name: string, value: Template): [string, { name: string; value: Template; range: typeof R }] => [name, { name, value, range: R }];
  return new Map([v('host', text(host)), v('port', text(String(p))), v('token', text(token))]);
});

/** The blocks, some of them with an `await` appended on a listener or kept connection of a block before. */
function withAwaits(blocks: Block[]): fc.Arbitrary<Block[]> {
  const awaitable = (b: Block): { name: string; event: 'accepted' | 'datagram' | 'data' }[] => {
    const h = b.header;
    if (!h?.name || (h.kind === 'connect' && !h.keep)) return [];
    return [{ name: h.name, event: h.kind === 'connect' ? 'data' : h.transport === 'udp' ? 'datagram' : 'accepted' }];
  };
  return fc.tuple(
    ...blocks.map((b, i) => {
      const targets = blocks.slice(0, i).flatMap(awaitable);
      if (targets.length === 0) return fc.constant(b);
      return fc
        .option(fc.tuple(fc.constantFrom(...targets), fc.option(countOf(1, 1_000_000), { nil: undefined }), fc.option(duration, { nil: undefined })), { nil: undefined })
        .map((a): Block => (a === undefined ? b : { ...b, steps: [...b.steps, { kind: 'await', ...a[0], ...(a[1] !== undefined ? { count: a[1] } : {}), ...(a[2] !== undefined ? { timeoutMs: a[2] } : {}), range: R, source: '' }] }));
    }),
  );
}

/** A whole file: variables and one to five blocks of every kind. */
export const sockFile: fc.Arbitrary<SockFile> = fc
  .tuple(variables, fc.integer({ min: 1, max: 5 }))
  .chain(([vars, n]) => fc.tuple(...Array.from({ length: n }, (_, i) => block(i + 1))).chain(withAwaits).map((blocks): SockFile => ({ blocks, variables: vars, diagnostics: [] })));
