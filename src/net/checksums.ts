/**
 * Checksums that binary protocols carry, over the bytes of a payload's group (spec §4.6):
 * - `crc16-modbus`: CRC-16/MODBUS (poly 0x8005 reflected as 0xA001, init 0xFFFF, no final XOR;
 *   "Modbus over Serial Line" V1.02 §6.2.2), sent low byte first as Modbus RTU sends it; its check
 *   value over "123456789" is 0x4B37 (the CRC catalogue, reveng.sourceforge.io/crc-catalogue).
 * - `crc32`, `crc32le`: CRC-32/ISO-HDLC, zlib's and Ethernet's (check value 0xCBF43926), from
 *   Node's `zlib.crc32` (Node 20.15 and later), big endian unless `le`.
 * - `inet16`: the Internet checksum of RFC 1071: the ones' complement of the ones' complement sum
 *   of the 16-bit big-endian words (a last odd byte padded with zero), sent big endian.
 * Pure: no `vscode`.
 */
import { crc32 } from 'node:zlib';

/** A checksum a field payload can carry. */
export type ChecksumType = 'crc16-modbus' | 'crc32' | 'crc32le' | 'inet16';

/** Every {@link ChecksumType}, in the order the spec lists them. */
export const CHECKSUM_TYPES: readonly ChecksumType[] = ['crc16-modbus', 'crc32', 'crc32le', 'inet16'];

/** True when `word` names a {@link ChecksumType}. */
export function isChecksumType(word: string): word is ChecksumType {
  return (CHECKSUM_TYPES as readonly string[]).includes(word);
}

/** CRC-16/MODBUS of `bytes`, as a number (0 … 0xFFFF). */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** The Internet checksum (RFC 1071 §4.1) of `bytes`, as a number (0 … 0xFFFF). */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
    // Fold the carry at once, so the sum stays a small integer whatever the length.
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

/** The bytes of a checksum of `type` over `bytes`, in the order its protocol sends them. */
export function checksumBytes(type: ChecksumType, bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(type === 'crc32' || type === 'crc32le' ? 4 : 2);
  if (type === 'crc16-modbus') out.writeUInt16LE(crc16Modbus(bytes));
  else if (type === 'inet16') out.writeUInt16BE(internetChecksum(bytes));
  else if (type === 'crc32') out.writeUInt32BE(crc32(bytes));
  else out.writeUInt32LE(crc32(bytes));
  return out;
}
