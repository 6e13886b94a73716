/**
 * The Node export's helpers for values (spec §16.1): regexes and captures, fields and varints,
 * byte patterns, `set`'s arithmetic, checksums and durations from variables.
 */
import { S, type Snippet } from './snippets';

/** Values helpers of an exported Node program, by name (see nodeRuntime.ts). */
export const NODE_VALUES: Readonly<Record<string, Snippet>> = {
  duration: S([], ['core'], `
/** A duration from a variable (§9.1): 500ms, 2s, 1.5s, 1m or 20us, in ms. */
function duration(text) {
  const m = /^(\\d+(?:\\.\\d+)?)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw stepError('EVARIABLE', \`\${JSON.stringify(text)} is not a duration\`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
}
`),
  search: S([], ['core'], `
/** How a regex sees a value (§8.5): its UTF-8 text, or one character per byte. */
function textOf(data, asBytes = false) {
  if (!asBytes) {
    try {
      return [new TextDecoder('utf-8', { fatal: true }).decode(data), 'utf8'];
    } catch {
      // not UTF-8
    }
  }
  return [data.toString('latin1'), 'latin1'];
}

const search = (pattern, data, asBytes = false) => pattern.exec(textOf(data, asBytes)[0]);

/** A rule's regex match: its named groups, as variables (§7.9). */
function groupsOf(m, data, asBytes = false) {
  const encoding = textOf(data, asBytes)[1];
  return Object.fromEntries(Object.entries(m.groups ?? {}).map(([name, value]) => [name, Buffer.from(value ?? '', encoding)]));
}
`),
  capture: S([], ['search'], `
/** capture NAME /REGEX/: its first group, or the whole match (§8.11). */
function captureRegex(data, pattern, asBytes = false) {
  const [text, encoding] = textOf(data, asBytes);
  const m = pattern.exec(text);
  if (!m) throw stepError('ECAPTURE', \`\${pattern} does not match \${show(data)}\`);
  const value = m.length > 1 ? m[1] : m[0];
  if (value === undefined) throw stepError('ECAPTURE', \`the first group of \${pattern} took no part in the match\`);
  return Buffer.from(value, encoding);
}

/** capture /REGEX/: each named group, under its own name. */
function captureNamed(data, pattern, asBytes = false) {
  const [text, encoding] = textOf(data, asBytes);
  const m = pattern.exec(text);
  if (!m) throw stepError('ECAPTURE', \`\${pattern} does not match \${show(data)}\`);
  return Object.fromEntries(Object.entries(m.groups ?? {}).map(([name, value]) => [name, Buffer.from(value ?? '', encoding)]));
}

/** capture NAME line N: the Nth line, without its line ending. */
function captureLine(data, n) {
  const lines = data.toString('latin1').split('\\n');
  if (n > lines.length || (n > 1 && n === lines.length && lines[n - 1] === '')) throw stepError('ECAPTURE', \`there is no line \${n} in \${show(data)}\`);
  const line = n < lines.length ? lines[n - 1].replace(/\\r$/, '') : lines[n - 1];
  return Buffer.from(line, 'latin1');
}

/** capture NAME bytes N at OFFSET: N bytes from OFFSET (from the end when negative). */
function take(data, at, size) {
  const start = at < 0 ? data.length + at : at;
  if (start < 0 || start + size > data.length) throw stepError('ECAPTURE', \`\${size} bytes at offset \${at} are past the end of \${show(data)}\`);
  return data.subarray(start, start + size);
}
`),
  fields: S([], [], `
const WIDTHS = { u8: 1, i8: 1, u16: 2, u16le: 2, i16: 2, i16le: 2, u32: 4, u32le: 4, i32: 4, i32le: 4, u64: 8, u64le: 8, i64: 8, i64le: 8 };
const WRITERS = {
  u8: 'writeUInt8', i8: 'writeInt8', u16: 'writeUInt16BE', u16le: 'writeUInt16LE', i16: 'writeInt16BE', i16le: 'writeInt16LE',
  u32: 'writeUInt32BE', u32le: 'writeUInt32LE', i32: 'writeInt32BE', i32le: 'writeInt32LE',
  u64: 'writeBigUInt64BE', u64le: 'writeBigUInt64LE', i64: 'writeBigInt64BE', i64le: 'writeBigInt64LE',
};

/** An integer field of TYPE (§4.6) as bytes, as Buffer's write methods lay it out. */
function field(type, value) {
  const bytes = Buffer.alloc(WIDTHS[type]);
  const method = WRITERS[type];
  bytes[method](method.includes('Big') ? BigInt(value) : Number(value));
  return bytes;
}

/** An integer field of TYPE read at OFFSET. */
function readField(data, type, offset) {
  return data[WRITERS[type].replace('write', 'read')](offset);
}
`),
  varint: S([], ['fields'], `
/** A base-128 varint: 7 bits a byte, least significant first (MQTT 3.1.1 §1.5.5). */
function varint(n) {
  const out = [];
  let rest = BigInt(n);
  do {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(byte | (rest ? 0x80 : 0));
  } while (rest);
  return Buffer.from(out);
}

function readVarint(data, at) {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (at + i >= data.length) throw stepError('EOF', 'the varint goes past the end of the bytes');
    value += (data[at + i] & 0x7f) * 2 ** (7 * i);
    if (data[at + i] < 0x80) return value;
  }
  throw stepError('EBADPAYLOAD', 'a varint longer than 10 bytes');
}
`),
  unpack: S([], ['capture', 'varint'], `
/** capture NAME TYPE at OFFSET: an integer field, kept as its decimal digits (§8.11). */
function unpackAt(data, type, at) {
  const start = at < 0 ? data.length + at : at;
  if (type === 'varint') return Buffer.from(String(readVarint(data, start)));
  return Buffer.from(String(readField(take(data, start, WIDTHS[type]), type, 0)));
}
`),
  matchAt: S([], [], `
/** expect PAYLOAD at OFFSET (§8.4): the bytes stand there; null in EXPECTED matches any byte. */
function matchAt(data, at, expected) {
  const start = at < 0 ? data.length + at : at;
  if (start < 0 || start + expected.length > data.length) return false;
  for (let i = 0; i < expected.length; i++) if (expected[i] !== null && data[start + i] !== expected[i]) return false;
  return true;
}
`),
  contains: S([], ['matchAt'], `
/** expect hex … with ?? (§8.4): the pattern somewhere in the value; null matches any byte. */
function contains(data, expected) {
  for (let i = 0; i + expected.length <= data.length; i++) if (matchAt(data, i, expected)) return true;
  return false;
}
`),
  arithmetic: S([], [], `
/**
 * set's integer arithmetic (§8.12): integers joined by + - * × with spaces around are computed
 * (* and × first); any other value stays as written.
 */
function arithmetic(value) {
  const text = value.toString();
  if (!/^\\s*-?\\d+(?:\\s+[-+*×]\\s+-?\\d+)+\\s*$/.test(text)) return value;
  const tokens = text.trim().split(/\\s+/);
  const terms = [BigInt(tokens[0])];
  const signs = [];
  for (let i = 1; i < tokens.length; i += 2) {
    const n = BigInt(tokens[i + 1]);
    if (tokens[i] === '*' || tokens[i] === '×') terms[terms.length - 1] *= n;
    else {
      signs.push(tokens[i]);
      terms.push(n);
    }
  }
  let total = terms[0];
  signs.forEach((sign, i) => (total = sign === '+' ? total + terms[i + 1] : total - terms[i + 1]));
  return Buffer.from(String(total));
}
`),
  checksums: S(['zlib'], [], `
/** CRC-16/MODBUS of DATA, little endian as Modbus RTU sends it. */
function crc16Modbus(data) {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  const out = Buffer.alloc(2);
  out.writeUInt16LE(crc);
  return out;
}

/** The Internet checksum (RFC 1071) of DATA, big endian. */
function inet16(data) {
  let total = 0;
  for (let i = 0; i < data.length; i += 2) total += (data[i] << 8) + (data[i + 1] ?? 0);
  while (total > 0xffff) total = (total & 0xffff) + Math.floor(total / 0x10000);
  const out = Buffer.alloc(2);
  out.writeUInt16BE(~total & 0xffff);
  return out;
}

function crc32(data, littleEndian) {
  const out = Buffer.alloc(4);
  out[littleEndian ? 'writeUInt32LE' : 'writeUInt32BE'](zlib.crc32(data));
  return out;
}
`),
};
