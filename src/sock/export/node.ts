/**
 * A `.sock` file as a Node program (spec §16): an ES module using `net`, `dgram`, `tls` and `dns`
 * with `async`/`await`, no dependencies, a comment per step naming the line it came from. Each
 * block is an async function; a listener serves its connections at once on the event loop; an
 * `expect` is an `assert.ok`. Pure: a syntax tree in, text out.
 */
import { parseIntLiteral, type IntType } from '../../net/fields';
import { decodeEscapes } from '../../net/payload';
import type { Amount, Block, FieldPart, Header, LoadPlan, Matcher, Payload, SockFile, Step, Template } from '../ast';
import { blockLabel, hexWildcards, lineOf, literalBytes, nodeBytes, nodeRegex, quoted, regexCaveat, programBlocks, variablesInOrder, type ExportOptions, type ExportResult } from './common';
import { NODE_SNIPPETS, NODE_STATE } from './nodeRuntime';
import { prelude } from './snippets';
import { hasTime, isArithmetic, literalText, namedGroups, policyOf, ProgramWriter, splitTarget } from './writer';

/** A JavaScript identifier from a label: `greeter`, `block_6`. */
function identifier(text: string): string {
  return text.replace(/[^A-Za-z0-9_$]/g, '_').replace(/^(\d)/, '_$1');
}

/** A JavaScript regex literal of an RE2 pattern, with the `u` flag (`s`, `i`, `m` kept; `b` is the helper's). */
function regexLiteral(source: string, flags: string): string {
  const body = nodeRegex(source);
  return `/${body}/${[...flags].filter((c) => 'ims'.includes(c)).join('')}u`;
}

class NodeProgram extends ProgramWriter {
  protected readonly commentMark = '//';
  protected readonly indentUnit = '  ';
  private temp = 0;
  private needsHere = false;

  constructor(file: SockFile, options: ExportOptions) {
    super(file, options);
  }

  protected lastStepTime(): void {
    this.emit('elapsedMs = conn.elapsedMs; // the last step inside, for the expect time below');
  }

  protected timed(body: () => void): void {
    this.emit('stepStarted = performance.now(); // for the expect time below');
    body();
    this.emit('elapsedMs = performance.now() - stepStarted;');
  }

  protected runLoad(session: string, plan: LoadPlan): void {
    this.used.add('load');
    const args = [`clients: ${plan.clients}`, ...(plan.rampMs ? [`ramp: ${plan.rampMs}`] : []), ...(plan.rate !== undefined ? [`rate: ${plan.rate}`] : []), ...(plan.forMs !== undefined ? [`duration: ${plan.forMs}`] : [])];
    this.emit(`const stats = await load(label, ${session}, { ${args.join(', ')} });`);
  }

  protected loadCheck(step: Step, m: Extract<Matcher, { kind: 'latency' | 'errors' }>): void {
    const op = m.op === '=' ? '===' : m.op;
    if (m.kind === 'errors') {
      this.emit(`verdict(label, ${lineOf(step)}, stats.failed + stats.errors ${op} ${m.count}, \`\${stats.failed} sessions failed, \${stats.errors} erred\`);`);
    } else {
      const stat = `stats.stat('${m.metric}', '${m.stat}')`;
      this.emit(`verdict(label, ${lineOf(step)}, ${stat} ${op} ${this.duration(m.ms)}, \`the ${m.metric} ${m.stat} is \${${stat}.toFixed(2)} ms\`);`);
    }
  }

  protected loadOutcome(): void {
    this.emit('assert.ok(stats.failed === 0 && stats.errors === 0, `${stats.failed} sessions failed, ${stats.errors} erred`);');
    this.uncheckedPass();
  }

  protected functionName(block: Block): string {
    return `block${block.index}`;
  }

  protected sessionName(block: Block): string {
    return `${identifier(blockLabel(block))}Session`;
  }

  protected openFunction(name: string, params: readonly string[], doc: string, steps: readonly Step[], header: boolean): void {
    this.emit(`/** ${doc} */`);
    this.emit(`async function ${name}(${params.join(', ')}) {`);
    this.depth++;
    const locals = [
      ...(steps.length > 0 ? ['data'] : []),
      ...(header ? ['conn'] : []),
      ...(steps.some((s) => s.kind === 'on' && s.test?.kind === 'regex') ? ['m'] : []),
      ...(hasTime(steps) ? ['stepStarted', 'elapsedMs'] : []),
    ];
    if (locals.length > 0) this.emit(`let ${locals.join(', ')};`);
  }

