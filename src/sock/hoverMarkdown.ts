/**
 * The text of a `.sock` hover, as Markdown, from what {@link hoverAt} found. Synchronous and
 * from local facts only (the bytes, the parse, `/etc/hosts`, `/etc/services`, the error code
 * table): a hover sends nothing. A network lookup is a command link the person clicks.
 */
import { constants } from 'node:os';
import { errorCodeInfo } from '../net/errorCodes';
import { byteCount, escapeBytes, hexDump, toHex } from '../net/payload';
import type { HoverInfo } from './hoverInfo';

/** Options of {@link hoverMarkdown}. */
export interface HoverMarkdownOptions {
  /**
   * The command a "Look up …" link runs, with the address or host name as its one argument
   * (the editor's `socketLab.lookupHost`); no link when absent.
   */
  readonly lookupCommand?: string;
}

/** Text with every Markdown syntax character escaped (the set VS Code's `appendText` escapes), on one line. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-!~<>|]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/** Inline code when the text has no backtick, else escaped text (a code span cannot hold every backtick run). */
function code(text: string): string {
  return text.includes('`') ? escapeMarkdown(text) : `\`${text}\``;
}

/** A fenced code block; its fence is longer than any run of backticks in `text` (CommonMark §4.5), so a payload's text cannot close it. */
function codeBlock(text: string, language: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `\n\n${fence}${language}\n${text}\n${fence}\n`;
}

/** A `command:` link with its arguments as URI-encoded JSON; `(`, `)` and `'` encoded too, so the link destination stays whole. */
export function commandLink(label: string, command: string, args: readonly unknown[], title: string): string {
  const query = encodeURIComponent(JSON.stringify(args)).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${escapeMarkdown(label)}](command:${command}?${query} "${title.replace(/["\\]/g, '')}")`;
}

function hostsLine(names: readonly string[]): string {
  return names.length > 0 ? `/etc/hosts: ${names.map(code).join(', ')}` : 'not in /etc/hosts';
}

function lookupLine(target: string, reverse: boolean, options: HoverMarkdownOptions): string {
  if (!options.lookupCommand) return '';
  const how = reverse ? 'gethostbyaddr' : 'gethostbyname';
  return `\n\n${commandLink(`Look up ${target}`, options.lookupCommand, [target], `${how} through the system resolver, which may send a DNS query`)}`;
}

/**
 * What an error code means (`net/errorCodes.ts`): its origin and hint, what happened on the wire,
 * the Python exception a program would see, Node's `err.code`, and its typical cause in a `.sock`
 * file. For an errno code, Python's message with this machine's errno number (`os.constants.errno`).
 *
 * @returns Markdown, or undefined for a code the table does not know
 */
export function errorCodeMarkdown(code: string): string | undefined {
  const e = errorCodeInfo(code);
  if (!e) return undefined;
  const family = e.code.endsWith('…') ? ` (one of the \`${e.code}\` codes)` : '';
  const errno = e.strerror ? (constants.errno as Record<string, number | undefined>)[e.code] : undefined;
  // strerror's text is Linux's (glibc); elsewhere the number alone.
  const message = e.strerror && errno !== undefined ? (process.platform === 'linux' ? ` Its message: \`[Errno ${errno}] ${e.strerror}\`.` : ` Its errno here: ${errno}.`) : '';
  return [
    `**${escapeMarkdown(code)}**${family} — ${e.origin}${e.hint ? `: ${escapeMarkdown(e.hint)}` : ''}`,
    `On the wire: ${e.wire}`,
    `In Python: ${e.python}.${message}`,
    ...(e.origin === 'Socket Lab' ? [] : [family ? `In Node: \`err.code\` starts with \`${e.code.slice(0, -1)}\`` : `In Node: \`err.code\` is \`'${e.code}'\``]),
    `Typical cause (§10.3): ${e.cause}`,
  ].join('\n\n');
}

/**
 * The Markdown of a hover.
 *
 * @returns CommonMark; when `options.lookupCommand` is set, addresses and host names end with a
 *   `command:` link that the editor must allow (`isTrusted: { enabledCommands }`)
 */
export function hoverMarkdown(info: HoverInfo, options: HoverMarkdownOptions = {}): string {
  switch (info.kind) {
    case 'verb':
      return `**${info.verb}** — ${info.doc}` + codeBlock(info.syntax.join('\n'), 'text') + (info.python ? `\nPython: ${codeBlock(info.python, 'python')}` : '');
    case 'payload':
      return `**${byteCount(info.bytes.length)}**: ${escapeMarkdown(`"${escapeBytes(info.bytes, 200)}"`)}` + (info.bytes.length > 0 ? codeBlock(hexDump(info.bytes.subarray(0, 256)) + (info.bytes.length > 256 ? '…' : ''), 'text') : '');
    case 'fields': {
      const widths = [6, 24];
      const lines = info.rows.map((r, i) => {
        const offset = r.offset === undefined ? '?' : String(r.offset);
        const bytes = r.bytes ? toHex(r.bytes.subarray(0, 8)) + (r.bytes.length > 8 ? ' …' : '') : r.label === '( … )' ? '' : r.size === undefined ? '(when sent)' : `(${r.size} bytes when sent)`;
        const mark = i === info.at ? '▶' : ' ';
        return `${mark} ${offset.padEnd(widths[0])} ${bytes.padEnd(widths[1])} ${'  '.repeat(r.depth)}${r.label}`;
      });
      const head = info.size !== undefined ? `**${byteCount(info.size)}**` : '**a field payload**: a variable or a file decides some of its bytes';
      return head + codeBlock(['  offset bytes                    part', ...lines].join('\n'), 'text');
    }
    case 'payload-error':
      return escapeMarkdown(info.message);
    case 'variable':
      return `**{{${escapeMarkdown(info.name)}}}**` + (info.value !== undefined ? ` = ${escapeMarkdown(info.value)}` : '') + (info.note ? ` — ${escapeMarkdown(info.note)}` : '');
    case 'address':
      return `**IPv${info.family} address** \`${info.address}\`\n\npacked (${info.family === 4 ? 'inet_aton' : 'inet_pton'}): \`${toHex(info.packed)}\`\n\n${hostsLine(info.hosts)}${lookupLine(info.address, true, options)}`;
    case 'port':
      return `**port ${info.port}**` + (info.service ? ` — service \`${info.service}\` (/etc/services)` : '');
    case 'service':
      return `**service ${code(info.name)}/${info.proto}**` + (info.port !== undefined ? ` — port ${info.port} (/etc/services)` : ' — not in the services table');
    case 'host':
      return `**host** ${code(info.name)}\n\n${hostsLine(info.hosts)}${lookupLine(info.name, false, options)}`;
    case 'error-code':
      return errorCodeMarkdown(info.code) ?? `**${escapeMarkdown(info.code)}** — not a code Socket Lab knows (§10.3). \`expect error\` compares codes exactly, so it passes only for an error whose code is ${code(info.code)}.`;
  }
}
