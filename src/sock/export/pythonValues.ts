/**
 * The Python export's helpers for values (spec §16.1): regexes and captures, fields and varints,
 * byte patterns, `set`'s arithmetic, checksums and durations from variables.
 */
import { S, type Snippet } from './snippets';

/** Values helpers of an exported Python program, by name (see pythonRuntime.ts). */
export const PYTHON_VALUES: Readonly<Record<string, Snippet>> = {
  duration: S(['re'], ['core'], `
def duration(text):
    """A duration from a variable (§9.1): 500ms, 2s, 1.5s, 1m or 20us, in seconds."""
    m = re.fullmatch(r'(\\d+(?:\\.\\d+)?)(us|ms|s|m)', text.strip())
    if not m:
        raise StepError('EVARIABLE', f'{text!r} is not a duration')
    return float(m.group(1)) * {'us': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0}[m.group(2)]
`),
  search: S(['re'], ['core'], `
def text_of(data, as_bytes=False):
    """How a regex sees a value (§8.5): its UTF-8 text, or one character per byte."""
    if not as_bytes:
        try:
            return data.decode('utf-8'), 'utf-8'
        except UnicodeDecodeError:
            pass
    return data.decode('latin-1'), 'latin-1'


def search(pattern, data, flags=0, as_bytes=False):
    return re.search(pattern, text_of(data, as_bytes)[0], flags)


def groups_of(m, data, as_bytes=False):
    """A rule's regex match: its named groups, as variables (§7.9)."""
    codec = text_of(data, as_bytes)[1]
    return {name: (value or '').encode(codec) for name, value in m.groupdict().items()}
`),
  capture: S(['re'], ['search'], `
def capture_regex(data, pattern, flags=0, as_bytes=False):
    """capture NAME /REGEX/: its first group, or the whole match (§8.11)."""
    text, codec = text_of(data, as_bytes)
    m = re.search(pattern, text, flags)
    if not m:
        raise StepError('ECAPTURE', f'/{pattern}/ does not match {show(data)}')
    value = m.group(1) if m.re.groups else m.group(0)
    if value is None:
        raise StepError('ECAPTURE', f'the first group of /{pattern}/ took no part in the match')
    return value.encode(codec)


def capture_named(data, pattern, flags=0, as_bytes=False):
    """capture /REGEX/: each named group, under its own name."""
    text, codec = text_of(data, as_bytes)
    m = re.search(pattern, text, flags)
    if not m:
        raise StepError('ECAPTURE', f'/{pattern}/ does not match {show(data)}')
    return {name: value.encode(codec) for name, value in m.groupdict().items()}


def capture_line(data, n):
    """capture NAME line N: the Nth line, without its line ending."""
    lines = data.split(b'\\n')
    if n > len(lines) or (n > 1 and n == len(lines) and not lines[-1]):
        raise StepError('ECAPTURE', f'there is no line {n} in {show(data)}')
    return lines[n - 1].removesuffix(b'\\r') if n < len(lines) else lines[n - 1]


def take(data, at, size):
    """capture NAME bytes N at OFFSET: N bytes from OFFSET (from the end when negative)."""
    start = len(data) + at if at < 0 else at
    if start < 0 or start + size > len(data):
        raise StepError('ECAPTURE', f'{size} bytes at offset {at} are past the end of {show(data)}')
    return data[start:start + size]
`),
  unpack: S(['struct'], ['capture', 'varint'], `
def unpack_at(data, fmt, at):
    """capture NAME TYPE at OFFSET: an integer field, kept as its decimal digits (§8.11)."""
    start = len(data) + at if at < 0 else at
    if fmt == 'varint':
        return str(read_varint(data, start)).encode()
    return str(struct.unpack_from(fmt, take(data, start, struct.calcsize(fmt)))[0]).encode()
`),
  varint: S([], [], `
def varint(n):
    """A base-128 varint: 7 bits a byte, least significant first (MQTT 3.1.1 §1.5.5)."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(data, at):
    value = 0
    for i in range(10):
        if at + i >= len(data):
            raise StepError('EOF', 'the varint goes past the end of the bytes')
        value |= (data[at + i] & 0x7F) << (7 * i)
        if data[at + i] < 0x80:
            return value
    raise StepError('EBADPAYLOAD', 'a varint longer than 10 bytes')
`),
  matchAt: S([], [], `
def match_at(data, at, expected):
    """expect PAYLOAD at OFFSET (§8.4): the bytes stand there; None in EXPECTED matches any byte."""
    start = len(data) + at if at < 0 else at
    if start < 0 or start + len(expected) > len(data):
        return False
    return all(e is None or data[start + i] == e for i, e in enumerate(expected))
`),
  contains: S([], [], `
def contains(data, expected):
    """expect hex … with ?? (§8.4): the pattern somewhere in the value; None matches any byte."""
    return any(match_at(data, i, expected) for i in range(len(data) - len(expected) + 1))
`),
  arithmetic: S(['re'], [], `
def arithmetic(value):
    """set's integer arithmetic (§8.12): integers joined by + - * × with spaces around are
    computed (* and × first); any other value stays as written."""
    text = value.decode('utf-8', 'surrogateescape')
    if not re.fullmatch(r'\\s*-?\\d+(?:\\s+[-+*×]\\s+-?\\d+)+\\s*', text):
        return value
    tokens = text.split()
    terms, signs = [int(tokens[0])], []
    for op, n in zip(tokens[1::2], tokens[2::2]):
        if op in '*×':
            terms[-1] *= int(n)
        else:
            signs.append(op)
            terms.append(int(n))
    total = terms[0]
    for sign, term in zip(signs, terms[1:]):
        total = total + term if sign == '+' else total - term
    return str(total).encode()
`),
  checksums: S(['zlib', 'struct'], [], `
def crc16_modbus(data):
    """CRC-16/MODBUS of DATA, little endian as Modbus RTU sends it."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack('<H', crc)


def inet16(data):
    """The Internet checksum (RFC 1071) of DATA, big endian."""
    if len(data) % 2:
        data += b'\\x00'
    total = sum(struct.unpack(f'>{len(data) // 2}H', data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack('>H', ~total & 0xFFFF)
`),
};
