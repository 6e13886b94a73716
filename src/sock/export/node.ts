import type { SockFile } from '../ast';
import type { ExportOptions, ExportResult } from './common';

export function exportNode(_file: SockFile, _options: ExportOptions): ExportResult {
  return { code: '', untranslated: [] };
}
