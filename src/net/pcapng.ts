/**
 * Exports a traffic capture as a pcapng file that Wireshark and tshark open: each payload is put
 * in a synthesized Ethernet / IPv4 or IPv6 / TCP or UDP frame, so the bytes a socket sent and
 * received can be examined with "Follow TCP Stream" and the usual dissectors.
 */
import { isIP } from 'node:net';
import { parseHostPort, pton } from './address';
import type { TrafficEvent } from './traffic';

/** The result of {@link toPcapng}. */
export interface PcapngExport {
  /** The whole pcapng file (one section, one interface), little-endian. */
  readonly bytes: Buffer;
  /** Enhanced Packet Blocks written: every synthesized frame, handshakes and ACKs included. */
  readonly packets: number;
  /**
   * Events that would have made packets but could not, for want of an IP address: the open,
   * data, half-close and close events of Unix-socket connections (and of connections whose
   * addresses are not IP), data events of sockets whose `open`/`listening` event is no longer in
   * the capture, and datagrams without a usable peer or too long for one IP packet.
   */
  readonly skipped: number;
}

/** TCP payload bytes per segment: 65,535 minus 20 bytes of IPv4 and 20 of TCP header, as Linux advertises on `lo`. */
export const PCAPNG_TCP_MSS = 65_495;

/** pcapng block types and option codes (draft-ietf-opsawg-pcapng §4, §3.5). */
const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
/** LINKTYPE_ETHERNET, from the tcpdump.org link-layer header types. */
const LINKTYPE_ETHERNET = 1;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTO_TCP = 6;
const PROTO_UDP = 17;

/** TCP flags (RFC 9293 §3.1). */
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

/** Window scale shift offered in the SYNs: 65,535 << 14 ≈ 1 GiB, more than any chunk the capture keeps. */
const WINDOW_SHIFT = 14;
/** Error codes after which the peer has reset the connection (it sent RST). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);
/** An accepted connection and the client it pairs with may be this far apart (ms). */
const PAIR_WINDOW_MS = 5000;
/** Unmatched datagrams remembered per address pair, to drop the receiving copy of a datagram both ends captured. */
const DATAGRAM_MATCH_DEPTH = 64;

/** An IP endpoint as packed bytes; `key` is a canonical `addr|port` for matching. */
interface IpEndpoint {
  readonly family: 4 | 6;
  readonly addr: Buffer;
  readonly port: number;
  readonly key: string;
}

function endpoint(addr: Buffer, port: number): IpEndpoint {
  return { family: addr.length === 4 ? 4 : 6, addr, port, key: `${addr.toString('hex')}|${port}` };
}

/**
 * Parses `127.0.0.1:40123` or `[::1]:8080` (as the socket core reports them) into packed bytes;
 * an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, a dual-stack socket) becomes plain IPv4, as it
 * is on the wire. Anything else (a Unix path, a host name, `?`) gives undefined.
 */
function parseEndpoint(text: string): IpEndpoint | undefined {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(text));
  } catch {
    return undefined;
  }
  host = host.replace(/%.*$/, ''); // a zone id (fe80::1%lo) is not on the wire
  if (!isIP(host)) return undefined;
  let addr: Buffer;
  try {
    addr = pton(host);
  } catch {
    return undefined;
  }
  if (addr.length === 16 && addr.subarray(0, 10).every((b) => b === 0) && addr[10] === 0xff && addr[11] === 0xff) addr = addr.subarray(12);
  return endpoint(addr, port);
}

function isUnspecified(e: IpEndpoint): boolean {
  return e.addr.every((b) => b === 0);
}

function isLoopback(e: IpEndpoint): boolean {
  return e.family === 4 ? e.addr[0] === 127 : e.addr.subarray(0, 15).every((b) => b === 0) && e.addr[15] === 1;
}

const LOOPBACK4 = Buffer.from([127, 0, 0, 1]);
const LOOPBACK6 = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/**
 * The source address of a datagram from a socket bound to the wildcard (`0.0.0.0`, `::`): the
 * kernel picks the loopback address for a loopback peer; otherwise the wildcard is kept, in the
 * peer's family.
 */
