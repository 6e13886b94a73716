/**
 * The layout of a field payload (spec §4.6) as far as the text alone tells it: each part's offset
 * and bytes, for hover. Synchronous and local: a `file` part or a `{{variable}}` is not read, so
 * its bytes (and, when its size depends on them, the offsets after it) are left unknown.
 */
import { checksumBytes } from '../net/checksums';
import { encodeInt, intWidth, parseIntLiteral } from '../net/fields';
import { decodeBase64, decodeEscapes, decodeHex } from '../net/payload';
import type { FieldPart, Payload, Range } from './ast';
import { coveredGroup } from './fieldRules';
import { printPayload } from './printer';

/** One row of a {@link fieldLayout}: a part at `depth` (0 outside every group). */
export interface FieldRow {
  /** The part's first byte, from the start of the payload; `undefined` after a part of unknown size. */
  readonly offset?: number;
  /** The part's bytes; `undefined` when they depend on a variable or a file. For a group, none: its parts follow it. */
  readonly bytes?: Buffer;
  /** The part's size in bytes, when known. */
  readonly size?: number;
  /** The part as written (`u16 len`, `"MQTT"`, `( … )`). */
  readonly label: string;
  readonly depth: number;
  /** Where the part is on its line, when the parse kept it. */
  readonly range?: Range;
}

/** The bytes of a payload written out in full, or `undefined` when a variable or a file decides them. */
function literalBytes(p: Payload): Buffer | undefined {
  if (p.kind === 'file' || p.kind === 'heredoc' || p.kind === 'fields') return undefined;
  if (!p.template.parts.every((x) => 'text' in x)) return undefined;
  const text = p.template.parts.map((x) => ('text' in x ? x.text : '')).join('');
  try {
    return p.kind === 'text' ? decodeEscapes(text) : p.kind === 'hex' ? decodeHex(text) : decodeBase64(text);
  } catch {
    return undefined;
  }
}

/** The bytes of a level when the text alone decides every one of them, else `undefined`. */
function groupBytes(parts: readonly FieldPart[]): Buffer | undefined {
  try {
    return knownBytes(parts);
  } catch {
    // A literal that does not fit its length field: the step fails when it runs; hover shows no bytes.
    return undefined;
  }
}

function knownBytes(parts: readonly FieldPart[]): Buffer | undefined {
  const chunks: (Buffer | undefined)[] = parts.map((part) => (part.kind === 'group' ? knownBytes(part.parts) : undefined));
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.kind === 'payload') chunks[i] = literalBytes(part.payload);
    else if (part.kind === 'int') {
      const value = typeof part.value === 'string' ? parseIntLiteral(part.value) : undefined;
      chunks[i] = value === undefined ? undefined : encodeInt(part.type, value);
    } else if (part.kind === 'length') {
      const group = chunks[coveredGroup(parts, i)];
      chunks[i] = group === undefined ? undefined : encodeInt(part.type, BigInt(group.length));
    } else if (part.kind === 'checksum') {
      const group = chunks[coveredGroup(parts, i)];
      chunks[i] = group === undefined ? undefined : checksumBytes(part.type, group);
    }
    if (chunks[i] === undefined) return undefined;
  }
  return Buffer.concat(chunks as Buffer[]);
}

/** The size of an integer or length field, when the text tells it (a fixed width, or a literal's bytes). */
function intSize(part: Extract<FieldPart, { kind: 'int' | 'length' }>, groupSize: number | undefined): number | undefined {
  const width = intWidth(part.type);
  if (width !== undefined) return width;
  const value = part.kind === 'length' ? (groupSize === undefined ? undefined : BigInt(groupSize)) : typeof part.value === 'string' ? parseIntLiteral(part.value) : undefined;
  try {
    return value === undefined ? undefined : encodeInt(part.type, value).length;
  } catch {
    return undefined;
  }
}

