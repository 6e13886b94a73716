/**
 * The printer: the inverse of the parser. `printSock(file)` writes `.sock` text that parses back
 * to the same syntax tree (blocks, headers, steps, settings, variables), ranges and source texts
 * aside; the round trip is a property test (test/unit/sock/printer.test.ts). Pure: a tree in,
 * text out. The language is `docs/sock-language.md`.
 *
 * The text is canonical rather than a copy of what was written: one statement per line, no
 * indentation (a heredoc's lines are its payload, so nothing is indented), variables first,
 * settings right after the block's header, durations in their largest whole unit (`8s`, `1500ms`), a `service`
 * step with its protocol, and every block with its `###` line.
 */
import type { Amount, Block, FieldPart, Header, LoadPlan, Matcher, Payload, SockFile, Step, Template, TemplatePart } from './ast';

/** `{{…}}` of one reference or built-in. */
function reference(p: Exclude<TemplatePart, { text: string }>): string {
  if ('variable' in p) return `{{${p.variable}}}`;
  const b = p.builtin;
  if (b.name === 'timestamp') return '{{$timestamp}}';
  if (b.name === 'randomInt') return `{{$randomInt ${b.min} ${b.max}}}`;
  return `{{$env ${b.variable}}}`;
}

/**
 * A template as written: literal runs as they are (a quoted payload's runs keep their escapes,
 * as the parser keeps them), references as `{{…}}`.
 */
export function printTemplate(t: Template): string {
  let out = '';
  for (const p of t.parts) out += 'text' in p ? p.text : reference(p);
  return out;
}

/** A duration in its largest whole unit: `2m`, `8s`, `1500ms` (every parsed duration is whole milliseconds). */
export function printDuration(ms: number): string {
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  if (!Number.isInteger(ms)) return `${Math.round(ms * 1000)}us`;
  return `${ms}ms`;
}

/** A heredoc's closing word: `END`, or `END1`, `END2` … when a line of the payload is `END`. */
function heredocWord(lines: readonly string[]): string {
  const taken = new Set(lines.map((l) => l.trim()));
  let word = 'END';
  for (let n = 1; taken.has(word); n++) word = `END${n}`;
  return word;
}

/** A payload, as it follows `send`, `expect` or `recv until`; a heredoc spans lines. */
export function printPayload(p: Payload): string {
  switch (p.kind) {
    case 'text':
      return `"${printTemplate(p.template)}"`;
    case 'hex':
    case 'base64':
    case 'file':
      return `${p.kind} ${printTemplate(p.template)}`;
    case 'heredoc': {
      const lines = p.lines.map(printTemplate);
      const word = heredocWord(lines);
      return [`<<${word}`, ...lines, word].join('\n');
    }
    case 'fields':
      return p.parts.map(printFieldPart).join(' ');
  }
}

/** A part of a field payload (§4.6). */
function printFieldPart(part: FieldPart): string {
  switch (part.kind) {
    case 'payload':
      return printPayload(part.payload);
    case 'int':
      return `${part.type} ${typeof part.value === 'string' ? part.value : printTemplate(part.value)}`;
    case 'length':
      return `${part.type} len`;
    case 'checksum':
      return part.type;
    case 'group':
      return part.parts.length === 0 ? '( )' : `( ${part.parts.map(printFieldPart).join(' ')} )`;
  }
}

function printMatcher(m: Matcher): string {
  switch (m.kind) {
    case 'contains':
      if (m.at === undefined) return printPayload(m.payload);
      // `at N` stands on the payload's own line: a heredoc's first line, before its body.
      return printPayload(m.payload).replace(/^[^\n]*/, (first) => `${first} at ${m.at}`);
    case 'exactly':
      return `exactly ${printPayload(m.payload)}`;
    case 'regex':
      return `/${m.source}/${m.flags}`;
    case 'error':
      return ['error', ...(m.code ? [m.code] : []), ...(m.pattern ? [printMatcher(m.pattern)] : [])].join(' ');
    case 'time':
      return `time ${m.op} ${amount(m.ms, true)}`;
    case 'bytes':
      return m.op === '=' ? `bytes ${amount(m.count, false)}` : `bytes ${m.op} ${amount(m.count, false)}`;
    case 'closed':
      return 'closed';
    case 'latency':
      return `${m.metric === 'round-trip' ? '' : `${m.metric} `}${m.stat} ${m.op} ${amount(m.ms, true)}`;
    case 'errors':
      return m.op === '=' ? `errors ${m.count}` : `errors ${m.op} ${m.count}`;
    case 'tls': {
      const f = m.fact;
      return f.name === 'verified' ? 'tls verified' : f.name === 'subject' ? `tls subject /${f.source}/${f.flags}` : `tls ${f.name} ${printTemplate(f.value)}`;
    }
  }
}

