import * as vscode from 'vscode';
import { formatEndpoint, type Endpoint, type Transport } from '../net/address';
import { parseEndpointInput } from '../net/endpointInput';
import { SocketLabError, TLS_VERIFY_CODES, withoutSockAdvice } from '../net/errors';
import type { SocketManager } from '../net/manager';
import type { SocketOwner } from '../net/owner';
import { parsePayloadInput } from '../net/payloadInput';
import { endpointLabel, type EndpointRegistry } from '../net/registry';
import { askEndpoint } from './endpointInput';
import { askPayload } from './payloadInput';
import { Commands, CONNECTIONS_VIEW } from './contributions';
import { readSettings } from './settings';

/** What the socket commands work with. */
export interface SocketCommandDeps {
  readonly manager: SocketManager;
  /** The owner of every socket, palette and `.sock` runs alike: close, Stop All and Clear Closed go through it. */
  readonly owner: SocketOwner;
  readonly registry: EndpointRegistry;
  readonly log: vscode.LogOutputChannel;
  readonly tree: vscode.TreeView<string>;
}

/** Certificate verification failures, after which a person may choose to connect anyway. */

/** A tree node (its id) or nothing, as VS Code passes it to commands run from the tree. */
type Target = string | undefined;

/**
 * Shows an error as a notification with a "Show Log" action, and logs it. Never throws: a bad
 * input or a refused connection must leave the extension working.
 */
async function reportError(log: vscode.LogOutputChannel, err: unknown): Promise<void> {
  const message = err instanceof SocketLabError ? err.message : err instanceof Error ? err.message : String(err);
  log.error(message);
  const choice = await vscode.window.showErrorMessage(`Socket Lab: ${message}`, 'Show Log');
  if (choice === 'Show Log') log.show(true);
}

/**
 * Resolves an endpoint from a command argument (`"127.0.0.1:0"`, as the tests and keybindings
 * pass it) or, without one, from an input box.
 */
async function endpointFrom(context: vscode.ExtensionContext, registry: EndpointRegistry, arg: unknown, transport: Transport, listener: boolean): Promise<Endpoint | undefined> {
  const host = readSettings().defaultBindHost;
  if (typeof arg === 'string') {
    const ep = parseEndpointInput(arg, transport, listener, host);
    if (typeof ep === 'string') throw new SocketLabError('EBADADDR', `"${arg}": ${ep}`);
    return ep;
  }
  // A client is offered the running listeners of its transport first.
  const offered = listener ? [] : registry.all().filter((r) => r.kind === 'listener' && r.state === 'listening' && r.transport === transport).map((r) => ({ address: r.local, description: `running listener${r.name ? ` ${r.name}` : ''} (${r.id})` }));
  return askEndpoint(context, transport, listener, host, offered);
}