/** The size of a level's bytes, when every part's size is known; each group's size is kept in `sizes`. */
function sizeOf(parts: readonly FieldPart[], sizes: Map<FieldPart, number | undefined>): number | undefined {
  let total: number | undefined = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    let size: number | undefined;
    if (part.kind === 'group') {
      size = sizeOf(part.parts, sizes);
      sizes.set(part, size);
    } else if (part.kind === 'payload') size = literalBytes(part.payload)?.length;
    else if (part.kind === 'int') size = intSize(part, undefined);
    else if (part.kind === 'checksum') size = checksumBytes(part.type, new Uint8Array(0)).length;
    else {
      const group = parts[coveredGroup(parts, i)];
      size = intSize(part, group?.kind === 'group' ? sizeOf(group.parts, sizes) : undefined);
    }
    if (size === undefined) total = undefined;
    else if (total !== undefined) total += size;
  }
  return total;
}

/** The rows of one level from offset `start` (`undefined`: unknown); returns the level's size, or `undefined` when unknown. */
function layOut(parts: readonly FieldPart[], depth: number, start: number | undefined, rows: FieldRow[], sizes: Map<FieldPart, number | undefined>): number | undefined {
  let offset = start ?? 0;
  let known = start !== undefined;
  let total: number | undefined = 0;
  const at = (): number | undefined => (known ? offset : undefined);
  const advance = (size: number | undefined): void => {
    if (size === undefined) {
      known = false;
      total = undefined;
    } else {
      offset += size;
      if (total !== undefined) total += size;
    }
  };
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.kind === 'payload') {
      const bytes = literalBytes(part.payload);
      const range = part.payload.kind === 'heredoc' || part.payload.kind === 'fields' ? part.payload.range : part.payload.template.range;
      rows.push({ offset: at(), bytes, size: bytes?.length, label: printPayload(part.payload), depth, range });
      advance(bytes?.length);
    } else if (part.kind === 'int') {
      const value = typeof part.value === 'string' ? parseIntLiteral(part.value) : undefined;
      let bytes: Buffer | undefined;
      try {
        bytes = value === undefined ? undefined : encodeInt(part.type, value);
      } catch {
        bytes = undefined;
      }
      const size = bytes?.length ?? intWidth(part.type);
      rows.push({ offset: at(), bytes, size, label: `${part.type} ${typeof part.value === 'string' ? part.value : printPayload({ kind: 'text', template: part.value }).slice(1, -1)}`, depth, range: part.range });
      advance(size);
    } else if (part.kind === 'length') {
      const group = parts[coveredGroup(parts, i)];
      const groupSize = group ? sizes.get(group) : undefined;
      let bytes: Buffer | undefined;
      try {
        bytes = groupSize === undefined ? undefined : encodeInt(part.type, BigInt(groupSize));
      } catch {
        bytes = undefined;
      }
      const size = bytes?.length ?? intWidth(part.type);
      rows.push({ offset: at(), bytes, size, label: `${part.type} len${groupSize === undefined ? '' : ` = ${groupSize}`}`, depth, range: part.range });
      advance(size);
    } else if (part.kind === 'checksum') {
      const before = parts[coveredGroup(parts, i)];
      const covered = before?.kind === 'group' ? groupBytes(before.parts) : undefined;
      const bytes = covered === undefined ? undefined : checksumBytes(part.type, covered);
      const size = checksumBytes(part.type, new Uint8Array(0)).length;
      rows.push({ offset: at(), bytes, size, label: part.type, depth, range: part.range });
      advance(size);
    } else {
      const size = sizes.get(part);
      rows.push({ offset: at(), size, label: '( … )', depth, range: part.range });
      layOut(part.parts, depth + 1, at(), rows, sizes);
      advance(size);
    }
  }
  return total;
}

/**
 * The parts of a field payload with their offsets and bytes.
 * @returns the rows in the order written, groups followed by their parts; and the payload's size
 *   when every part's size is known
 */
export function fieldLayout(parts: readonly FieldPart[]): { readonly rows: readonly FieldRow[]; readonly size?: number } {
  const rows: FieldRow[] = [];
  const sizes = new Map<FieldPart, number | undefined>();
  sizeOf(parts, sizes);
  const size = layOut(parts, 0, 0, rows, sizes);
  return size === undefined ? { rows } : { rows, size };
}