function concreteLocal(local: IpEndpoint, peer: IpEndpoint): IpEndpoint | undefined {
  if (!isUnspecified(local)) return local.family === peer.family ? local : undefined;
  if (isLoopback(peer)) return endpoint(peer.family === 4 ? LOOPBACK4 : LOOPBACK6, local.port);
  return endpoint(Buffer.alloc(peer.family === 4 ? 4 : 16), local.port);
}

/** The 16-bit one's complement sum of `buf[start, end)` (RFC 1071), unfolded; an odd last byte is padded with zero. */
function sum16(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let s = initial;
  const even = start + ((end - start) & ~1);
  for (let i = start; i < even; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (even < end) s += buf[even] << 8;
  return s;
}

/** Folds a sum to 16 bits and complements it: the Internet checksum (RFC 1071). */
function checksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** Bytes before the transport header: Enhanced Packet Block header (28), Ethernet (14), IP (20 or 40). */
const EPB_HEADER = 28;
const ETHERNET_HEADER = 14;

/**
 * Writes the blocks of one pcapng section into one growing buffer, so an export of many small
 * packets makes no garbage per packet.
 */
class PcapngWriter {
  packets = 0;
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;
  /** The last timestamp written, ns since the epoch as two 32-bit halves: every packet gets a later one. */
  private lastHi = -1;
  private lastLo = 0;
  /** The last event time converted, and its value in ns. */
  private baseMs = Number.NaN;
  private baseHi = 0;
  private baseLo = 0;
  /** IPv4 identification field, counted per packet. */
  private ipId = 0;

  constructor() {
    this.raw(block(SHB, Buffer.concat([u32(BYTE_ORDER_MAGIC), u16(1), u16(0), Buffer.alloc(8, 0xff), options([[SHB_USERAPPL, Buffer.from('Socket Lab')]])])));
    // Interface 0: Ethernet, no snap length limit, nanosecond timestamps (if_tsresol 9 = 10^-9 s).
    this.raw(block(IDB, Buffer.concat([u16(LINKTYPE_ETHERNET), u16(0), u32(0), options([[IF_NAME, Buffer.from('socket-lab')], [IF_TSRESOL, Buffer.from([9])]])])));
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private raw(b: Buffer): void {
    this.reserve(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** Writes the timestamp of a packet of an event at `ms` at `at`: the event's time, or 1 ns after the previous packet. */
  private timestamp(ms: number, at: number): void {
    if (ms !== this.baseMs) {
      const whole = Math.floor(ms);
      const ns = BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
      this.baseMs = ms;
      this.baseHi = Number(ns >> 32n);
      this.baseLo = Number(ns & 0xffffffffn);
    }
    if (this.baseHi > this.lastHi || (this.baseHi === this.lastHi && this.baseLo > this.lastLo)) {
      this.lastHi = this.baseHi;
      this.lastLo = this.baseLo;
    } else if (this.lastLo === 0xffffffff) {
      this.lastHi++;
      this.lastLo = 0;
    } else {
      this.lastLo++;
    }
    this.buf.writeUInt32LE(this.lastHi, at);
    this.buf.writeUInt32LE(this.lastLo, at + 4);
  }

  /**
   * Writes one frame as an Enhanced Packet Block (§4.3): zero MACs as on a loopback capture, the
   * IP header, a zeroed transport header of `l4Header` bytes for the caller to fill, `payload`,
   * padding, an optional comment, the trailer. Returns the transport header's offset; the caller
   * fills it and calls {@link PcapngWriter.seal}.
   */
  private frame(ms: number, src: IpEndpoint, dst: IpEndpoint, proto: number, l4Header: number, payload: Buffer, comment: string | undefined): number {
    const v4 = src.family === 4;
    const ipLen = v4 ? 20 : 40;
    const l4Len = l4Header + payload.length;
    const frameLen = ETHERNET_HEADER + ipLen + l4Len;
    const pad = (4 - (frameLen % 4)) % 4;
    const opts = comment === undefined ? undefined : options([[OPT_COMMENT, Buffer.from(comment, 'utf8')]]);
    const total = EPB_HEADER + frameLen + pad + (opts?.length ?? 0) + 4;
    this.reserve(total);
    const b = this.buf;
    const at = this.pos;
    const l4 = at + EPB_HEADER + ETHERNET_HEADER + ipLen;
    b.fill(0, at, l4 + l4Header);
    b.writeUInt32LE(EPB, at);
    b.writeUInt32LE(total, at + 4);
    this.timestamp(ms, at + 12);
    b.writeUInt32LE(frameLen, at + 20);
    b.writeUInt32LE(frameLen, at + 24);
    b.writeUInt16BE(v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, at + EPB_HEADER + 12);
    const ip = at + EPB_HEADER + ETHERNET_HEADER;
    if (v4) {
      b[ip] = 0x45;
      b.writeUInt16BE(20 + l4Len, ip + 2);
      b.writeUInt16BE(this.ipId, ip + 4);
      this.ipId = (this.ipId + 1) & 0xffff;
      b.writeUInt16BE(0x4000, ip + 6); // don't fragment
      b[ip + 8] = 64;
      b[ip + 9] = proto;
      src.addr.copy(b, ip + 12);
      dst.addr.copy(b, ip + 16);
      b.writeUInt16BE(checksum(sum16(b, ip, ip + 20)), ip + 10);
    } else {
      b.writeUInt32BE(0x60000000, ip);
      b.writeUInt16BE(l4Len, ip + 4);
      b[ip + 6] = proto;
      b[ip + 7] = 64;
      src.addr.copy(b, ip + 8);
      dst.addr.copy(b, ip + 24);
    }
    b.writeUInt16BE(src.port, l4);
    b.writeUInt16BE(dst.port, l4 + 2);
    payload.copy(b, l4 + l4Header);
    let end = l4 + l4Len;
    b.fill(0, end, end + pad);
    end += pad;
    if (opts) end += opts.copy(b, end);
    b.writeUInt32LE(total, end);
    this.pos = end + 4;
    this.packets++;
    return l4;
  }

  /**
   * Fills the transport checksum at `l4 + field`: over the pseudo-header (RFC 9293 §3.1; RFC 8200
   * §8.1 has the same fields, its 32-bit length fitting in 16 bits here), the header and payload.
   */
  private seal(l4: number, l4Len: number, field: number, src: IpEndpoint, dst: IpEndpoint, proto: number): void {
    const pseudo = sum16(src.addr, 0, src.addr.length) + sum16(dst.addr, 0, dst.addr.length) + proto + l4Len;
    let sum = checksum(sum16(this.buf, l4, l4 + l4Len, pseudo));
    if (proto === PROTO_UDP && sum === 0) sum = 0xffff; // 0 means "no checksum" in UDP (RFC 768)
    this.buf.writeUInt16BE(sum, l4 + field);
  }

  /** One TCP segment (RFC 9293 §3.1): window 65,535 (scaled by the SYNs' shift), `synOptions` on a SYN. */
  tcp(ms: number, src: IpEndpoint, dst: IpEndpoint, seq: number, ack: number, flags: number, payload: Buffer, synOptions?: Buffer, comment?: string): void {
    const header = 20 + (synOptions?.length ?? 0);
    const l4 = this.frame(ms, src, dst, PROTO_TCP, header, payload, comment);
    const b = this.buf;
    b.writeUInt32BE(seq, l4 + 4);
    b.writeUInt32BE(ack, l4 + 8);
    b[l4 + 12] = (header / 4) << 4;
    b[l4 + 13] = flags;
    b.writeUInt16BE(0xffff, l4 + 14);
    synOptions?.copy(b, l4 + 20);
    this.seal(l4, header + payload.length, 16, src, dst, PROTO_TCP);
  }

  /** One UDP datagram (RFC 768). */
  udp(ms: number, src: IpEndpoint, dst: IpEndpoint, payload: Buffer, comment?: string): void {
    const l4 = this.frame(ms, src, dst, PROTO_UDP, 8, payload, comment);
    this.buf.writeUInt16BE(8 + payload.length, l4 + 4);
    this.seal(l4, 8 + payload.length, 6, src, dst, PROTO_UDP);
  }

  /** The file so far. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** An options list (§3.5): code, length, value padded to 32 bits, ended by opt_endofopt. */
function options(list: readonly (readonly [number, Buffer])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of list) {
    parts.push(u16(code), u16(value.length), value, Buffer.alloc((4 - (value.length % 4)) % 4));
  }
  parts.push(u16(OPT_ENDOFOPT), u16(0));
  return Buffer.concat(parts);
}

/** A block (§3.1): type, total length, body padded to 32 bits, total length again. */
function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const total = 12 + body.length + pad;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

/** The payload of a bare SYN, ACK, FIN or RST. */
const NO_PAYLOAD = Buffer.alloc(0);

/** The options of a SYN: MSS (kind 2), NOP, window scale (kind 3) (RFC 9293 §3.2, RFC 7323 §2). */
const SYN_OPTIONS = Buffer.from([2, 4, PCAPNG_TCP_MSS >> 8, PCAPNG_TCP_MSS & 0xff, 1, 3, 3, WINDOW_SHIFT]);

/** A deterministic initial sequence number, different per connection and side. */
function initialSeq(id: string, side: number): number {
  let h = 0x811c9dc5 ^ side;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** One TCP conversation, seen from the Socket Lab socket: `local` sends `out`, `remote` sends `in`. */
class TcpFlow {
  private seqLocal: number;
  private seqRemote: number;
  private finLocal = false;
  private finRemote = false;
  private ended = false;
  /** The open of the matching socket at the other end of the connection, when that is in the capture too. */
  paired = false;
  closedAt: number | undefined;

  constructor(
    private readonly w: PcapngWriter,
    readonly id: string,
    readonly local: IpEndpoint,
    readonly remote: IpEndpoint,
    /** True when the local socket was accepted by a listener, so the remote end sent the SYN. */
    readonly accepted: boolean,
  ) {
    this.seqLocal = initialSeq(id, 1);
    this.seqRemote = initialSeq(id, 2);
  }

  private segment(ms: number, fromLocal: boolean, flags: number, payload: Buffer, synOptions?: Buffer, comment?: string): void {
    const seq = fromLocal ? this.seqLocal : this.seqRemote;
    const ack = flags & ACK ? (fromLocal ? this.seqRemote : this.seqLocal) : 0;
    if (fromLocal) this.w.tcp(ms, this.local, this.remote, seq, ack, flags, payload, synOptions, comment);
    else this.w.tcp(ms, this.remote, this.local, seq, ack, flags, payload, synOptions, comment);
    const used = payload.length + (flags & (SYN | FIN) ? 1 : 0);
    if (fromLocal) this.seqLocal = (this.seqLocal + used) >>> 0;
    else this.seqRemote = (this.seqRemote + used) >>> 0;
  }

  /** SYN, SYN-ACK, ACK (RFC 9293 §3.5), with MSS and window scale options. */
  open(ms: number, comment: string): void {
    const clientIsLocal = !this.accepted;
    // The SYN carries no ACK; the SYN-ACK acknowledges the client's ISN + 1.
    this.segment(ms, clientIsLocal, SYN, NO_PAYLOAD, SYN_OPTIONS, comment);
    this.segment(ms, !clientIsLocal, SYN | ACK, NO_PAYLOAD, SYN_OPTIONS);
    this.segment(ms, clientIsLocal, ACK, NO_PAYLOAD);
  }

  /** One chunk: segments of at most {@link PCAPNG_TCP_MSS} bytes, PSH on the last, then the receiver's ACK. */
  data(ms: number, fromLocal: boolean, payload: Buffer): void {
    if (this.ended || payload.length === 0 || (fromLocal ? this.finLocal : this.finRemote)) return;
    for (let at = 0; at < payload.length; at += PCAPNG_TCP_MSS) {
      const end = Math.min(payload.length, at + PCAPNG_TCP_MSS);
      this.segment(ms, fromLocal, end === payload.length ? PSH | ACK : ACK, payload.subarray(at, end));
    }
    this.segment(ms, !fromLocal, ACK, NO_PAYLOAD);
  }

  /** FIN from one side, acknowledged by the other. */
  fin(ms: number, fromLocal: boolean): void {
    if (this.ended || (fromLocal ? this.finLocal : this.finRemote)) return;
    if (fromLocal) this.finLocal = true;
    else this.finRemote = true;
    this.segment(ms, fromLocal, FIN | ACK, NO_PAYLOAD);
    this.segment(ms, !fromLocal, ACK, NO_PAYLOAD);
  }

  /** The peer reset the connection: RST from the remote end. */
  reset(ms: number): void {
    if (this.ended) return;
    this.segment(ms, false, RST | ACK, NO_PAYLOAD);
    this.ended = true;
  }

  /** Closed: a FIN from each side that has not sent one. */
  close(ms: number): void {
    this.fin(ms, true);
    this.fin(ms, false);
    this.ended = true;
    this.closedAt = ms;
  }
}

/** A UDP socket: its bound address (from `listening` or `open`) and its connected peer. */
interface UdpSocket {
  readonly kind: 'udp';
  readonly id: string;
  readonly local: IpEndpoint | undefined;
  readonly remote: IpEndpoint | undefined;
  commented: boolean;
}

type SocketState =
  | { readonly kind: 'tcp'; readonly flow: TcpFlow }
  | UdpSocket
  /** The other end of a connection whose flow is already exported from its first end. */
  | { readonly kind: 'mirror' }
  /** A connection without IP addresses (Unix, unparseable): its events are skipped. */
  | { readonly kind: 'skip' }
  | { readonly kind: 'listener' };

/**
 * Converts traffic events (as `TrafficCapture.events()` returns them, oldest first) into a
 * pcapng file (draft-ietf-opsawg-pcapng: one Section Header Block, one Interface Description Block
 * with LINKTYPE_ETHERNET and `if_tsresol` = nanoseconds, one Enhanced Packet Block per frame,
 * little-endian). Frames carry zero MAC addresses, IPv4 (with header checksum) or IPv6 headers,
 * and TCP/UDP headers with correct checksums (RFC 1071, pseudo-headers of RFC 9293 and RFC 8200).
 *
 * - **TCP**: each connection's `open` becomes SYN / SYN-ACK / ACK (the client, the side without
 *   `listener`, sends the SYN); each data chunk becomes PSH|ACK segment(s) of at most
 *   {@link PCAPNG_TCP_MSS} bytes, with sequence and acknowledgement numbers continuing in each
 *   direction, then an ACK from the receiver; `half-close` a FIN and its ACK; `close` a FIN from
 *   each side that has not sent one; an `ECONNRESET`/`EPIPE` error an RST from the peer. `out`
 *   always goes from `local` to `remote`. When both ends of a connection are Socket Lab sockets in
 *   the capture (a client and the connection its listener accepted), the conversation is exported
 *   once, from the end that opened first. The SYN carries a packet comment naming the connection.
 * - **TLS** connections carry decrypted payloads in their events: they are exported as the TCP
 *   conversation of the plaintext (the SYN's comment says so). Wireshark may still dissect a
 *   well-known TLS port (443) as TLS; use *Decode As… → none* there.
 * - **UDP**: one datagram per data event, from the socket's bound address (its `listening` or
 *   `open` event; a wildcard bind becomes the loopback address for a loopback peer) to `peer`, or
 *   back; datagram boundaries are kept. A datagram sent and received by two sockets of the same
 *   capture is written once.
 * - Unix sockets and sockets without usable IP addresses are skipped and counted in `skipped`.
 *
 * Timestamps are the events' `ts` (ms since the epoch); the packets of one event get successive
 * nanoseconds, so the file's order is the capture's. Runs in time linear in events and bytes;
 * payloads are copied once, into the result (a view of a buffer grown by doubling).
 *
 * @param events the capture, oldest first; not modified
 * @returns the file's bytes, the number of packets, and the number of events skipped
 */
export function toPcapng(events: readonly TrafficEvent[]): PcapngExport {
  const w = new PcapngWriter();
  const sockets = new Map<string, SocketState>();
  /** Exported TCP flows by `local>remote`, so the other end of a connection can find its pair. */
  const flows = new Map<string, TcpFlow>();
  /** Datagrams written but not yet seen at their other end, by `src>dst`. */
  const unmatched = new Map<string, { fromOut: boolean; payload: Buffer }[]>();
  let skipped = 0;
  /** Parsed addresses: a busy UDP socket names the same few peers in every data event. */
  const parsed = new Map<string, IpEndpoint | undefined>();
  const parse = (text: string | undefined): IpEndpoint | undefined => {
    if (text === undefined) return undefined;
    if (!parsed.has(text)) parsed.set(text, parseEndpoint(text));
    return parsed.get(text);
  };

  /** True when this datagram was already written from its other end (and consumes that match). */
  const duplicateDatagram = (key: string, fromOut: boolean, payload: Buffer): boolean => {
    let q = unmatched.get(key);
    if (!q) unmatched.set(key, (q = []));
    for (let i = 0; i < q.length; i++) {
      if (q[i].fromOut !== fromOut && q[i].payload.equals(payload)) {
        q.splice(i, 1);
        return true;
      }
    }
    q.push({ fromOut, payload });
    if (q.length > DATAGRAM_MATCH_DEPTH) q.shift();
    return false;
  };

  for (const e of events) {
    switch (e.type) {
      case 'listening':
        if (e.transport === 'udp') sockets.set(e.id, { kind: 'udp', id: e.id, local: parse(e.local), remote: undefined, commented: false });
        else sockets.set(e.id, { kind: 'listener' });
        break;
      case 'open': {
        if (e.transport === 'udp') {
          sockets.set(e.id, { kind: 'udp', id: e.id, local: parse(e.local), remote: parse(e.remote), commented: false });
          break;
        }
        const local = e.transport === 'unix' ? undefined : parse(e.local);
        const remote = e.transport === 'unix' ? undefined : parse(e.remote);
        if (!local || !remote || local.family !== remote.family) {
          sockets.set(e.id, { kind: 'skip' });
          skipped++;
          break;
        }
        const other = flows.get(`${remote.key}>${local.key}`);
        if (other && !other.paired && other.accepted !== (e.listener !== undefined) && (other.closedAt === undefined || e.ts - other.closedAt <= PAIR_WINDOW_MS)) {
          other.paired = true;
          sockets.set(e.id, { kind: 'mirror' });
          break;
        }
        const flow = new TcpFlow(w, e.id, local, remote, e.listener !== undefined);
        flows.set(`${local.key}>${remote.key}`, flow);
        sockets.set(e.id, { kind: 'tcp', flow });
        const role = e.listener !== undefined ? `accepted by ${e.listener}` : 'client';
        const tls = e.transport === 'tls' ? '; TLS: the payloads are the decrypted plaintext' : '';
        flow.open(e.ts, `Socket Lab ${e.id} (${e.transport} ${role}) ${e.local} -> ${e.remote}${tls}`);
        break;
      }
      case 'data': {
        const s = sockets.get(e.id);
        if (s?.kind === 'tcp') s.flow.data(e.ts, e.direction === 'out', e.payload);
        else if (s?.kind === 'udp') {
          const peer = parse(e.peer) ?? s.remote;
          const local = s.local && peer ? concreteLocal(s.local, peer) : undefined;
          const max = peer?.family === 4 ? 65_507 : 65_527;
          if (!peer || !local || e.payload.length > max) {
            skipped++;
            break;
          }
          const out = e.direction === 'out';
          const src = out ? local : peer;
          const dst = out ? peer : local;
          if (duplicateDatagram(`${src.key}>${dst.key}`, out, e.payload)) break;
          const comment = s.commented ? undefined : `Socket Lab ${s.id} (udp) ${out ? 'sent' : 'received'}`;
          s.commented = true;
          w.udp(e.ts, src, dst, e.payload, comment);
        } else if (s === undefined || s.kind === 'skip') skipped++;
        break;
      }
      case 'half-close': {
        const s = sockets.get(e.id);
        if (s?.kind === 'tcp') s.flow.fin(e.ts, e.direction === 'out');
        else if (s === undefined || s.kind === 'skip') skipped++;
        break;
      }
      case 'close': {
        const s = sockets.get(e.id);
        if (s?.kind === 'tcp') s.flow.close(e.ts);
        else if (s?.kind === 'skip') skipped++;
        break;
      }
      case 'error': {
        const s = sockets.get(e.id);
        if (s?.kind === 'tcp' && RESET_CODES.has(e.code)) s.flow.reset(e.ts);
        break;
      }
      default:
        // drop, tls, mark: nothing on the wire to show beyond what the connection's events give.
        break;
    }
  }
  return { bytes: w.finish(), packets: w.packets, skipped };
}
