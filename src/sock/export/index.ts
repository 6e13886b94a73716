/**
 * Code export (spec §16): a `.sock` file, or some of its blocks, as a Python 3 or Node program
 * that does the same over the same sockets, with what has no translation listed. Pure: a syntax
 * tree in, text out; the CLI (`socket-lab export`) and the editor (Copy/Open as …) call it.
 */
import type { SockFile } from '../ast';
import type { ExportOptions, ExportResult } from './common';
import { exportNode } from './node';
import { exportPython } from './python';

export { EXPORT_LANGUAGES, type ExportLanguage, type ExportOptions, type ExportResult, type Untranslated } from './common';

/**
 * The program for `file` in `options.lang`.
 * @throws RangeError for a block number the file does not have
 */
export function exportSock(file: SockFile, options: ExportOptions): ExportResult {
  return options.lang === 'python' ? exportPython(file, options) : exportNode(file, options);
}

/** How a program's file is named: `tutorial.py`, `tutorial.mjs`. */
export function programName(sockName: string, lang: ExportOptions['lang']): string {
  return sockName.replace(/\.sock$/i, '') + (lang === 'python' ? '.py' : '.mjs');
}
