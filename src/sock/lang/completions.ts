/**
 * What completion offers at a position of a `.sock` line, from the verb table: verbs and settings
 * at the start of a line, each verb's keywords after it, variables inside `{{`, services after
 * `service`, and recent endpoints after `connect tcp` / `listen udp` …; nothing inside a quoted
 * string or a trailing comment. The words are the parser's (`parse/lexer.ts`). Pure: the editor
 * turns the answer into its completion items.
 */
import { systemServices } from '../../net/services';
import type { SockFile } from '../ast';
import { tokenAt } from '../parse/lexer';
import { keywordSlotAt, VERB_BY_NAME, VERBS, type KeywordSlot } from './verbs';

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
 * The completions for a cursor after `before` (the line's text up to the cursor). The words are
 * the parser's ({@link tokenAt}): a quoted string or a `{{…}}` is one word, spaces included, and
 * a trailing comment (`#` or `//` after whitespace) offers nothing.
 *
 * @param file the parse of the document, for its variables and listener names
 * @param recent the palette's recent endpoints, keyed `connect-tcp`, `listen-udp`, …
 */
export function completionsAt(before: string, file: SockFile, recent: Readonly<Record<string, unknown>>): Completion[] {
  const { tokens, index, inWord } = tokenAt(before, before.length);
  // The lexer stops at a trailing comment: text after its last word that is not white space is one.
  if (!inWord && before.slice(tokens.length ? tokens[tokens.length - 1].end : 0).trim()) return [];
  // The word being typed, up to the cursor ('' after a space).
  const word = inWord ? tokens[index].text : '';
  // Inside `{{` first: `connect tcp {{` wants a variable, not a recent address.
  if (/\{\{[^}]*$/.test(word)) {
    const names = [...file.variables.keys()];
    for (const b of file.blocks) if (b.header?.name) names.push(b.header.name, `${b.header.name}.port`, `${b.header.name}.host`);
    return [...names.map((label): Completion => ({ label, kind: 'variable' })), ...BUILTINS.map((label): Completion => ({ label, kind: 'builtin' }))];
  }
  if (index === 0) return STATEMENTS.slice();
  const verb = tokens[0].text;
  // The endpoint after a transport (`connect tcp `, `listen udp `): the recent ones.
  if (index === 2 && VERB_BY_NAME.get(verb)?.keywords.some((s) => s.at === 1 && s.role === 'transport' && s.words.includes(tokens[1].text))) {
    const list = recent[`${verb}-${tokens[1].text}`];
    return (Array.isArray(list) ? list : []).filter((e): e is string => typeof e === 'string').map((label) => ({ label, kind: 'recent', detail: 'recent address' }));
  }
  // A quoted string is a payload or a path: no keyword goes inside it.
  if (word.startsWith('"')) return [];
  const slot = keywordSlotAt(verb, index, tokens[index - 1].text);
  return slot ? slotCompletions(slot) : [];
}
