/**
 * The hover of a step's result, shown at the end of its line after a run. Pure: it reads the
 * step's event and the error code table (`net/errorCodes.ts`), and sends nothing.
 */
import { errorCodeMarkdown, escapeMarkdown } from './hoverMarkdown';
import { loadTable } from './run/load';
import type { StepEvent } from './runEvents';

/**
 * The Markdown of a step result's hover: a load's latency table (§8.15), too wide for the line's
 * end; for a step that erred, its message and what its code means (§10.3): what happened on the
 * wire, the Python exception, the typical cause.
 *
 * @returns undefined for a step whose line says it all (a pass, a send, a failed expect)
 */
export function resultHoverMarkdown(e: StepEvent): string | undefined {
  if (e.load) return `**${e.source}**: ${e.detail ?? ''}\n\n\`\`\`text\n${loadTable(e.load).join('\n')}\n\`\`\``;
  if (e.status !== 'error' || e.code === undefined) return undefined;
  const meaning = errorCodeMarkdown(e.code);
  const head = `**${escapeMarkdown(e.source)}**${e.expected ? ' (an expected error)' : ''}: ${escapeMarkdown(e.detail ?? e.code)}`;
  return meaning ? `${head}\n\n---\n\n${meaning}` : head;
}
