/**
 * A `.sock` file as a Python 3 program (spec §16): `socket`, `ssl` and `struct` from the standard
 * library, written as the classic tutorials write it, a comment per step naming the line it came
 * from. Each block is a function; a listener's sessions run in threads; an `expect` is an
 * `assert`. Pure: a syntax tree in, text out.
 */
import { parseIntLiteral, type IntType } from '../../net/fields';
import type { Amount, Block, FieldPart, Header, LoadPlan, Matcher, Payload, SockFile, Step, Template } from '../ast';
import { blockLabel, hexWildcards, lineOf, literalBytes, pythonBytes, pythonRegex, regexCaveat, programBlocks, variablesInOrder, type ExportOptions, type ExportResult } from './common';
import { PYTHON_SNIPPETS, PYTHON_STATE } from './pythonRuntime';
import { prelude } from './snippets';
import { fillEmptyBodies, pyString, seconds, STRUCT } from './pythonSyntax';
import { isArithmetic, literalText, namedGroups, policyOf, ProgramWriter, splitTarget } from './writer';
import { decodeEscapes } from '../../net/payload';

class PythonProgram extends ProgramWriter {
  protected readonly commentMark = '#';
  protected readonly indentUnit = '    ';
  private temp = 0;
  private needsHere = false;

  protected lastStepTime(): void {
    this.emit('elapsed_ms = conn.elapsed_ms  # the last step inside, for the expect time below');
  }

  protected timed(body: () => void): void {
    this.imports.add('time');
    this.emit('step_started = time.monotonic()  # for the expect time below');
    body();
    this.emit('elapsed_ms = (time.monotonic() - step_started) * 1000');
  }

  protected runLoad(session: string, plan: LoadPlan): void {
    this.used.add('load');
    const args = [`clients=${plan.clients}`, ...(plan.rampMs ? [`ramp=${seconds(plan.rampMs)}`] : []), ...(plan.rate !== undefined ? [`rate=${plan.rate}`] : []), ...(plan.forMs !== undefined ? [`duration=${seconds(plan.forMs)}`] : [])];
    this.emit(`stats = load(label, ${session}, ${args.join(', ')})`);
  }

  protected loadCheck(step: Step, m: Extract<Matcher, { kind: 'latency' | 'errors' }>): void {
    const op = m.op === '=' ? '==' : m.op;
    if (m.kind === 'errors') {
      this.emit(`verdict(label, ${lineOf(step)}, stats.failed + stats.errors ${op} ${m.count}, f'{stats.failed} sessions failed, {stats.errors} erred')`);
    } else {
      const ms = typeof m.ms === 'number' ? `${m.ms}` : `${this.duration(m.ms)} * 1000`;
      this.emit(`verdict(label, ${lineOf(step)}, stats.stat('${m.metric}', '${m.stat}') ${op} ${ms}, f'the ${m.metric} ${m.stat} is {stats.stat("${m.metric}", "${m.stat}"):.2f} ms')`);
    }
  }

  protected loadOutcome(): void {
    this.emit("assert stats.failed == 0 and stats.errors == 0, f'{stats.failed} sessions failed, {stats.errors} erred'");
    this.uncheckedPass();
  }

  protected functionName(block: Block): string {
    return `block_${block.index}`;
  }

  protected sessionName(block: Block): string {
    return `${blockLabel(block).replace(/[^A-Za-z0-9_]/g, '_')}_session`;
  }

  protected openFunction(name: string, params: readonly string[], doc: string, steps: readonly Step[]): void {
    this.emit(`def ${name}(${params.join(', ')}):`);
    this.depth++;
    this.emit(`"""${doc.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}"""`);
    if (steps.length > 0) this.emit('data = None');
  }

  protected closeFunction(): void {
    this.depth--;
    this.emit('');
    this.emit('');
  }

  protected closeConnection(): void {
    this.emit('conn.close()');
  }

  protected uncheckedPass(): void {
    this.emit("results['passed'] += 1  # a block without an expect passes by running without an error (§10.1)");
  }

  protected readChunk(): void {
    this.emit('data = conn.recv()  # messages chunk: each chunk as it arrives');
  }

  protected messageLoop(bound: Amount | undefined, body: () => void): void {
    this.emit(`while conn.next_message(${bound === undefined ? '' : this.duration(bound)}):`);
    this.depth++;
    body();
    this.emit('if conn.closed:  # a rule closed or reset the connection');
    this.emit('    break');
    this.depth--;
  }

