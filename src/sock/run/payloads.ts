/**
 * The bytes a payload stands for when its step runs: `"text"` with escapes, `hex`, `base64`,
 * `file PATH`, heredocs and field payloads, with `{{…}}` expanded through the run's {@link Scope}.
 */
import { decodeBase64, decodeEscapes, decodeHex } from '../../net/payload';
import { decodeHexPattern, type BytePatternBytes } from '../../net/bytePattern';
import { checksumBytes } from '../../net/checksums';
import { encodeInt, type IntType } from '../../net/fields';
import type { Block, FieldPart, Payload } from '../ast';
import { coveredGroup } from '../fieldRules';
import { printTemplate } from '../printer';
import { MAX_FILE_PAYLOAD, readRegularFile } from '../files';
import { ExpansionBudget, type Scope } from '../scope';

/** The line ending a heredoc's lines get: the block's `eol crlf` (default) or `eol lf`. */
export type LineEnding = Block['eol'];

/** True when `parts` hold no `{{…}}` and no file at any depth: their bytes never change. */
function isConstant(parts: readonly FieldPart[]): boolean {
  return parts.every((p) => {
    if (p.kind === 'group') return isConstant(p.parts);
    if (p.kind === 'int') return typeof p.value === 'string';
    if (p.kind !== 'payload') return true;
    const q = p.payload;
    return q.kind !== 'file' && q.kind !== 'heredoc' && q.kind !== 'fields' && q.template.parts.every((t) => 'text' in t);
  });
}

/** True when a hex part of `parts`, at any depth, holds a `??`. */
function hasWildcard(parts: readonly FieldPart[]): boolean {
  return parts.some((p) => (p.kind === 'group' ? hasWildcard(p.parts) : p.kind === 'payload' && p.payload.kind === 'hex' && p.payload.template.parts.some((t) => 'text' in t && t.text.includes('?'))));
}

/** Builds the bytes of payloads for one run. */
export class PayloadBuilder {
  /** The bytes of field payloads that hold no variable and no file, by payload: the same every time; `null` for the others. */
  private readonly literalFields = new WeakMap<Payload, Buffer | null>();
  /** The bytes of text, hex and base64 payloads without a variable, by payload; `null` for the others. */
  private readonly literals = new WeakMap<Payload, Buffer | null>();
  /** The bytes of literal integer fields, by part. */
  private readonly literalInts = new WeakMap<FieldPart, Buffer>();

  constructor(
    private readonly scope: Scope,
    /** The folder of the `.sock` file: `file PATH` resolves against it. */
    private readonly baseDir: string,
  ) {}

  /**
   * The bytes of `payload`, with variables expanded: the bytes themselves, or a promise of them
   * for a payload that reads a file (a field payload with a `file` part too), so that a payload
   * built every round of a repeat costs no promise. A heredoc's lines each end with `eol`
   * (`\r\n` or `\n`), the last one too. The parts of one text payload or the lines of one heredoc
   * share one {@link ExpansionBudget}, so the bound applies to the whole payload, not to each piece.
   * @throws SocketLabError `EVARIABLE` for a missing, self-referring or oversized variable;
   *   `EBADPAYLOAD` for a bad escape, hex or base64, or a file that is not a regular file; `ETOOBIG` for a file
   *   over {@link MAX_FILE_PAYLOAD} (64 MiB); the system's code (`ENOENT` …) for a file not read.
   */
  bytes(payload: Payload, eol: LineEnding): Buffer | Promise<Buffer> {
    if (payload.kind === 'file') return readRegularFile(this.baseDir, this.scope.expand(payload.template), 'file', MAX_FILE_PAYLOAD);
    if (payload.kind === 'heredoc') {
      const ending = eol === 'crlf' ? '\r\n' : '\n';
      const budget = new ExpansionBudget();
      return Buffer.from(payload.lines.map((l) => this.scope.expand(l, budget) + ending).join(''), 'utf8');
    }
    if (payload.kind === 'fields') {
      // A field payload without variables or files is the same bytes every time: built once.
      const known = this.literalFields.get(payload);
      if (known) return known;
      const built = this.fieldBytes(payload.parts, eol);
      if (known === undefined) this.literalFields.set(payload, isConstant(payload.parts) && !(built instanceof Promise) ? built : null);
      return built;
    }
    return this.inlineBytes(payload);
  }

  /** The bytes of a text, hex or base64 payload: its literal bytes, kept, or its template expanded. */
  private inlineBytes(payload: Extract<Payload, { kind: 'text' | 'hex' | 'base64' }>): Buffer {
    const literal = this.literal(payload);
    if (literal) return literal;
    if (payload.kind === 'hex') return decodeHex(this.scope.expand(payload.template));
    if (payload.kind === 'base64') return decodeBase64(this.scope.expand(payload.template));
    const budget = new ExpansionBudget();
    return Buffer.concat(payload.template.parts.map((p) => ('text' in p ? decodeEscapes(p.text) : this.scope.partBytes(p, budget))));
  }

