import * as vscode from 'vscode';
import { byteCount, escapeBytes, hexDump, toHex } from '../net/payload';
import { lookup, reverseLookup } from '../net/resolver';
import { hoverAt, type HoverInfo } from '../sock/hoverInfo';
import { SOCK_LANGUAGE } from './contributions';
import type { ParsedDocuments } from './parsedDocuments';

const CACHE_MS = 60_000;

/** Resolver answers for hovers, cached for a minute so moving the mouse does not repeat lookups. */
class ResolverCache {
  private readonly entries = new Map<string, { at: number; answer: Promise<string> }>();

  get(key: string, compute: () => Promise<string>): Promise<string> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.answer;
    const answer = compute().catch((err: Error) => `no answer: ${err.message}`);
    this.entries.set(key, { at: Date.now(), answer });
    return answer;
  }
}

/** Waits for `p`, or gives up (undefined) when the hover is cancelled. */
function unlessCancelled<T>(p: Promise<T>, token: vscode.CancellationToken): Promise<T | undefined> {
  return new Promise((resolve) => {
    const sub = token.onCancellationRequested(() => resolve(undefined));
    void p.then((v) => {
      sub.dispose();
      resolve(v);
    });
  });
}

/** Turns hover info into markdown; network answers only in a trusted workspace. */
async function render(info: HoverInfo, cache: ResolverCache, token: vscode.CancellationToken): Promise<vscode.MarkdownString | undefined> {
  const md = new vscode.MarkdownString();
  const trusted = vscode.workspace.isTrusted;
  switch (info.kind) {
    case 'verb':
      md.appendMarkdown(`**${info.verb}** — ${info.doc}`);
      if (info.python) md.appendMarkdown('\n\nPython: ').appendCodeblock(info.python, 'python');
      return md;
    case 'payload':
      md.appendMarkdown(`**${byteCount(info.bytes.length)}**: `).appendText(`"${escapeBytes(info.bytes, 200)}"`);
      if (info.bytes.length > 0) md.appendCodeblock(hexDump(info.bytes.subarray(0, 256)) + (info.bytes.length > 256 ? '…' : ''), 'text');
      return md;
    case 'payload-error':
      return md.appendText(info.message);
    case 'variable':
      md.appendMarkdown(`**{{${info.name}}}**`);
      if (info.value !== undefined) md.appendMarkdown(' = ').appendText(info.value);
      if (info.note) md.appendText(` — ${info.note}`);
      return md;
    case 'address': {
      md.appendMarkdown(`**IPv${info.family} address** \`${info.address}\`\n\npacked (${info.family === 4 ? 'inet_aton' : 'inet_pton'}): \`${toHex(info.packed)}\``);
      if (trusted) {
        const name = await unlessCancelled(cache.get(`ptr:${info.address}`, () => reverseLookup(info.address)), token);
        if (name === undefined) return undefined;
        md.appendMarkdown('\n\nname (gethostbyaddr): ').appendText(name);
      }
      return md;
    }
    case 'port':
      md.appendMarkdown(`**port ${info.port}**`);
      if (info.service) md.appendMarkdown(` — service \`${info.service}\` (getservbyport)`);
      return md;
    case 'service':
      md.appendMarkdown(`**service \`${info.name}\`/${info.proto}**`).appendMarkdown(info.port !== undefined ? ` — port ${info.port} (getservbyname)` : ' — not in the services table');
      return md;
    case 'host': {
      md.appendMarkdown(`**host** \`${info.name}\``);
      if (!trusted) return md.appendMarkdown('\n\n(not resolved in an untrusted workspace)');
      const addresses = await unlessCancelled(cache.get(`a:${info.name}`, async () => (await lookup(info.name)).map((a) => a.address).join(', ')), token);
      if (addresses === undefined) return undefined;
      return md.appendMarkdown('\n\naddresses (gethostbyname): ').appendText(addresses);
    }
  }
}

/** Hovers over `.sock` text: verbs, payload bytes, variables, addresses, ports, hosts, services. */
export function registerHovers(context: vscode.ExtensionContext, parsed: ParsedDocuments): void {
  const cache = new ResolverCache();
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(
      { language: SOCK_LANGUAGE },
      {
        async provideHover(doc, position, token) {
          const at = hoverAt(doc.getText(), parsed.of(doc), position.line, position.character);
          if (!at || token.isCancellationRequested) return undefined;
          const md = await render(at.info, cache, token);
          return md ? new vscode.Hover(md, new vscode.Range(position.line, at.start, position.line, at.end)) : undefined;
        },
      },
    ),
  );
}