/** A count or a duration as written: the number, or its `{{…}}`. */
function amount(v: Amount, duration: boolean): string {
  if (typeof v !== 'number') return printTemplate(v);
  return duration ? printDuration(v) : String(v);
}

function timeout(ms: Amount | undefined): string {
  return ms === undefined ? '' : ` timeout ${amount(ms, true)}`;
}

/** One step, as its line (or lines: a heredoc payload, a `repeat` with its steps and `end`). */
export function printStep(s: Step): string {
  switch (s.kind) {
    case 'send':
      return `send ${printPayload(s.payload)}`;
    case 'recv': {
      const frame = s.frame
        ? ` frame ${s.frame.type}${s.frame.after > 0 ? ` after ${s.frame.after}` : ''}${s.frame.inclusive ? ' inclusive' : ''}`
        : s.delimited
          ? ` frame from ${printPayload(s.delimited.start)} to ${printPayload(s.delimited.end)}`
          : '';
      const what = s.mode === 'chunk' ? '' : s.mode === 'bytes' ? ` ${amount(s.max as Amount, false)}` : s.mode === 'exactly' ? ` exactly ${amount(s.max as Amount, false)}` : s.mode === 'until' && s.until ? ` until ${printPayload(s.until)}` : s.mode === 'frame' ? frame : ` ${s.mode}`;
      // A heredoc ends the statement's text: the timeout goes on its first line.
      if (s.until?.kind === 'heredoc') {
        const [first, ...rest] = what.split('\n');
        return [`recv${first}${timeout(s.timeoutMs)}`, ...rest].join('\n');
      }
      return `recv${what}${timeout(s.timeoutMs)}`;
    }
    case 'repeat':
      return [`repeat ${amount(s.count, false)}${s.everyMs === undefined ? '' : ` every ${amount(s.everyMs, true)}`}${s.rate ? ` rate ${s.rate.text}` : ''}${s.until ? ` until ${printMatcher(s.until)}` : ''}`, ...s.steps.map(printStep), 'end'].join('\n');
    case 'if':
      return [`if ${printMatcher(s.test)}`, ...s.steps.map(printStep), ...(s.otherwise.length > 0 ? ['else', ...s.otherwise.map(printStep)] : []), 'end'].join('\n');
    case 'on':
      return [`on ${s.test ? printMatcher(s.test) : s.event}`, ...s.steps.map(printStep), 'end'].join('\n');
    case 'reset':
      return 'reset';
    case 'fault': {
      const f = s.fault;
      if (f.kind === 'delay') return `fault delay ${amount(f.ms, true)}`;
      if (f.kind === 'drip') return `fault drip ${amount(f.bytes, false)} every ${amount(f.everyMs, true)}`;
      return 'bytes' in f ? `fault ${f.kind} ${amount(f.bytes, false)}` : `fault ${f.kind}`;
    }
    case 'wait':
      return `wait ${amount(s.ms, true)}`;
    case 'await':
      return `await ${s.name} ${s.event}${s.count === undefined ? '' : ` ${amount(s.count, false)}`}${timeout(s.timeoutMs)}`;
    case 'expect':
      return `expect ${printMatcher(s.matcher)}`;
    case 'set':
      return `set ${s.name} = ${printTemplate(s.value)}`;
    case 'capture':
      return [
        'capture',
        ...(s.name !== undefined ? [s.name] : []),
        ...(s.pattern ? [`/${s.pattern.source}/${s.pattern.flags}`] : []),
        ...(s.line !== undefined ? [`line ${s.line}`] : []),
        ...(s.field !== undefined ? [s.field] : []),
        ...(s.count !== undefined ? [`${s.hex ? 'hex' : 'bytes'} ${s.count}`] : []),
        ...(s.at !== undefined && s.at !== 0 ? [`at ${s.at}`] : []),
      ].join(' ');
    case 'echo':
      return `echo${timeout(s.timeoutMs)}`;
    case 'forward':
      return `forward ${s.transport} ${printTemplate(s.target)}${s.insecure ? ' insecure' : ''}${timeout(s.timeoutMs)}`;
    case 'starttls':
      return `starttls${timeout(s.timeoutMs)}`;
    case 'service':
      return `service ${printTemplate(s.target)} ${s.proto}`;
    case 'resolve':
      return `resolve ${printTemplate(s.target)} ${s.recordType}${s.server ? ` @${printTemplate(s.server)}` : ''}`;
    case 'lookup':
    case 'aton':
    case 'ntoa':
    case 'pton':
    case 'ntop':
      return `${s.kind} ${printTemplate(s.target)}`;
    case 'shutdown':
    case 'close':
    case 'hostname':
      return s.kind;
  }
}