  /**
   * The bytes of a text, hex or base64 payload that holds no variable, made once and kept (a
   * `send` in a long `repeat` then costs no decoding and no allocation); `undefined` for any
   * other payload, whose bytes {@link bytes} makes each time.
   * @throws what {@link bytes} throws, the first time
   */
  literal(payload: Payload): Buffer | undefined {
    const known = this.literals.get(payload);
    if (known !== undefined) return known ?? undefined;
    let bytes: Buffer | null = null;
    if ((payload.kind === 'text' || payload.kind === 'hex' || payload.kind === 'base64') && payload.template.parts.every((p) => 'text' in p)) {
      const text = payload.template.parts.map((p) => ('text' in p ? p.text : '')).join('');
      bytes = payload.kind === 'hex' ? decodeHex(text) : payload.kind === 'base64' ? decodeBase64(text) : decodeEscapes(text);
    }
    this.literals.set(payload, bytes);
    return bytes ?? undefined;
  }

  /**
   * The bytes an expectation looks for: {@link bytes}, where `??` in hex (in a field payload's hex
   * parts too) matches any byte (`mask` 0 there).
   * @throws what {@link bytes} throws
   */
  async pattern(payload: Payload, eol: LineEnding): Promise<BytePatternBytes> {
    if (payload.kind === 'hex') return decodeHexPattern(this.scope.expand(payload.template));
    if (payload.kind !== 'fields' || !hasWildcard(payload.parts)) return { bytes: await this.bytes(payload, eol) };
    return this.fieldPattern(payload.parts, eol);
  }

  /** An integer field's bytes; a literal's are made once and kept (the bounds checked then). */
  private intBytes(part: Extract<FieldPart, { kind: 'int' }>): Buffer {
    const known = this.literalInts.get(part);
    if (known) return known;
    const bytes = encodeInt(part.type, this.scope.integer(part.value, part.type), () => `${part.type} ${typeof part.value === 'string' ? part.value : printTemplate(part.value)}`);
    if (typeof part.value === 'string') this.literalInts.set(part, bytes);
    return bytes;
  }

  /** {@link fieldBytes} with `??` wildcards in hex parts. */
  private async fieldPattern(parts: readonly FieldPart[], eol: LineEnding): Promise<BytePatternBytes> {
    const chunks: BytePatternBytes[] = new Array<BytePatternBytes>(parts.length);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part.kind === 'group') chunks[i] = await this.fieldPattern(part.parts, eol);
    }
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part.kind === 'payload') chunks[i] = await this.pattern(part.payload, eol);
      else if (part.kind === 'int') chunks[i] = { bytes: this.intBytes(part) };
      else if (part.kind === 'checksum') chunks[i] = { bytes: checksumBytes(part.type, chunks[coveredGroup(parts, i)].bytes) };
      else if (part.kind === 'length') {
        const group = chunks[coveredGroup(parts, i)];
        chunks[i] = { bytes: lengthBytes(part.type, group.bytes.length) };
      }
    }
    return {
      bytes: Buffer.concat(chunks.map((c) => c.bytes)),
      mask: Buffer.concat(chunks.map((c) => c.mask ?? Buffer.alloc(c.bytes.length, 0xff))),
    };
  }

  /**
   * The bytes of one level of a field payload (§4.6): each part's bytes in order, a length field's
   * value being the byte count of the next group at its level. The bytes themselves unless a part
   * reads a file: then a promise of them.
   * @throws SocketLabError `EBADPAYLOAD` for a value or a length that does not fit its type;
   *   `EVARIABLE` for a variable that is not an integer; and whatever {@link bytes} throws for a part
   */
  private fieldBytes(parts: readonly FieldPart[], eol: LineEnding): Buffer | Promise<Buffer> {
    const chunks = new Array<Buffer | Promise<Buffer>>(parts.length);
    let pending = false;
    try {
      // Groups first: a length field before a group needs the group's size.
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        if (part.kind !== 'group') continue;
        const chunk = (chunks[i] = this.fieldBytes(part.parts, eol));
        if (chunk instanceof Promise) pending = true;
      }
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        if (part.kind === 'int') chunks[i] = this.intBytes(part);
        else if (part.kind === 'payload') {
          const chunk = (chunks[i] = this.bytes(part.payload, eol));
          if (chunk instanceof Promise) pending = true;
        }
      }
    } catch (err) {
      // The payload fails: a file still being read must not reject unheard.
      if (pending) for (const chunk of chunks) if (chunk instanceof Promise) chunk.catch(() => undefined);
      throw err;
    }
    return pending ? Promise.all(chunks).then((done) => fieldEnds(parts, done)) : fieldEnds(parts, chunks as Buffer[]);
  }
}

/** A length field's bytes: `length` (bytes) as a field of `type`. */
function lengthBytes(type: IntType, length: number): Buffer {
  return encodeInt(type, BigInt(length), () => `${type} len (a group of ${length} bytes)`);
}

/** The checksums and lengths of one level, which read its groups' bytes in `chunks`; then the level's bytes. */
function fieldEnds(parts: readonly FieldPart[], chunks: Buffer[]): Buffer {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.kind === 'checksum') chunks[i] = checksumBytes(part.type, chunks[coveredGroup(parts, i)]);
    else if (part.kind === 'length') chunks[i] = lengthBytes(part.type, chunks[coveredGroup(parts, i)].length);
  }
  return Buffer.concat(chunks);
}
