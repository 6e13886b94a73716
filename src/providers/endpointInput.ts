import * as vscode from 'vscode';
import type { Endpoint, Transport } from '../net/address';
import { parseEndpointInput } from '../net/endpointInput';
import { pickOrType, type PickItem } from './quickInput';

/** Where the recent endpoints of each command are kept (global state), for the pickers and completion. */
export const RECENT_ENDPOINTS_KEY = 'socketLab.recentEndpoints';
const RECENT_MAX = 5;

/** The recent list with `value` first, without duplicates, at most {@link RECENT_MAX} long. */
export function withRecent(list: readonly string[], value: string): string[] {
  return [value, ...list.filter((v) => v !== value)].slice(0, RECENT_MAX);
}

/**
 * Asks for an endpoint in one picker: the addresses offered (`offered`, e.g. the running
 * listeners a client may connect to), then the recent ones for this command; or type one, checked
 * as you type (a URL gives its host and port). Remembers the answer.
 *
 * @returns the endpoint, or undefined when the person cancelled
 */
export async function askEndpoint(context: vscode.ExtensionContext, transport: Transport, listener: boolean, defaultHost: string, offered: readonly { readonly address: string; readonly description: string }[] = []): Promise<Endpoint | undefined> {
  const all = context.globalState.get<Record<string, string[]>>(RECENT_ENDPOINTS_KEY, {});
  const key = `${listener ? 'listen' : 'connect'}-${transport}`;
  const recent = Array.isArray(all[key]) ? all[key] : [];
  const items: PickItem[] = offered.map((o) => ({ label: o.address, description: o.description, value: o.address }));
  // A listener's quickest answer: a free port on the default host.
  if (listener && transport !== 'unix') items.push({ label: `${defaultHost}:0`, description: 'a free port', value: `${defaultHost}:0` });
  for (const r of recent) if (!items.some((i) => i.value === r)) items.push({ label: r, description: 'recent', value: r });
  const example = transport === 'unix' ? '/tmp/lab.socket' : listener ? `${defaultHost}:8080, a port alone (8080), or 0 for a free port` : '127.0.0.1:8080, [::1]:8080 or a URL';
  const picked = await pickOrType({
    title: `${listener ? 'Listen' : 'Connect'} (${transport.toUpperCase()})`,
    placeholder: items.length > 0 ? `Choose, or type an address: ${example}` : `Type an address: ${example}`,
    items,
    check: (text) => {
      const r = parseEndpointInput(text, transport, listener, defaultHost);
      return typeof r === 'string' ? { ok: false, problem: r } : { ok: true, description: listener ? 'listen here' : 'connect here' };
    },
  });
  if (!picked) return undefined;
  const endpoint = parseEndpointInput(picked.value, transport, listener, defaultHost);
  if (typeof endpoint === 'string') {
    void vscode.window.showErrorMessage(`Socket Lab: "${picked.value}": ${endpoint}`);
    return undefined;
  }
  await context.globalState.update(RECENT_ENDPOINTS_KEY, { ...all, [key]: withRecent(recent, picked.value) });
  return endpoint;
}
