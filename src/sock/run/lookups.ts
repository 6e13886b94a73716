/**
 * The lookup steps, which need no connection: `hostname`, `lookup`, `resolve`, `service` and the
 * address conversions `aton`, `ntoa`, `pton`, `ntop`. Each leaves its answer as the value a later
 * `expect` checks.
 */
import { aton, ntoa, ntop, pton } from '../../net/address';
import { parseNameServer, resolveRecords } from '../../net/dnsQuery';
import { decodeHex, escapeBytes, toHex } from '../../net/payload';
import { hostname, lookupHost } from '../../net/resolver';
import { systemServices } from '../../net/services';
import type { Step, Template } from '../ast';

/** A step {@link runLookup} runs. */
export type LookupStep = Extract<Step, { kind: 'resolve' | 'pton' | 'ntop' | 'hostname' | 'lookup' | 'service' | 'aton' | 'ntoa' }>;

/** What a lookup step found: the value a following `expect` checks, and the detail the transcript shows. */
export interface LookupAnswer {
  readonly value: Buffer;
  readonly detail: string;
}

/** A lookup's answer as text: the value `expect` checks, and the detail shown. */
function answer(text: string): LookupAnswer {
  return { value: Buffer.from(text), detail: text };
}

/** A packed address: its bytes, shown in hex and escaped. */
function packedAnswer(packed: Buffer): LookupAnswer {
  return { value: packed, detail: `${toHex(packed)}  "${escapeBytes(packed)}"` };
}

/**
 * Runs one lookup step: `hostname` as `gethostname(2)`; `lookup` as `getaddrinfo(3)` (every
 * address, comma-separated) or, for an address, `getnameinfo(3)`; `resolve NAME TYPE [@SERVER]` as
 * a DNS query (`dig`), bounded by `timeoutMs`; `service` as `getservbyname(3)`/`getservbyport(3)`
 * on the system's services file; `aton`/`ntoa` as `inet_aton(3)`/`inet_ntoa(3)` and
 * `pton`/`ntop` as `inet_pton(3)`/`inet_ntop(3)`, packed forms written and shown as hex.
 * @param expand expands the step's `{{…}}` templates
 * @returns the answer as `value` (bytes for `aton`/`pton`, text otherwise) and the transcript's `detail`
 * @throws SocketLabError `ENOTFOUND`, `ENODATA`, `ETIMEOUT` … from the resolver; `ESERVICE` for an
 *   unknown service; `EBADADDR` for an address the conversion rejects; `EVARIABLE` from `expand`.
 */
export async function runLookup(step: LookupStep, expand: (t: Template) => string, timeoutMs: number): Promise<LookupAnswer> {
  switch (step.kind) {
    case 'resolve': {
      const server = step.server ? parseNameServer(expand(step.server)) : undefined;
      const answers = await resolveRecords(expand(step.target), step.recordType, server, timeoutMs);
      return answer(answers.join(', '));
    }
    case 'pton':
      return packedAnswer(pton(expand(step.target)));
    case 'ntop':
      return answer(ntop(decodeHex(expand(step.target))));
    case 'hostname':
      return answer(hostname());
    case 'lookup':
      return answer(await lookupHost(expand(step.target)));
    case 'service':
      return answer(systemServices().lookup(expand(step.target), step.proto));
    case 'aton':
      return packedAnswer(aton(expand(step.target)));
    case 'ntoa':
      return answer(ntoa(decodeHex(expand(step.target))));
  }
}