  protected closeFunction(): void {
    this.depth--;
    this.emit('}');
    this.emit('');
  }

  protected closeConnection(): void {
    this.emit('conn.close();');
  }

  protected uncheckedPass(): void {
    this.emit('results.passed++; // a block without an expect passes by running without an error (§10.1)');
  }

  protected readChunk(): void {
    this.emit('data = await conn.recv(); // messages chunk: each chunk as it arrives');
  }

  protected messageLoop(bound: Amount | undefined, body: () => void): void {
    this.emit(`while (await conn.nextMessage(${bound === undefined ? '' : this.duration(bound)})) {`);
    this.depth++;
    body();
    this.emit('if (conn.closed) break; // a rule closed or reset the connection');
    this.depth--;
    this.emit('}');
  }

  protected branches(tests: readonly { readonly test: string; readonly body: () => void }[], otherwise: () => void): void {
    tests.forEach((b, i) => {
      this.emit(`${i === 0 ? 'if' : '} else if'} (${b.test}) {`);
      this.depth++;
      b.body();
      this.depth--;
    });
    this.emit('} else {');
    this.depth++;
    otherwise();
    this.depth--;
    this.emit('}');
  }

  protected keepMatch(test: string): string {
    return `(m = ${test})`;
  }

  protected namedGroupsToVariables(flags: string): void {
    this.emit(`Object.assign(vars, groupsOf(m, data${flags.includes('b') ? ', true' : ''}));`);
  }

  protected logLine(text: string): void {
    this.emit(`log(label, ${quoted(text)});`);
  }

  // ---- expressions ---------------------------------------------------------------------------

  /** A template as a JavaScript string: a literal, `s('name')`, or a template literal. */
  str(t: Template): string {
    const text = literalText(t);
    if (text !== undefined) return quoted(text);
    if (t.parts.length === 1 && 'variable' in t.parts[0]) return `s(${quoted(t.parts[0].variable)})`;
    let out = '';
    for (const p of t.parts) {
      if ('text' in p) out += p.text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
      else if ('variable' in p) out += `\${s(${quoted(p.variable)})}`;
      else out += `\${${this.builtin(p.builtin)}}`;
    }
    return `\`${out}\``;
  }

  private builtin(b: Extract<Template['parts'][number], { builtin: unknown }>['builtin']): string {
    if (b.name === 'timestamp') return 'Math.floor(Date.now() / 1000)';
    if (b.name === 'randomInt') return `(${b.min} + Math.floor(Math.random() * ${b.max - b.min + 1}))`;
    return `process.env[${quoted(b.variable)}]`;
  }

  /** A template as a Buffer expression; `escapes`: its literal runs hold `\r\n` escapes (a quoted payload). */
  bytes(t: Template, escapes: boolean): string {
    const pieces = t.parts.map((p) => {
      if ('text' in p) return nodeBytes(escapes ? decodeEscapes(p.text) : Buffer.from(p.text, 'utf8'));
      if ('variable' in p) return `v(${quoted(p.variable)})`;
      return `Buffer.from(String(${this.builtin(p.builtin)}))`;
    });
    if (pieces.length === 0) return 'Buffer.alloc(0)';
    return pieces.length === 1 ? pieces[0] : `Buffer.concat([${pieces.join(', ')}])`;
  }

  count(a: Amount): string {
    return typeof a === 'number' ? `${a}` : `Number(${this.str(a)})`;
  }

  /** A duration in ms: a number, or `duration(…)` of a template such as `{{t}}ms`. */
  duration(a: Amount): string {
    if (typeof a === 'number') return `${a}`;
    this.used.add('duration');
    return `duration(${this.str(a)})`;
  }

  payload(p: Payload, eol: Block['eol']): string {
    const literal = literalBytes(p, eol);
    if (literal) return nodeBytes(literal);
    switch (p.kind) {
      case 'text':
        return this.bytes(p.template, true);
      case 'hex':
        return `Buffer.from(${this.str(p.template)}.replace(/\\s+/g, ''), 'hex')`;
      case 'base64':
        return `Buffer.from(${this.str(p.template)}, 'base64')`;
      case 'file':
        this.needsHere = true;
        this.imports.add('fs');
        this.imports.add('path');
        return `fs.readFileSync(path.resolve(HERE, ${this.str(p.template)}))`;
      case 'heredoc': {
        const ending = nodeBytes(Buffer.from(eol === 'crlf' ? '\r\n' : '\n'));
        return `Buffer.concat([${p.lines.map((l) => `${this.bytes(l, false)}, ${ending}`).join(', ')}])`;
      }
      case 'fields':
        return this.fields(p.parts, eol);
    }
  }

