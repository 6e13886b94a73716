/**
 * The bytes a payload stands for when its step runs: `"text"` with escapes, `hex`, `base64`,
 * `file PATH` and heredocs, with `{{…}}` expanded through the run's {@link Scope}.
 */
import { decodeBase64, decodeEscapes, decodeHex } from '../../net/payload';
import type { Block, Payload } from '../ast';
import { MAX_FILE_PAYLOAD, readRegularFile } from '../files';
import { ExpansionBudget, type Scope } from '../scope';

/** The line ending a heredoc's lines get: the block's `eol crlf` (default) or `eol lf`. */
export type LineEnding = Block['eol'];

/** Builds the bytes of payloads for one run. */
export class PayloadBuilder {
  constructor(
    private readonly scope: Scope,
    /** The folder of the `.sock` file: `file PATH` resolves against it. */
    private readonly baseDir: string,
  ) {}

  /**
   * The bytes of `payload`, with variables expanded. A heredoc's lines each end with `eol`
   * (`\r\n` or `\n`), the last one too. The parts of one text payload or the lines of one heredoc
   * share one {@link ExpansionBudget}, so the bound applies to the whole payload, not to each piece.
   * @throws SocketLabError `EVARIABLE` for a missing, self-referring or oversized variable;
   *   `EBADPAYLOAD` for a bad escape, hex or base64, or a file that is not a regular file; `ETOOBIG` for a file
   *   over {@link MAX_FILE_PAYLOAD} (64 MiB); the system's code (`ENOENT` …) for a file not read.
   */
  async bytes(payload: Payload, eol: LineEnding): Promise<Buffer> {
    if (payload.kind === 'hex') return decodeHex(this.scope.expand(payload.template));
    if (payload.kind === 'base64') return decodeBase64(this.scope.expand(payload.template));
    if (payload.kind === 'file') return readRegularFile(this.baseDir, this.scope.expand(payload.template), 'file', MAX_FILE_PAYLOAD);
    if (payload.kind === 'heredoc') {
      const ending = eol === 'crlf' ? '\r\n' : '\n';
      const budget = new ExpansionBudget();
      return Buffer.from(payload.lines.map((l) => this.scope.expand(l, budget) + ending).join(''), 'utf8');
    }
    const budget = new ExpansionBudget();
    return Buffer.concat(payload.template.parts.map((p) => ('text' in p ? decodeEscapes(p.text) : this.scope.partBytes(p, budget))));
  }
}
