/**
 * Which group a computed field of a field payload covers (spec §4.6), stated once for the parser,
 * the payload builder and hover: a `TYPE len` counts the next `( … )` group at its level, and a
 * checksum covers the group right before it.
 */
import type { FieldPart } from './ast';

/**
 * The index in `parts` of the group that `parts[i]` covers: the next group at the level for a
 * length field, the part just before for a checksum (when it is a group).
 * @returns the group's index, or -1 when there is none (the parser reports that) or `parts[i]`
 *   computes nothing
 */
export function coveredGroup(parts: readonly FieldPart[], i: number): number {
  const part = parts[i];
  if (part.kind === 'checksum') return parts[i - 1]?.kind === 'group' ? i - 1 : -1;
  if (part.kind !== 'length') return -1;
  for (let g = i + 1; g < parts.length; g++) if (parts[g].kind === 'group') return g;
  return -1;
}