  /** A field payload (§4.6): Buffer writes for integers; a group that a length or checksum needs goes to a constant first. */
  private fields(parts: readonly FieldPart[], eol: Block['eol']): string {
    const named = new Map<number, string>();
    for (const i of namedGroups(parts)) {
      const name = `group${++this.temp}`;
      this.emit(`const ${name} = ${this.fields((parts[i] as Extract<FieldPart, { kind: 'group' }>).parts, eol)};`);
      named.set(i, name);
    }
    const pieces: string[] = [];
    parts.forEach((part, i) => {
      switch (part.kind) {
        case 'payload':
          pieces.push(this.payload(part.payload, eol));
          return;
        case 'int': {
          let value: string;
          if (typeof part.value === 'string') {
            const n = parseIntLiteral(part.value);
            value = n === undefined ? part.value : n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER) ? `${n}n` : `${n}`;
          } else value = `${this.str(part.value)}`;
          pieces.push(this.intBytes(part.type, value));
          return;
        }
        case 'length': {
          const next = parts.findIndex((q, k) => k > i && q.kind === 'group');
          pieces.push(this.intBytes(part.type, `${named.get(next) ?? 'Buffer.alloc(0)'}.length`));
          return;
        }
        case 'checksum': {
          this.used.add('checksums');
          const group = named.get(i - 1) ?? 'Buffer.alloc(0)';
          if (part.type === 'crc16-modbus') pieces.push(`crc16Modbus(${group})`);
          else if (part.type === 'inet16') pieces.push(`inet16(${group})`);
          else pieces.push(`crc32(${group}, ${part.type === 'crc32le'})`);
          return;
        }
        case 'group':
          pieces.push(named.get(i) ?? this.fields(part.parts, eol));
          return;
      }
    });
    if (pieces.length === 0) return 'Buffer.alloc(0)';
    return pieces.length === 1 ? pieces[0] : `Buffer.concat([${pieces.join(', ')}])`;
  }

  private intBytes(type: IntType, value: string): string {
    if (type === 'varint') {
      this.used.add('varint');
      return `varint(${value})`;
    }
    if (type === 'dec') return `Buffer.from(String(${value}))`;
    this.used.add('fields');
    return `field('${type}', ${value})`;
  }

  protected test(m: Matcher, eol: Block['eol'], node: Step): string | undefined {
    switch (m.kind) {
      case 'contains':
      case 'exactly': {
        const wild = hexWildcards(m.payload);
        if (wild) {
          this.used.add('matchAt');
          const pattern = `[${wild.map((b) => (b === null ? 'null' : `0x${b.toString(16).padStart(2, '0')}`)).join(', ')}]`;
          if (m.kind === 'exactly') return `data.length === ${wild.length} && matchAt(data, 0, ${pattern})`;
          if (m.at !== undefined) return `matchAt(data, ${m.at}, ${pattern})`;
          this.used.add('contains');
          return `contains(data, ${pattern})`;
        }
        const name = `expected${++this.temp}`;
        this.emit(`const ${name} = ${this.payload(m.payload, eol)};`);
        if (m.kind === 'exactly') return `data.equals(${name})`;
        if (m.at === undefined) return `data.includes(${name})`;
        this.used.add('matchAt');
        return `matchAt(data, ${m.at}, ${name})`;
      }
      case 'regex': {
        this.used.add('search');
        const caveat = regexCaveat(m.source, 'node');
        if (caveat) this.untranslated(node, caveat);
        return `search(${regexLiteral(m.source, m.flags)}, data${m.flags.includes('b') ? ', true' : ''})`;
      }
      default:
        return undefined;
    }
  }

  // ---- steps ---------------------------------------------------------------------------------

  protected guarded(body: () => void, expect: Step, m: Extract<Matcher, { kind: 'error' }>): void {
    this.emit('{');
    this.depth++;
    this.emit('let error;');
    this.emit('try {');
    this.depth++;
    body();
    this.depth--;
    this.emit('} catch (caught) {');
    this.emit('  error = caught;');
    this.emit('}');
    this.comment(expect);
    if (m.pattern) this.untranslated(expect, "the pattern checks Socket Lab's own message; Node's message differs, so only the code is checked");
    this.emit(`expectError(label, ${lineOf(expect)}, error${m.code ? `, ${quoted(m.code)}` : ''});`);
    this.depth--;
    this.emit('}');
  }

  private timeoutArg(t: Amount | undefined, first = false): string {
    if (t === undefined) return '';
    return `${first ? '' : ', '}${this.duration(t)}`;
  }

  protected step(step: Step, block: Block): void {
    this.comment(step);
    const eol = block.eol;
    switch (step.kind) {
      case 'send':
        this.emit(`await conn.sendall(${this.payload(step.payload, eol)});`);
        return;
      case 'recv':
        return this.recv(step, eol);
      case 'expect':
        return this.expect(step, step.matcher, block);
      case 'close':
        this.emit('conn.close();');
        return;
      case 'shutdown':
        this.emit('conn.shutdown();');
        return;
      case 'reset':
        this.used.add('reset');
        this.emit('reset(conn);');
        return;
      case 'echo':
        this.used.add('echo');
        this.emit(`await echo(conn${this.timeoutArg(step.timeoutMs)});`);
        return;
      case 'wait':
        this.emit(`await sleep(${this.duration(step.ms)});`);
        return;
      case 'await':
        this.used.add('awaits');
        this.emit(`await awaitEvent(label, ${quoted(step.name)}, '${step.event}', ${step.count === undefined ? 1 : this.count(step.count)}${this.timeoutArg(step.timeoutMs)});`);
        return;
      case 'set': {
        const value = this.bytes(step.value, false);
        if (isArithmetic(step.value)) {
          this.used.add('arithmetic');
          this.emit(`vars[${quoted(step.name)}] = arithmetic(${value});`);
        } else {
          this.emit(`vars[${quoted(step.name)}] = ${value};`);
        }
        return;
      }
      case 'capture':
        return this.capture(step);
      case 'repeat':
        return this.repeat(step, block);
      case 'if': {
        const test = this.test(step.test, eol, step);
        if (!test) return this.untranslated(step, 'this test has no translation');
        this.emit(`if (${test}) {`);
        this.depth++;
        this.steps(step.steps, block);
        this.depth--;
        if (step.otherwise.length > 0) {
          this.emit('} else {');
          this.depth++;
          this.steps(step.otherwise, block);
          this.depth--;
        }
        this.emit('}');
        return;
      }
      case 'hostname':
        this.used.add('lookups');
        this.emit('data = lookedUp(label, os.hostname());');
        return;
      case 'lookup':
        this.used.add('lookups');
        this.emit(`data = lookedUp(label, await lookup(${this.str(step.target)}));`);
        return;
      case 'service':
        this.used.add('lookups');
        this.emit(`data = lookedUp(label, service(${this.str(step.target)}, '${step.proto}'));`);
        return;
      case 'aton':
        this.used.add('lookups');
        this.emit(`data = lookedUp(label, aton(${this.str(step.target)}));`);
        return;
      case 'pton':
        this.used.add('lookups');
        this.emit(`data = lookedUp(label, pton(${this.str(step.target)}));`);
        return;
      case 'ntoa':
      case 'ntop':
        this.used.add('lookups');
        this.emit(`data = lookedUp(label, ntop(Buffer.from(${this.str(step.target)}, 'hex')));`);
        return;
      case 'resolve':
        this.used.add('resolve');
        this.emit(`data = lookedUp(label, await resolveRecords(${this.str(step.target)}, '${step.recordType}'${step.server ? `, ${this.str(step.server)}` : ''}));`);
        return;
      case 'starttls':
        this.imports.add('tls');
        this.tlsOptions(block, 'client');
        this.emit(`conn = new Stream(tls.connect({ socket: conn.socket, servername: ${this.serverName(block)}, ...tlsOptions }), conn.label, tlsOptions.rejectUnauthorized !== false);`);
        this.emit("await new Promise((resolve, reject) => conn.socket.once('secureConnect', resolve).once('error', reject));");
        this.emit('log(label, `TLS ${conn.socket.getProtocol()}`);');
        return;
      case 'fault': {
        const f = step.fault;
        if (f.kind === 'none') this.emit('conn.faults = {};');
        else if (f.kind === 'drop') this.emit('conn.faults.drop = true;');
        else if (f.kind === 'delay') this.emit(`conn.faults.delay = ${this.duration(f.ms)};`);
        else if (f.kind === 'drip') this.emit(`conn.faults.drip = [${this.count(f.bytes)}, ${this.duration(f.everyMs)}];`);
        else if (f.kind === 'partial') this.emit(`conn.faults.partial = ${this.count(f.bytes)};`);
        else if ('bytes' in f) this.emit(`conn.faults.cut = [${this.count(f.bytes)}, '${f.kind === 'reset-after' ? 'reset' : 'close'}'];`);
        return;
      }
      case 'forward': {
        if (step.transport === 'udp') return this.untranslated(step, 'a UDP relay has no translation');
        this.used.add('forward');
        const timeout = step.timeoutMs === undefined ? 'TIMEOUT' : this.duration(step.timeoutMs);
        const tlsOptions = step.transport === 'tls' ? `, { ${step.insecure ? 'rejectUnauthorized: false /* insecure: the upstream is not verified */' : ''} }` : '';
        const where = step.transport === 'unix' ? this.path(step.target) : this.address(step.target, false);
        const rules = (direction: 'up' | 'down'): string =>
          `[${(block.policy.rewrites ?? [])
            .filter((r) => r.direction === direction)
            .map((r) => `[${r.match.kind === 'regex' ? `[${regexLiteral(r.match.source, r.match.flags)}, ${r.match.flags.includes('b')}]` : this.payload(r.match.payload, block.eol)}, ${this.payload(r.replacement, block.eol)}]`)
            .join(', ')}]`;
        const rewrites = block.policy.rewrites?.length ? `, ${tlsOptions ? tlsOptions.slice(2) : 'undefined'}, ${rules('up')}, ${rules('down')}` : tlsOptions;
        this.emit(`await forward(conn, ${where}, label, ${timeout}${rewrites});`);
        return;
      }
      case 'on':
        // Rules are written by responder(), after the block's other steps.
        return;
    }
  }

  protected recv(step: Extract<Step, { kind: 'recv' }>, eol: Block['eol']): void {
    const t = this.timeoutArg(step.timeoutMs);
    switch (step.mode) {
      case 'chunk':
        this.emit(`data = await conn.recv(65536${t});`);
        return;
      case 'bytes':
        this.emit(`data = await conn.recv(${this.count(step.max as Amount)}${t});`);
        return;
      case 'exactly':
        this.emit(`data = await conn.recvExactly(${this.count(step.max as Amount)}${t});`);
        return;
      case 'line':
        this.emit(`data = await conn.recvLine(${this.timeoutArg(step.timeoutMs, true)});`);
        return;
      case 'until':
        this.emit(`data = await conn.recvUntil(${this.payload(step.until as Payload, eol)}${t});`);
        return;
      case 'all':
        this.emit(`data = await conn.recvAll(${this.timeoutArg(step.timeoutMs, true)});`);
        return;
      case 'frame': {
        this.used.add('frames');
        if (step.delimited) {
          this.emit(`data = await recvBetween(conn, ${this.payload(step.delimited.start, eol)}, ${this.payload(step.delimited.end, eol)}${t});`);
          return;
        }
        const f = step.frame as NonNullable<typeof step.frame>;
        if (f.type === 'dec') return this.untranslated(step, 'a decimal length has no frame translation');
        this.emit(`data = await recvFrame(conn, '${f.type}', ${f.after}, ${f.inclusive}${t});`);
        return;
      }
    }
  }

  private expect(step: Step, m: Matcher, block: Block): void {
    const line = lineOf(step);
    const pass = (): void => this.emit(`passed(label, ${line});`);
    switch (m.kind) {
      case 'contains':
      case 'exactly':
      case 'regex': {
        const temp = this.temp;
        const test = this.test(m, block.eol, step) as string;
        const expected = this.temp !== temp ? `expected${this.temp}` : undefined;
        const wild = m.kind !== 'regex' && hexWildcards(m.payload);
        let what: string;
        if (m.kind === 'regex') what = `${regexLiteral(m.source, m.flags).replace(/[`\\$]/g, '\\$&')} does not match \${show(data)}`;
        else if (wild || !expected) what = `the pattern is not ${m.kind === 'exactly' ? 'all of' : 'in'} \${show(data)}`;
        else if (m.kind === 'exactly') what = `expected exactly \${show(${expected})}, got \${show(data)}`;
        else what = `expected \${show(${expected})}${m.at !== undefined ? ` at ${m.at}` : ''} in \${show(data)}`;
        this.emit(`assert.ok(${test}, \`line ${line}: ${what}\`);`);
        return pass();
      }
      case 'error':
        this.emit(`throw new assert.AssertionError({ message: 'line ${line}: expected an error, but the step before succeeded' });`);
        return;
      case 'bytes': {
        const op = m.op === '=' ? '===' : m.op;
        this.emit(`assert.ok(data.length ${op} ${this.count(m.count)}, \`line ${line}: the value has \${data.length} bytes\`);`);
        return pass();
      }
      case 'time': {
        const op = m.op === '=' ? '===' : m.op;
        this.emit(`assert.ok(elapsedMs ${op} ${this.duration(m.ms)}, \`line ${line}: the step took \${elapsedMs.toFixed(1)} ms\`);`);
        return pass();
      }
      case 'closed':
        this.used.add('closed');
        this.emit(`assert.ok(peerClosed(conn), 'line ${line}: the peer has not closed its side');`);
        return pass();
      case 'tls':
        return this.tlsFact(m.fact, line);
      case 'latency':
      case 'errors':
        return this.untranslated(step, 'a load expectation needs the load, which has no translation');
    }
  }

  private tlsFact(fact: Extract<Matcher, { kind: 'tls' }>['fact'], line: number): void {
    if (fact.name === 'verified') {
      this.emit(`assert.ok(conn.verified && conn.socket.authorized !== false, 'line ${line}: the TLS session was not verified');`);
    } else if (fact.name === 'subject') {
      this.used.add('tlsFacts');
      this.emit(`assert.ok(${regexLiteral(fact.source, fact.flags)}.test(tlsSubject(conn)), \`line ${line}: the subject is \${tlsSubject(conn)}\`);`);
    } else {
      const found = {
        protocol: 'conn.socket.getProtocol()',
        cipher: 'conn.socket.getCipher().standardName',
        alpn: "(conn.socket.alpnProtocol || 'none')",
        fingerprint: 'conn.socket.getPeerCertificate().fingerprint256',
      }[fact.name];
      const wanted = fact.name === 'fingerprint' ? `${this.str(fact.value)}.toUpperCase()` : this.str(fact.value);
      this.emit(`assert.ok(${found} === ${wanted}, \`line ${line}: the ${fact.name} is \${${found}}\`);`);
    }
    this.emit(`passed(label, ${line});`);
  }

  private capture(step: Extract<Step, { kind: 'capture' }>): void {
    this.used.add('capture');
    const target = step.name === undefined ? '' : `vars[${quoted(step.name)}] = `;
    if (step.pattern) {
      const pattern = regexLiteral(step.pattern.source, step.pattern.flags);
      const bytes = step.pattern.flags.includes('b') ? ', true' : '';
      if (step.name === undefined) this.emit(`Object.assign(vars, captureNamed(data, ${pattern}${bytes}));`);
      else this.emit(`${target}captureRegex(data, ${pattern}${bytes});`);
    } else if (step.field !== undefined) {
      if (step.field === 'dec') return this.untranslated(step, 'a decimal field has no capture translation');
      this.used.add('unpack');
      this.emit(`${target}unpackAt(data, '${step.field}', ${step.at ?? 0});`);
    } else if (step.count !== undefined) {
      this.emit(`${target}${step.hex ? 'Buffer.from(' : ''}take(data, ${step.at ?? 0}, ${step.count})${step.hex ? ".toString('hex'))" : ''};`);
    } else if (step.line !== undefined) {
      this.emit(`${target}captureLine(data, ${step.line});`);
    } else {
      this.emit(`${target}data;`);
    }
  }

  private repeat(step: Extract<Step, { kind: 'repeat' }>, block: Block): void {
    let every: string | undefined;
    if (step.everyMs !== undefined) every = this.duration(step.everyMs);
    else if (step.rate?.per === 'round') every = `${1000 / step.rate.perSecond}`;
    const bytesRate = step.rate?.per === 'byte' ? step.rate.perSecond : undefined;
    const paced = `paced${++this.temp}`;
    // rate BYTES/s (§8.10): each round waits until the bytes sent so far are due at that rate.
    if (bytesRate !== undefined) this.emit(`const ${paced} = [performance.now(), conn.sentBytes]; // ${step.rate?.text}`);
    const round = `round${this.depth}`;
    const found = `passed${++this.temp}`;
    if (step.until) this.emit(`let ${found} = false;`);
    this.emit(`for (let ${round} = 0; ${round} < ${this.count(step.count)}; ${round}++) {`);
    this.depth++;
    if (every) this.emit('const started = Date.now();');
    this.steps(step.steps, block);
    if (step.until) {
      const test = this.test(step.until, block.eol, step);
      if (test) {
        this.emit(`if (${test}) {`);
        this.emit(`  ${found} = true;`);
        this.emit('  break;');
        this.emit('}');
      }
    }
    if (every) this.emit(`await sleep(Math.max(0, started + ${every} - Date.now()));`);
    if (bytesRate !== undefined) this.emit(`await sleep(Math.max(0, ${paced}[0] + ((conn.sentBytes - ${paced}[1]) * 1000) / ${bytesRate} - performance.now()));`);
    this.depth--;
    this.emit('}');
    if (step.until) this.emit(`assert.ok(${found}, 'line ${lineOf(step)}: no round passed the test');`);
  }

  // ---- blocks --------------------------------------------------------------------------------

  private address(t: Template, listener: boolean): string {
    const split = splitTarget(t, listener);
    if (!split) {
      this.used.add('address');
      return `address(${this.str(t)})`;
    }
    const port = literalText(split.port);
    return `[${this.str(split.host)}, ${port !== undefined && /^\d+$/.test(port) ? port : `Number(${this.str(split.port)})`}]`;
  }

  private serverName(block: Block): string {
    const h = block.header as Header;
    if (block.tls.servername) return quoted(block.tls.servername);
    return h.kind === 'connect' ? `${this.address(h.target, false)}[0]` : 'undefined';
  }

  private path(t: Template): string {
    this.needsHere = true;
    this.imports.add('path');
    return `path.resolve(HERE, ${this.str(t)})`;
  }

  /** `const tlsOptions = …`: the options of a TLS block's lines (§6.1, §7.7). */
  private tlsOptions(block: Block, side: 'client' | 'server'): void {
    this.imports.add('fs');
    const tls = block.tls;
    const options: string[] = [];
    if (tls.ca) options.push(`ca: fs.readFileSync(${this.path(tls.ca)})`);
    if (tls.cert) options.push(`cert: fs.readFileSync(${this.path(tls.cert)})`);
    if (tls.key) options.push(`key: fs.readFileSync(${this.path(tls.key)})`);
    if (tls.alpn) options.push(`ALPNProtocols: [${tls.alpn.map(quoted).join(', ')}]`);
    if (side === 'client' && tls.insecure) options.push('rejectUnauthorized: false /* insecure: nothing is verified */');
    if (side === 'server' && tls.ca) options.push('requestCert: true', 'rejectUnauthorized: true');
    this.emit(`const tlsOptions = { ${options.join(', ')} };`);
  }

  protected header(block: Block, h: Header): void {
    this.comment(h);
    const timeout = h.timeoutMs === undefined ? '' : `, ${this.duration(h.timeoutMs)}`;
    if (h.kind === 'use') {
      this.emit(`conn = connections[${quoted(literalText(h.target) ?? '')}];`);
      return;
    }
    switch (h.transport) {
      case 'tcp':
        this.used.add('connect');
        this.emit(`conn = await connect(${this.address(h.target, false)}, label${timeout});`);
        break;
      case 'unix':
        this.used.add('connect');
        this.emit(`conn = await connect(${this.path(h.target)}, label${timeout});`);
        break;
      case 'tls':
        this.used.add('connect');
        this.tlsOptions(block, 'client');
        if (block.tls.servername) this.emit(`tlsOptions.servername = ${quoted(block.tls.servername)};`);
        this.emit(`conn = await connect(${this.address(h.target, false)}, label, ${h.timeoutMs === undefined ? 'TIMEOUT' : this.duration(h.timeoutMs)}, tlsOptions);`);
        this.emit('log(label, `TLS ${conn.socket.getProtocol()}`);');
        break;
      case 'udp':
        this.used.add('connectUdp');
        this.emit(`conn = await connectUdp(${this.address(h.target, false)}, label${block.udp.broadcast ? ', true' : ''});`);
        break;
    }
    if (h.keep && h.name) this.emit(`connections[${quoted(h.name)}] = conn; // keep: later blocks use it`);
  }

  protected listener(block: Block, h: Header, session: string): void {
    // The policy lines (§7.6) as serve()'s policy: maxConns, allow, deny, idle (ms).
    const { maxConns, allow, deny, idleMs } = policyOf(block);
    const policy: string[] = [];
    if (maxConns !== undefined) policy.push(`maxConns: ${maxConns}`);
    if (allow) policy.push(`allow: [${allow.map(quoted).join(', ')}]`);
    if (deny) policy.push(`deny: [${deny.map(quoted).join(', ')}]`);
    if (idleMs !== undefined) policy.push(`idle: ${idleMs}`);
    const policyArg = policy.length ? `{ ${policy.join(', ')} }` : undefined;
    const label = quoted(blockLabel(block));
    let server: string;
    switch (h.transport) {
      case 'unix':
        this.used.add('listener');
        this.used.add('unixPath');
        server = `await serve(${label}, freeUnixPath(${this.path(h.target)}), ${session}${policyArg ? `, undefined, ${policyArg}` : ''})`;
        break;
      case 'udp':
        this.used.add('serveUdp');
        server = `await serveUdp(${label}, ${this.address(h.target, true)}, ${session}${policyArg ? `, ${policyArg}` : ''})`;
        break;
      case 'tls':
        this.used.add('listener');
        this.imports.add('tls');
        if (block.tls.selfSigned) this.untranslated(h, 'Node cannot make a certificate without a library: make one with `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -keyout key.pem -out cert.pem` and give it with cert and key');
        this.tlsOptions(block, 'server');
        server = `await serve(${label}, ${this.address(h.target, true)}, ${session}, tlsOptions${policyArg ? `, ${policyArg}` : ''})`;
        break;
      default:
        this.used.add('listener');
        server = `await serve(${label}, ${this.address(h.target, true)}, ${session}${policyArg ? `, undefined, ${policyArg}` : ''})`;
    }
    const named = h.name !== undefined || block.udp.broadcast || block.udp.groups.length > 0;
    this.emit(named ? `const listener = ${server};` : `${server};`);
    if (h.name) this.emit(`nameListener(${quoted(h.name)}, listener);`);
    if (block.udp.broadcast) this.emit('listener.setBroadcast(true);');
    for (const g of block.udp.groups) this.emit(`listener.addMembership(${quoted(g.group)}${g.iface ? `, ${quoted(g.iface)}` : ''}); // join: IP_ADD_MEMBERSHIP`);
  }

  build(): ExportResult {
    const blocks = programBlocks(this.file, this.options.blocks);
    const body: string[] = [];
    const calls: string[] = [];
    for (const block of blocks) {
      const fn = this.block(block);
      body.push(...this.lines.splice(0));
      calls.push(`await runBlock(${quoted(blockLabel(block))}, ${fn});`);
    }
    const vars: string[] = [];
    for (const v of variablesInOrder(this.file)) vars.push(`vars[${quoted(v.name)}] ??= ${this.bytes(v.value, false)};`);
    const blockNote = this.options.blocks?.length ? `, blocks ${blocks.map((b) => b.index).join(', ')}` : '';
    const helpers = prelude(NODE_SNIPPETS, this.used);
    const modules = [...new Set([...helpers.imports, ...this.imports])].sort();
    const out = [
      '#!/usr/bin/env node',
      `// ${this.options.fileName}${blockNote}, exported by Socket Lab as a Node program (ES module; no dependencies).`,
      '//',
      '// Run it with: node PROGRAM.mjs [NAME=VALUE …]   (NAME=VALUE sets a variable, as --var does)',
      '// Each step prints what it sent and received; each expect is an assert, and a failed one ends its block.',
      ...modules.map((m) => (m === 'assert' ? "import assert from 'node:assert/strict';" : `import ${m} from 'node:${m}';`)),
      '',
      ...(this.needsHere ? [`const HERE = ${quoted(this.options.baseDir)}; // the .sock file's folder: file, cert and Unix paths are relative to it`] : []),
      NODE_STATE,
      '',
      "// The file's variables (a NAME=VALUE argument wins).",
      ...vars,
      '',
      ...body,
      '// ---- Helpers: what each step stands for, in net, dgram and tls terms ----------------------',
      '',
      helpers.code,
      '',
      ...calls,
      'await finish();',
      '',
    ];
    return { code: out.join('\n'), untranslated: this.notes };
  }
}


/** The file's blocks as a Node program (an ES module), and what has no translation. */
export function exportNode(file: SockFile, options: ExportOptions): ExportResult {
  return new NodeProgram(file, options).build();
}