  protected branches(tests: readonly { readonly test: string; readonly body: () => void }[], otherwise: () => void): void {
    tests.forEach((b, i) => {
      this.emit(`${i === 0 ? 'if' : 'elif'} ${b.test}:`);
      this.depth++;
      b.body();
      this.depth--;
    });
    this.emit('else:');
    this.depth++;
    otherwise();
    this.depth--;
  }

  protected keepMatch(test: string): string {
    return `(m := ${test})`;
  }

  protected namedGroupsToVariables(flags: string): void {
    this.emit(`var.update(groups_of(m, data${flags.includes('b') ? ', as_bytes=True' : ''}))`);
  }

  protected logLine(text: string): void {
    this.emit(`log(label, ${pyString(text)})`);
  }

  // ---- expressions ---------------------------------------------------------------------------

  /** A template as a Python `str` expression: a literal, `s('name')`, or an f-string. */
  str(t: Template): string {
    if (t.parts.every((p) => 'text' in p)) return pyString(t.parts.map((p) => ('text' in p ? p.text : '')).join(''));
    if (t.parts.length === 1 && 'variable' in t.parts[0]) return `s(${pyString(t.parts[0].variable)})`;
    let out = '';
    for (const p of t.parts) {
      if ('text' in p) out += p.text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\{/g, '{{').replace(/\}/g, '}}').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
      else if ('variable' in p) out += `{s('${p.variable}')}`;
      else out += `{${this.builtin(p.builtin)}}`;
    }
    return `f"${out}"`;
  }

  private builtin(b: Extract<Template['parts'][number], { builtin: unknown }>['builtin']): string {
    if (b.name === 'timestamp') {
      this.imports.add('time');
      return 'int(time.time())';
    }
    if (b.name === 'randomInt') {
      this.imports.add('random');
      return `random.randint(${b.min}, ${b.max})`;
    }
    this.imports.add('os');
    return `os.environ[${pyString(b.variable)}]`;
  }

  /** A template as a Python `bytes` expression; `escapes`: its literal runs hold `\r\n` escapes (a quoted payload). */
  bytes(t: Template, escapes: boolean): string {
    const pieces = t.parts.map((p) => {
      if ('text' in p) return pythonBytes(escapes ? decodeEscapes(p.text) : Buffer.from(p.text, 'utf8'));
      if ('variable' in p) return `var[${pyString(p.variable)}]`;
      return `str(${this.builtin(p.builtin)}).encode()`;
    });
    return pieces.length === 0 ? "b''" : pieces.join(' + ');
  }

  /** A count: a number, or `int(…)` of a template. */
  count(a: Amount): string {
    return typeof a === 'number' ? `${a}` : `int(${this.str(a)})`;
  }

  /** A duration in seconds: a number, or `duration(…)` of a template such as `{{t}}ms`. */
  duration(a: Amount): string {
    if (typeof a === 'number') return seconds(a);
    this.used.add('duration');
    return `duration(${this.str(a)})`;
  }

  /** The bytes of a payload; statements it needs first (a field payload's groups) go to the program. */
  payload(p: Payload, eol: Block['eol']): string {
    const literal = literalBytes(p, eol);
    if (literal) return pythonBytes(literal);
    switch (p.kind) {
      case 'text':
        return this.bytes(p.template, true);
      case 'hex':
        return `bytes.fromhex(${this.str(p.template)})`;
      case 'base64':
        this.imports.add('base64');
        return `base64.b64decode(${this.str(p.template)})`;
      case 'file':
        this.needsHere = true;
        return `open(os.path.join(HERE, ${this.str(p.template)}), 'rb').read()`;
      case 'heredoc': {
        const ending = pythonBytes(Buffer.from(eol === 'crlf' ? '\r\n' : '\n'));
        return p.lines.map((l) => `${this.bytes(l, false)} + ${ending}`).join(' + ');
      }
      case 'fields':
        return this.fields(p.parts, eol);
    }
  }

  /** A field payload (§4.6): struct.pack for integers; a group that a length or checksum needs goes to a variable first. */
  private fields(parts: readonly FieldPart[], eol: Block['eol']): string {
    const named = new Map<number, string>();
    for (const i of namedGroups(parts)) {
      const name = `group${++this.temp}`;
      this.emit(`${name} = ${this.fields((parts[i] as Extract<FieldPart, { kind: 'group' }>).parts, eol)}`);
      named.set(i, name);
    }
    const pieces: string[] = [];
    parts.forEach((part, i) => {
      switch (part.kind) {
        case 'payload':
          pieces.push(this.payload(part.payload, eol));
          return;
        case 'int': {
          const value = typeof part.value === 'string' ? String(parseIntLiteral(part.value) ?? part.value) : `int(${this.str(part.value)})`;
          pieces.push(this.intBytes(part.type, value));
          return;
        }
        case 'length': {
          const next = parts.findIndex((q, k) => k > i && q.kind === 'group');
          pieces.push(this.intBytes(part.type, `len(${named.get(next) ?? "b''"})`));
          return;
        }
        case 'checksum': {
          const group = named.get(i - 1) ?? "b''";
          if (part.type === 'crc16-modbus' || part.type === 'inet16') {
            this.used.add('checksums');
            pieces.push(`${part.type === 'inet16' ? 'inet16' : 'crc16_modbus'}(${group})`);
          } else {
            this.imports.add('zlib');
            this.imports.add('struct');
            pieces.push(`struct.pack('${part.type === 'crc32' ? '>I' : '<I'}', zlib.crc32(${group}))`);
          }
          return;
        }
        case 'group':
          pieces.push(named.get(i) ?? `(${this.fields(part.parts, eol)})`);
          return;
      }
    });
    return pieces.length === 0 ? "b''" : pieces.join(' + ');
  }

  private intBytes(type: IntType, value: string): string {
    if (type === 'varint') {
      this.used.add('varint');
      return `varint(${value})`;
    }
    if (type === 'dec') return `str(${value}).encode()`;
    this.imports.add('struct');
    return `struct.pack('${STRUCT[type]}', ${value})`;
  }

  /** The flags argument of a regex: `re.I | re.M`, and `as_bytes=True` for `b`. */
  private regexArgs(flags: string): string {
    const f = this.reFlags(flags);
    const out = f === '0' ? '' : `, ${f}`;
    return flags.includes('b') ? `${out || ', 0'}, as_bytes=True` : out;
  }

  /** The `re` flags of a regex's FLAGS: `re.I | re.M`, or `0`. */
  private reFlags(flags: string): string {
    const f = [...flags].filter((c) => 'ims'.includes(c)).map((c) => `re.${c.toUpperCase()}`);
    return f.length ? f.join(' | ') : '0';
  }

  /** A test of the last value (contains, at, exactly, regex) as a Python condition; `undefined` for the others. */
  protected test(m: Matcher, eol: Block['eol'], node: Step, name = 'expected'): string | undefined {
    switch (m.kind) {
      case 'contains':
      case 'exactly': {
        const wild = hexWildcards(m.payload);
        if (wild) {
          this.used.add('matchAt');
          const pattern = `[${wild.map((b) => (b === null ? 'None' : `0x${b.toString(16).padStart(2, '0')}`)).join(', ')}]`;
          if (m.kind === 'exactly') return `len(data) == ${wild.length} and match_at(data, 0, ${pattern})`;
          if (m.at !== undefined) return `match_at(data, ${m.at}, ${pattern})`;
          this.used.add('contains');
          return `contains(data, ${pattern})`;
        }
        this.emit(`${name} = ${this.payload(m.payload, eol)}`);
        if (m.kind === 'exactly') return `data == ${name}`;
        if (m.at === undefined) return `${name} in data`;
        this.used.add('matchAt');
        return `match_at(data, ${m.at}, ${name})`;
      }
      case 'regex': {
        this.used.add('search');
        const caveat = regexCaveat(m.source, 'python');
        if (caveat) this.untranslated(node, caveat);
        const pattern = name.replace('expected', 'pattern');
        this.emit(`${pattern} = ${pyString(pythonRegex(m.source), true)}`);
        return `search(${pattern}, data${this.regexArgs(m.flags)})`;
      }
      default:
        return undefined;
    }
  }

  // ---- steps ---------------------------------------------------------------------------------

  /** `body`, then `expect error`: the body must fail, with the code if one is given (§10.2). */
  protected guarded(body: () => void, expect: Step, m: Extract<Matcher, { kind: 'error' }>): void {
    this.emit('try:');
    this.depth++;
    body();
    this.depth--;
    this.emit('except Exception as error:');
    this.depth++;
    this.comment(expect);
    if (m.pattern) this.untranslated(expect, "the pattern checks Socket Lab's own message; Python's message differs, so only the code is checked");
    this.emit(`expect_error(label, ${lineOf(expect)}, error${m.code ? `, ${pyString(m.code)}` : ''})`);
    this.depth--;
    this.emit('else:');
    this.depth++;
    this.emit(`raise AssertionError('line ${lineOf(expect)}: expected an error, but the step before succeeded')`);
    this.depth--;
  }

  private timeoutArg(t: Amount | undefined, first = false): string {
    if (t === undefined) return '';
    return `${first ? '' : ', '}timeout=${this.duration(t)}`;
  }

  protected step(step: Step, block: Block): void {
    this.comment(step);
    const eol = block.eol;
    switch (step.kind) {
      case 'send':
        this.emit(`conn.sendall(${this.payload(step.payload, eol)})`);
        return;
      case 'recv':
        return this.recv(step, eol);
      case 'expect':
        return this.expect(step, step.matcher, block);
      case 'close':
        this.emit('conn.close()');
        return;
      case 'shutdown':
        this.emit('conn.shutdown()');
        return;
      case 'reset':
        this.used.add('reset');
        this.emit('reset(conn)');
        return;
      case 'echo':
        this.used.add('echo');
        this.emit(`echo(conn${step.timeoutMs !== undefined ? `, ${this.duration(step.timeoutMs)}` : ''})`);
        return;
      case 'wait':
        this.emit(`time.sleep(${this.duration(step.ms)})`);
        return;
      case 'await':
        this.used.add('awaits');
        this.emit(`await_event(label, ${pyString(step.name)}, '${step.event === 'accepted' ? 'accepted' : step.event}', ${step.count === undefined ? 1 : this.count(step.count)}${this.timeoutArg(step.timeoutMs)})`);
        return;
      case 'set': {
        const value = this.bytes(step.value, false);
        if (isArithmetic(step.value)) {
          this.used.add('arithmetic');
          this.emit(`var[${pyString(step.name)}] = arithmetic(${value})`);
        } else {
          this.emit(`var[${pyString(step.name)}] = ${value}`);
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
        this.emit(`if ${test}:`);
        this.depth++;
        this.steps(step.steps, block);
        this.depth--;
        if (step.otherwise.length > 0) {
          this.emit('else:');
          this.depth++;
          this.steps(step.otherwise, block);
          this.depth--;
        }
        return;
      }
      case 'hostname':
        this.used.add('lookups');
        this.emit('data = looked_up(label, socket.gethostname())');
        return;
      case 'lookup':
        this.used.add('lookups');
        this.emit(`data = looked_up(label, lookup(${this.str(step.target)}))`);
        return;
      case 'service':
        this.used.add('lookups');
        this.emit(`data = looked_up(label, service(${this.str(step.target)}, '${step.proto}'))`);
        return;
      case 'aton':
        this.used.add('lookups');
        this.emit(`data = looked_up(label, aton(${this.str(step.target)}))`);
        return;
      case 'pton':
        this.used.add('lookups');
        this.emit(`data = looked_up(label, pton(${this.str(step.target)}))`);
        return;
      case 'ntoa':
        this.used.add('lookups');
        this.emit(`data = looked_up(label, socket.inet_ntoa(bytes.fromhex(${this.str(step.target)})))`);
        return;
      case 'ntop':
        this.used.add('lookups');
        this.emit(`packed = bytes.fromhex(${this.str(step.target)})`);
        this.emit('data = looked_up(label, socket.inet_ntop(socket.AF_INET6 if len(packed) == 16 else socket.AF_INET, packed))');
        return;
      case 'starttls':
        this.tlsContext(block, 'client');
        this.emit(`conn.sock = context.wrap_socket(conn.sock, server_hostname=${this.serverName(block)})`);
        this.emit("log(label, f'TLS {conn.sock.version()}')");
        return;
      case 'resolve':
        this.used.add('resolve');
        this.used.add('lookups');
        this.emit(`data = looked_up(label, resolve(${this.str(step.target)}, '${step.recordType}'${step.server ? `, ${this.str(step.server)}` : ''}))`);
        return;
      case 'fault': {
        const f = step.fault;
        if (f.kind === 'none') this.emit('conn.faults.clear()');
        else if (f.kind === 'drop') this.emit("conn.faults['drop'] = True");
        else if (f.kind === 'delay') this.emit(`conn.faults['delay'] = ${this.duration(f.ms)}`);
        else if (f.kind === 'drip') this.emit(`conn.faults['drip'] = (${this.count(f.bytes)}, ${this.duration(f.everyMs)})`);
        else if (f.kind === 'partial') this.emit(`conn.faults['partial'] = ${this.count(f.bytes)}`);
        else if ('bytes' in f) this.emit(`conn.faults['cut'] = (${this.count(f.bytes)}, '${f.kind === 'reset-after' ? 'reset' : 'close'}')`);
        return;
      }
      case 'forward': {
        if (step.transport === 'udp') return this.untranslated(step, 'a UDP relay has no translation');
        this.used.add('forward');
        const timeout = step.timeoutMs === undefined ? '' : `, timeout=${this.duration(step.timeoutMs)}`;
        let context = '';
        if (step.transport === 'tls') {
          this.imports.add('ssl');
          this.emit('upstream_context = ssl.create_default_context()');
          if (step.insecure) {
            this.emit('upstream_context.check_hostname = False  # insecure: the upstream is not verified');
            this.emit('upstream_context.verify_mode = ssl.CERT_NONE');
          }
          context = ', context=upstream_context';
        }
        const where = step.transport === 'unix' ? this.path(step.target) : this.address(step.target, false);
        const rules = (direction: 'up' | 'down'): string =>
          (block.policy.rewrites ?? [])
            .filter((r) => r.direction === direction)
            .map((r) => `(${r.match.kind === 'regex' ? `(${pyString(pythonRegex(r.match.source), true)}, ${this.reFlags(r.match.flags)}, ${r.match.flags.includes('b') ? 'True' : 'False'})` : this.payload(r.match.payload, block.eol)}, ${this.payload(r.replacement, block.eol)})`)
            .join(', ');
        const up = rules('up');
        const down = rules('down');
        this.emit(`forward(conn, ${where}, label${timeout}${context}${up ? `, up=[${up}]` : ''}${down ? `, down=[${down}]` : ''})`);
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
        this.emit(`data = conn.recv(65536${t})`);
        return;
      case 'bytes':
        this.emit(`data = conn.recv(${this.count(step.max as Amount)}${t})`);
        return;
      case 'exactly':
        this.emit(`data = conn.recv_exactly(${this.count(step.max as Amount)}${t})`);
        return;
      case 'line':
        this.emit(`data = conn.recv_line(${this.timeoutArg(step.timeoutMs, true)})`);
        return;
      case 'until':
        this.emit(`data = conn.recv_until(${this.payload(step.until as Payload, eol)}${t})`);
        return;
      case 'all':
        this.emit(`data = conn.recv_all(${this.timeoutArg(step.timeoutMs, true)})`);
        return;
      case 'frame': {
        this.used.add('frames');
        if (step.delimited) {
          this.emit(`data = recv_between(conn, ${this.payload(step.delimited.start, eol)}, ${this.payload(step.delimited.end, eol)}${t})`);
          return;
        }
        const f = step.frame as NonNullable<typeof step.frame>;
        if (f.type === 'dec') return this.untranslated(step, 'a decimal length has no frame translation');
        const fmt = f.type === 'varint' ? 'varint' : (STRUCT[f.type] as string);
        this.emit(`data = recv_frame(conn, '${fmt}'${f.after ? `, after=${f.after}` : ''}${f.inclusive ? ', inclusive=True' : ''}${t})`);
        return;
      }
    }
  }

  private expect(step: Step, m: Matcher, block: Block): void {
    const line = lineOf(step);
    const pass = (): void => this.emit(`passed(label, ${line})`);
    switch (m.kind) {
      case 'contains':
      case 'exactly':
      case 'regex': {
        const test = this.test(m, block.eol, step) as string;
        const wild = m.kind !== 'regex' && hexWildcards(m.payload);
        let what: string;
        if (m.kind === 'regex') what = '/{pattern}/ does not match {show(data)}';
        else if (wild) what = `the pattern is not ${m.kind === 'exactly' ? 'all of' : 'in'} {show(data)}`;
        else if (m.kind === 'exactly') what = 'expected exactly {show(expected)}, got {show(data)}';
        else what = `expected {show(expected)}${m.at !== undefined ? ` at ${m.at}` : ''} in {show(data)}`;
        this.emit(`assert ${test}, f'line ${line}: ${what}'`);
        return pass();
      }
      case 'error':
        // An `expect error` whose step before could not fail (another expect, or the block's start).
        this.emit(`raise AssertionError('line ${line}: expected an error, but the step before succeeded')`);
        return;
      case 'bytes': {
        const op = m.op === '=' ? '==' : m.op;
        this.emit(`assert len(data) ${op} ${this.count(m.count)}, f'line ${line}: the value has {len(data)} bytes'`);
        return pass();
      }
      case 'time': {
        const op = m.op === '=' ? '==' : m.op;
        const ms = typeof m.ms === 'number' ? `${m.ms}` : `${this.duration(m.ms)} * 1000`;
        this.emit(`assert elapsed_ms ${op} ${ms}, f'line ${line}: the step took {elapsed_ms:.1f} ms'`);
        return pass();
      }
      case 'closed':
        this.used.add('closed');
        this.emit(`assert peer_closed(conn), 'line ${line}: the peer has not closed its side'`);
        return pass();
      case 'tls':
        return this.tlsFact(step, m.fact, line);
      case 'latency':
      case 'errors':
        return this.untranslated(step, 'a load expectation needs the load, which has no translation');
    }
  }

  private tlsFact(step: Step, fact: Extract<Matcher, { kind: 'tls' }>['fact'], line: number): void {
    this.used.add('tlsFacts');
    if (fact.name === 'verified') {
      this.emit(`assert conn.verified, 'line ${line}: the TLS session was not verified'`);
    } else if (fact.name === 'subject') {
      this.used.add('search');
      this.emit(`pattern = ${pyString(pythonRegex(fact.source), true)}`);
      this.emit(`assert search(pattern, tls_subject(conn).encode()${this.regexArgs(fact.flags)}), f'line ${line}: the subject is {tls_subject(conn)}'`);
    } else {
      const found = {
        protocol: 'conn.sock.version()',
        cipher: 'conn.sock.cipher()[0]',
        alpn: "(conn.sock.selected_alpn_protocol() or 'none')",
        fingerprint: 'tls_fingerprint(conn)',
      }[fact.name];
      if (fact.name === 'cipher') this.untranslated(step, "OpenSSL names TLS 1.2 suites its own way (ECDHE-RSA-AES128-GCM-SHA256), Socket Lab by the standard's names");
      const wanted = fact.name === 'fingerprint' ? `${this.str(fact.value)}.upper()` : this.str(fact.value);
      this.emit(`found = ${found}`);
      this.emit(`assert found == ${wanted}, f'line ${line}: the ${fact.name} is {found}'`);
    }
    this.emit(`passed(label, ${line})`);
  }

  private capture(step: Extract<Step, { kind: 'capture' }>): void {
    this.used.add('capture');
    const target = step.name === undefined ? '' : `var[${pyString(step.name)}] = `;
    if (step.pattern) {
      const pattern = pyString(pythonRegex(step.pattern.source), true);
      const args = this.regexArgs(step.pattern.flags);
      if (step.name === undefined) this.emit(`var.update(capture_named(data, ${pattern}${args}))`);
      else this.emit(`${target}capture_regex(data, ${pattern}${args})`);
    } else if (step.field !== undefined) {
      this.used.add('unpack');
      const fmt = step.field === 'varint' ? 'varint' : STRUCT[step.field];
      if (!fmt) return this.untranslated(step, 'a decimal field has no capture translation');
      this.emit(`${target}unpack_at(data, '${fmt}', ${step.at ?? 0})`);
    } else if (step.count !== undefined) {
      this.emit(`${target}take(data, ${step.at ?? 0}, ${step.count})${step.hex ? '.hex().encode()' : ''}`);
    } else if (step.line !== undefined) {
      this.emit(`${target}capture_line(data, ${step.line})`);
    } else {
      this.emit(`${target}data`);
    }
  }

  private repeat(step: Extract<Step, { kind: 'repeat' }>, block: Block): void {
    let every: string | undefined;
    if (step.everyMs !== undefined) every = this.duration(step.everyMs);
    else if (step.rate?.per === 'round') every = `${1 / step.rate.perSecond}`;
    const n = ++this.temp;
    const bytesRate = step.rate?.per === 'byte' ? step.rate.perSecond : undefined;
    // rate BYTES/s (§8.10): each round waits until the bytes sent so far are due at that rate.
    if (bytesRate !== undefined) this.emit(`paced${n} = (time.monotonic(), conn.sent_bytes)  # ${step.rate?.text}`);
    this.emit(`for _ in range(${this.count(step.count)}):`);
    this.depth++;
    if (every) this.emit(`round_started${n} = time.monotonic()`);
    this.steps(step.steps, block);
    if (step.until) {
      const test = this.test(step.until, block.eol, step);
      if (test) {
        this.emit(`if ${test}:`);
        this.emit('    break');
      }
    }
    if (every) this.emit(`time.sleep(max(0.0, round_started${n} + ${every} - time.monotonic()))`);
    if (bytesRate !== undefined) this.emit(`time.sleep(max(0.0, paced${n}[0] + (conn.sent_bytes - paced${n}[1]) / ${bytesRate} - time.monotonic()))`);
    this.depth--;
    if (step.until) {
      this.emit('else:');
      this.emit(`    raise AssertionError('line ${lineOf(step)}: no round passed the test')`);
    }
  }

  // ---- blocks --------------------------------------------------------------------------------

  /** `(host, port)` of a target; a port alone (a listener's) binds the default host. */
  private address(t: Template, listener: boolean): string {
    const split = splitTarget(t, listener);
    if (!split) {
      this.used.add('address');
      return `address(${this.str(t)})`;
    }
    const port = literalText(split.port);
    return `(${this.str(split.host)}, ${port !== undefined && /^\d+$/.test(port) ? port : `int(${this.str(split.port)})`})`;
  }

  /** A listener's `HOST, PORT` arguments: the pair's two parts, or `*address(…)`. */
  private listenArgs(t: Template): string {
    const pair = this.address(t, true);
    return pair.startsWith('(') ? pair.slice(1, -1) : `*${pair}`;
  }

  private serverName(block: Block): string {
    const h = block.header as Header;
    if (block.tls.servername) return pyString(block.tls.servername);
    return h.kind === 'connect' ? `${this.address(h.target, false)}[0]` : 'None';
  }

  private path(t: Template): string {
    this.needsHere = true;
    return `os.path.join(HERE, ${this.str(t)})`;
  }

  /** `context = …`: the ssl context of a TLS block's lines (§6.1, §7.7). */
  private tlsContext(block: Block, side: 'client' | 'server'): void {
    this.imports.add('ssl');
    const tls = block.tls;
    if (side === 'client') {
      this.emit(tls.ca ? `context = ssl.create_default_context(cafile=${this.path(tls.ca)})` : 'context = ssl.create_default_context()');
      if (tls.insecure) {
        this.emit('context.check_hostname = False  # insecure: nothing is verified');
        this.emit('context.verify_mode = ssl.CERT_NONE');
      }
    } else {
      this.emit('context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)');
      if (tls.ca) {
        this.emit(`context.load_verify_locations(${this.path(tls.ca)})  # ca: clients must show a certificate it signed`);
        this.emit('context.verify_mode = ssl.CERT_REQUIRED');
      }
    }
    if (tls.cert && tls.key) this.emit(`context.load_cert_chain(${this.path(tls.cert)}, ${this.path(tls.key)})`);
    if (tls.alpn) this.emit(`context.set_alpn_protocols([${tls.alpn.map((a) => pyString(a)).join(', ')}])`);
  }

  protected header(block: Block, h: Header): void {
    this.comment(h);
    const timeout = h.timeoutMs === undefined ? '' : `, timeout=${this.duration(h.timeoutMs)}`;
    if (h.kind === 'use') {
      this.emit(`conn = connections[${pyString(h.target.parts.map((p) => ('text' in p ? p.text : '')).join(''))}]`);
      return;
    }
    switch (h.transport) {
      case 'tcp':
        this.used.add('connect');
        this.emit(`conn = connect(${this.address(h.target, false)}, label${timeout})`);
        break;
      case 'unix':
        this.used.add('connect');
        this.emit(`conn = connect(${this.path(h.target)}, label${timeout})`);
        break;
      case 'tls':
        this.used.add('connect');
        this.tlsContext(block, 'client');
        this.emit(`conn = connect(${this.address(h.target, false)}, label${timeout}, context=context${block.tls.servername ? `, server_hostname=${pyString(block.tls.servername)}` : ''})`);
        this.emit("log(label, f'TLS {conn.sock.version()}')");
        break;
      case 'udp':
        this.used.add('connectUdp');
        this.emit(`conn = connect_udp(${this.address(h.target, false)}, label${block.udp.broadcast ? ', broadcast=True' : ''})`);
        break;
    }
    if (h.keep && h.name) this.emit(`connections[${pyString(h.name)}] = conn  # keep: later blocks use it`);
  }

  protected listener(block: Block, h: Header, session: string): void {
    const name = h.name ? pyString(h.name) : undefined;
    // The policy lines (§7.6) as serve()'s policy: max_conns, allow, deny, idle (seconds).
    const { maxConns, allow, deny, idleMs } = policyOf(block);
    const policy: string[] = [];
    if (maxConns !== undefined) policy.push(`'max_conns': ${maxConns}`);
    if (allow) policy.push(`'allow': [${allow.map((a) => pyString(a)).join(', ')}]`);
    if (deny) policy.push(`'deny': [${deny.map((a) => pyString(a)).join(', ')}]`);
    if (idleMs !== undefined) policy.push(`'idle': ${seconds(idleMs)}`);
    const policyArg = policy.length ? `, policy={${policy.join(', ')}}` : '';
    switch (h.transport) {
      case 'unix':
        this.used.add('listenUnix');
        this.emit(`listener = listen_unix(${this.path(h.target)})`);
        break;
      case 'udp':
        this.used.add('serveUdp');
        this.emit(`listener = listen(${this.listenArgs(h.target)}, socket.SOCK_DGRAM)`);
        if (block.udp.broadcast) this.emit('listener.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)');
        for (const g of block.udp.groups) {
          if (g.group.includes(':')) {
            if (g.iface) {
              this.untranslated(h, `joining ${g.group} on the interface of ${g.iface} has no translation: IPV6_JOIN_GROUP takes an interface index`);
              continue;
            }
            this.imports.add('struct');
            this.emit(`# join ${g.group}: IPV6_JOIN_GROUP, the group and the default interface (index 0)`);
            this.emit(`listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, struct.pack('16sI', socket.inet_pton(socket.AF_INET6, ${pyString(g.group)}), 0))`);
            continue;
          }
          this.imports.add('struct');
          this.emit(`# join ${g.group}${g.iface ? ` ${g.iface}` : ''}: IP_ADD_MEMBERSHIP, the group and the interface's address`);
          this.emit(`listener.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack('4s4s', socket.inet_aton(${pyString(g.group)}), socket.inet_aton(${pyString(g.iface ?? '0.0.0.0')})))`);
        }
        break;
      default:
        this.used.add('listener');
        this.emit(`listener = listen(${this.listenArgs(h.target)})`);
    }
    if (name) this.emit(`name_listener(${name}, listener)`);
    if (h.transport === 'udp') {
      this.emit(`serve_udp(${pyString(blockLabel(block))}, listener, ${session}${policyArg})`);
    } else if (h.transport === 'tls') {
      if (block.tls.selfSigned) this.untranslated(h, 'the standard library cannot make a certificate: make one with `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -keyout key.pem -out cert.pem` and give it with cert and key');
      this.tlsContext(block, 'server');
      this.emit(`serve(${pyString(blockLabel(block))}, listener, ${session}, context${policyArg})`);
    } else {
      this.emit(`serve(${pyString(blockLabel(block))}, listener, ${session}${policyArg})`);
    }
  }

  // ---- the program ---------------------------------------------------------------------------

  build(): ExportResult {
    const blocks = programBlocks(this.file, this.options.blocks);
    const body: string[] = [];
    const calls: string[] = [];
    for (const block of blocks) {
      const fn = this.block(block);
      body.push(...this.lines.splice(0));
      calls.push(`    run_block(${pyString(blockLabel(block))}, ${fn})`);
    }
    const vars: string[] = [];
    for (const v of variablesInOrder(this.file)) vars.push(`var.setdefault(${pyString(v.name)}, ${this.bytes(v.value, false)})`);
    const blockNote = this.options.blocks?.length ? `, blocks ${blocks.map((b) => b.index).join(', ')}` : '';
    const helpers = prelude(PYTHON_SNIPPETS, this.used);
    const imports = [...new Set([...helpers.imports, ...this.imports, ...(this.needsHere ? ['os'] : [])])].sort();
    const out = [
      '#!/usr/bin/env python3',
      `"""${this.options.fileName}${blockNote}, exported by Socket Lab as a Python 3 program (standard library only).`,
      '',
      `Run it with: python3 PROGRAM.py [NAME=VALUE …]   (NAME=VALUE sets a variable, as --var does)`,
      'Each step prints what it sent and received; each expect is an assert, and a failed one ends its block.',
      '"""',
      ...imports.map((m) => `import ${m}`),
      '',
      ...(this.needsHere ? [`HERE = ${pyString(this.options.baseDir)}  # the .sock file's folder: file, cert and Unix paths are relative to it`] : []),
      PYTHON_STATE,
      '',
      "# The file's variables (a NAME=VALUE argument wins).",
      ...vars,
      '',
      '',
      ...body,
      '# ---- Helpers: what each step stands for, in the socket module\'s terms -------------------',
      '',
      '',
      helpers.code,
      '',
      '',
      "if __name__ == '__main__':",
      ...calls,
      '    finish()',
      '',
    ];
    return { code: fillEmptyBodies(out.join('\n').split('\n')).join('\n'), untranslated: this.notes };
  }
}


/** The file's blocks as a Python 3 program, and what has no translation. */
export function exportPython(file: SockFile, options: ExportOptions): ExportResult {
  return new PythonProgram(file, options).build();
}
