/**
 * What completion offers at a position of a `.sock` line, from the verb table: verbs and settings
 * at the start of a line, each verb's keywords after it, variables inside `{{`, services after
 * `service`, and recent endpoints after `connect tcp` / `listen udp` …. Pure: the editor turns the
 * answer into its completion items.
 */
import { systemServices } from '../../net/services';
import type { SockFile } from '../ast';
import { keywordSlotAt, VERBS, type KeywordSlot } from './verbs';

/** What a completion is, for its icon. */
export type CompletionKind = 'verb' | 'setting' | 'keyword' | 'transport' | 'payload' | 'record-type' | 'service' | 'variable' | 'builtin' | 'recent';

/** One completion: the word to insert, its kind, and what the list shows beside it. */
export interface Completion {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail?: string;
  /** Markdown. */
  readonly documentation?: string;
}

const BUILTINS = ['$timestamp', '$randomInt 0 100', '$env NAME'];

/** The verbs and settings, with their syntax, text and Python call: built once. */
const STATEMENTS: readonly Completion[] = VERBS.map((v) => ({
  label: v.name,
  kind: v.kind === 'setting' ? 'setting' : 'verb',
  detail: v.forms[0].syntax,
  documentation: v.doc + (v.python ? `\n\nPython: \`${v.python}\`` : ''),
}));

function slotCompletions(slot: KeywordSlot): Completion[] {
  return slot.words.map((label) => {
    if (slot.role !== 'service') return { label, kind: slot.role };
    try {
      return { label, kind: 'service', detail: `port ${systemServices().port(label, label === 'ntp' || label === 'snmp' ? 'udp' : 'tcp').port}` };
    } catch {
      return { label, kind: 'service' };
    }
  });
}

/**
 * The completions for a cursor after `before` (the line's text up to the cursor).
 *
 * @param file the parse of the document, for its variables and listener names
 * @param recent the palette's recent endpoints, keyed `connect-tcp`, `listen-udp`, …
 */
export function completionsAt(before: string, file: SockFile, recent: Readonly<Record<string, unknown>>): Completion[] {
  // Inside `{{` first: `connect tcp {{` wants a variable, not a recent address.
  if (/\{\{[^}]*$/.test(before)) {
    const names = [...file.variables.keys()];
    for (const b of file.blocks) if (b.header?.name) names.push(b.header.name, `${b.header.name}.port`, `${b.header.name}.host`);
    return [...names.map((label): Completion => ({ label, kind: 'variable' })), ...BUILTINS.map((label): Completion => ({ label, kind: 'builtin' }))];
  }
  const endpoint = /^\s*(connect|listen)\s+(tcp|udp|unix|tls)\s+\S*$/.exec(before);
  if (endpoint) {
    const list = recent[`${endpoint[1]}-${endpoint[2]}`];
    return (Array.isArray(list) ? list : []).filter((e): e is string => typeof e === 'string').map((label) => ({ label, kind: 'recent', detail: 'recent address' }));
  }
  const words = before.trimStart().split(/\s+/);
  if (words.length === 1) return STATEMENTS.slice();
  // The word under the cursor is the last one (empty after a space).
  const slot = keywordSlotAt(words[0], words.length - 1, words[words.length - 2]);
  return slot ? slotCompletions(slot) : [];
}
