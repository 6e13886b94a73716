import type { Block, SockFile } from '../../../src/sock/ast';

/** Own enumerable keys, and the getters of the prototype chain (the parser keeps ranges and templates compact, made when read). */
function keysOf(v: object): string[] {
  const keys = new Set(Object.keys(v));
  for (let proto = Object.getPrototypeOf(v) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) if (d.get) keys.add(k);
  }
  return [...keys];
}

/** Plain data of a node, without what a round trip through text cannot keep: ranges and source texts. */
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, strip(x)]);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of keysOf(v).sort()) {
      if (k === 'range' || k === 'source') continue;
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = strip(x);
    }
    return out;
  }
  return v;
}

function block(b: Block): unknown {
  return strip({ index: b.index, title: b.title, header: b.header, steps: b.steps, eol: b.eol, policy: b.policy, tls: b.tls, udp: b.udp });
}

/** A parsed file as plain data, without ranges and source texts: what the printer must keep. */
export function normalize(file: SockFile): unknown {
  return { variables: [...file.variables.values()].map((v) => strip({ name: v.name, value: v.value })), blocks: file.blocks.map(block) };
}