/** Picks an open connection when a command is run from the palette without a target. */
async function pickConnection(registry: EndpointRegistry, title: string, kinds: readonly string[]): Promise<string | undefined> {
  const open = registry.all().filter((r) => kinds.includes(r.kind) && (r.state === 'open' || r.state === 'half-closed' || r.state === 'listening'));
  if (open.length === 0) {
    void vscode.window.showInformationMessage(`Socket Lab: nothing to ${title.toLowerCase()}: start a listener or connect a client first.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    open.map((r) => ({ label: endpointLabel(r), description: `${r.kind === 'accepted' ? `accepted by ${registry.get(r.listener ?? '')?.name ?? r.listener}` : r.kind} · ${r.id}`, id: r.id })),
    { title, placeHolder: kinds.every((k) => k === 'listener') ? 'Choose a listener: its connections (or peers) each get the payload' : kinds.includes('listener') ? 'Choose a listener or a connection' : 'Choose a connection' },
  );
  return pick?.id;
}

/** Registers the palette and tree commands that open, use and close sockets by hand. */
export function registerSocketCommands(context: vscode.ExtensionContext, deps: SocketCommandDeps): void {
  const { manager, owner, registry, log, tree } = deps;
  const guarded =
    <A extends unknown[]>(f: (...args: A) => Promise<unknown>) =>
    async (...args: A): Promise<unknown> => {
      try {
        return await f(...args);
      } catch (err) {
        await reportError(log, err);
        return undefined;
      }
    };

  // A listener at its limit turns clients away: one notification per listener says so, not one
  // per client; the log has a line for each, and the tree counts them.
  const warned = new Set<string>();
  const unsubscribe = manager.bus.subscribe((e) => {
    if (e.type !== 'drop' || warned.has(e.id) || !manager.has(e.id)) return;
    warned.add(e.id);
    const r = registry.get(e.id);
    const max = readSettings().maxConnections;
    const why = e.reason === 'max-conns' ? `it is at its limit of ${max} connection${max === 1 ? '' : 's'} (socketLab.maxConnections)` : 'that peer is not allowed';
    const message = `Socket Lab: listener ${e.id}${r ? ` (${r.transport} ${r.local})` : ''} turned away ${e.remote}: ${why}. Any more are counted in the tree and the log.`;
    log.warn(message);
    void vscode.window.showWarningMessage(message, 'Show Log').then((choice) => {
      if (choice === 'Show Log') log.show(true);
    });
  });
  context.subscriptions.push({ dispose: unsubscribe });

  const listen = (transport: Transport) =>
    guarded(async (arg?: unknown) => {
      const ep = await endpointFrom(context, registry, arg, transport, true);
      if (!ep) return undefined;
      const id = await manager.listen(ep);
      const rec = registry.get(id);
      void vscode.window.setStatusBarMessage(`Socket Lab: listening on ${rec ? `${rec.transport} ${rec.local}` : formatEndpoint(ep)}`, 5000);
      return id;
    });

  const connect = (transport: Transport) =>
    guarded(async (arg?: unknown, options?: { insecure?: boolean }) => {
      const ep = await endpointFrom(context, registry, arg, transport, false);
      if (!ep) return undefined;
      const open = (insecure: boolean): Thenable<string> =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Connecting to ${formatEndpoint(ep)}` }, () => manager.connect(ep, transport === 'tls' ? { insecure } : undefined));
      try {
        return await open(options?.insecure === true);
      } catch (err) {
        // A certificate that does not verify: say why, and offer to connect anyway, explicitly.
        if (transport !== 'tls' || !(err instanceof SocketLabError) || !TLS_VERIFY_CODES.has(err.code)) throw err;
        log.warn(err.message);
        const choice = await vscode.window.showWarningMessage(`Socket Lab: ${withoutSockAdvice(err.message)}`, { modal: false }, 'Connect Without Verifying');
        if (choice !== 'Connect Without Verifying') return undefined;
        return open(true);
      }
    });

  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.startTcpListener, listen('tcp')),
    vscode.commands.registerCommand(Commands.startUdpListener, listen('udp')),
    vscode.commands.registerCommand(Commands.startUnixListener, listen('unix')),
    vscode.commands.registerCommand(Commands.connectTcp, connect('tcp')),
    vscode.commands.registerCommand(Commands.connectUdp, connect('udp')),
    vscode.commands.registerCommand(Commands.connectUnix, connect('unix')),
    vscode.commands.registerCommand(Commands.connectTls, connect('tls')),
    vscode.commands.registerCommand(
      Commands.send,
      guarded(async (target: Target, payload?: string) => {
        const id = target ?? (await pickConnection(registry, 'Send', ['client', 'accepted', 'peer']));
        if (!id) return undefined;
        const bytes = typeof payload === 'string' ? parsePayloadInput(payload) : await askPayload(id);
        if (typeof bytes === 'string') throw new SocketLabError('EBADPAYLOAD', bytes);
        if (!bytes) return undefined;
        await manager.send(id, bytes);
        return bytes.length;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.sendToAll,
      guarded(async (target: Target, payload?: string) => {
        const id = target ?? (await pickConnection(registry, 'Send to all', ['listener']));
        if (!id) return undefined;
        const bytes = typeof payload === 'string' ? parsePayloadInput(payload) : await askPayload(`every connection of ${id}`);
        if (typeof bytes === 'string') throw new SocketLabError('EBADPAYLOAD', bytes);
        if (!bytes) return undefined;
        const n = await manager.sendToAll(id, bytes);
        const what = registry.get(id)?.transport === 'udp' ? 'peer' : 'connection';
        void vscode.window.setStatusBarMessage(`Socket Lab: sent ${bytes.length} bytes to ${n} ${what}${n === 1 ? '' : 's'}`, 5000);
        return n;
      }),
    ),
    vscode.commands.registerCommand(
      Commands.close,
      guarded(async (target: Target) => {
        const id = target ?? (await pickConnection(registry, 'Close', ['listener', 'client', 'accepted']));
        if (id) await owner.close(id);
      }),
    ),
    vscode.commands.registerCommand(
      Commands.stopAll,
      guarded(async () => {
        await owner.closeAll();
        void vscode.window.setStatusBarMessage('Socket Lab: every listener and connection is closed', 5000);
      }),
    ),
    vscode.commands.registerCommand(
      Commands.clearClosed,
      guarded(async () => {
        // After a Stop All or ✕ still under way: what they close is cleared too.
        await owner.settled();
        registry.clearClosed();
      }),
    ),
    vscode.commands.registerCommand(
      Commands.copyAddress,
      guarded(async (target: Target) => {
        const r = target ? registry.get(target) : undefined;
        if (r) await vscode.env.clipboard.writeText(r.kind === 'listener' ? r.local : (r.remote ?? r.local));
      }),
    ),
    vscode.commands.registerCommand(Commands.showLog, () => log.show(true)),
    vscode.commands.registerCommand(
      Commands.revealTree,
      guarded(async () => {
        // VS Code makes a `<view id>.focus` command for every view.
        await vscode.commands.executeCommand(`${CONNECTIONS_VIEW}.focus`);
        const first = registry.all()[0]?.id;
        if (!first || !tree.visible) return;
        // A view that was hidden has not loaded its nodes yet, and reveal() of an unknown node
        // throws: try again once it has had a moment; the view is shown either way.
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            await tree.reveal(first, { focus: true, select: false });
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }),
    ),
  );
}