/** A block's first statement. */
export function printHeader(h: Header): string {
  if (h.kind === 'use') return `use ${h.name ?? printTemplate(h.target)}`;
  const name = h.name === undefined ? '' : ` as ${h.name}`;
  if (h.kind === 'listen') return `listen ${h.transport} ${printTemplate(h.target)}${name}`;
  return `connect ${h.transport} ${printTemplate(h.target)}${timeout(h.timeoutMs)}${name}${h.keep ? ' keep' : ''}`;
}

/** A block's setting lines: line ending, listener policy, TLS and UDP, in that order. */
function settingLines(b: Block): string[] {
  const out: string[] = [];
  if (b.eol === 'lf') out.push('eol lf');
  const p = b.policy;
  if (p.maxConnections !== undefined) out.push(`max-conns ${p.maxConnections}`);
  if (p.allow.length > 0) out.push(`allow ${p.allow.join(' ')}`);
  if (p.deny.length > 0) out.push(`deny ${p.deny.join(' ')}`);
  if (p.idleTimeoutMs !== undefined) out.push(`idle-timeout ${printDuration(p.idleTimeoutMs)}`);
  if (p.removeStale) out.push('remove-stale');
  if (p.messages) out.push(`messages${p.messages.mode === 'chunk' && p.messages.timeoutMs === undefined ? ' chunk' : printStep(p.messages).slice('recv'.length)}`);
  const t = b.tls;
  if (t.insecure) out.push('insecure');
  if (t.ca) out.push(`ca ${printTemplate(t.ca)}`);
  if (t.servername !== undefined) out.push(`servername ${t.servername}`);
  if (t.alpn && t.alpn.length > 0) out.push(`alpn ${t.alpn.join(' ')}`);
  if (t.cert) out.push(`cert ${printTemplate(t.cert)}`);
  if (t.key) out.push(`key ${printTemplate(t.key)}`);
  if (t.selfSigned) out.push('self-signed');
  if (b.udp.broadcast) out.push('broadcast');
  if (b.load) out.push(printLoad(b.load));
  for (const g of b.udp.groups) out.push(`join ${g.group}${g.iface ? ` ${g.iface}` : ''}`);
  return out;
}

/** A `load` line (§8.15). */
function printLoad(l: LoadPlan): string {
  return `load ${l.clients} clients${l.rampMs > 0 ? ` ramp ${printDuration(l.rampMs)}` : ''}${l.rate !== undefined ? ` rate ${l.rate}/s` : ''}${l.forMs !== undefined ? ` for ${printDuration(l.forMs)}` : ''}`;
}

/** One block: its `###` line, header, settings and steps; ends with a newline. */
export function printBlock(b: Block): string {
  const lines = [b.title ? `### ${b.title}` : '###'];
  if (b.header) lines.push(printHeader(b.header));
  lines.push(...settingLines(b), ...b.steps.map(printStep));
  // A relay's rewrites follow its forward line.
  for (const r of b.policy.rewrites ?? []) lines.push(`rewrite ${r.direction} ${r.match.kind === 'regex' ? `/${r.match.source}/${r.match.flags}` : printPayload(r.match.payload)} with ${printPayload(r.replacement)}`);
  return lines.join('\n') + '\n';
}

/**
 * A variable line. Its value is the rest of the line, so a value that starts like a comment
 * (`#`, `//`) follows the `=` with no space, where a marker is part of the value (§3.1).
 */
export function printVariable(name: string, value: string): string {
  return /^(#|\/\/)/.test(value) ? `@${name} =${value}` : `@${name} = ${value}`;
}

/** The whole file: variables, then each block, a blank line between blocks. */
export function printSock(file: SockFile): string {
  const head = [...file.variables.values()].map((v) => printVariable(v.name, printTemplate(v.value)) + '\n').join('');
  const blocks = file.blocks.map(printBlock).join('\n');
  return head && blocks ? `${head}\n${blocks}` : head + blocks;
}
