import * as vscode from 'vscode';
import { convertAddress } from '../net/addressConversion';
import { SocketLabError } from '../net/errors';
import { lookupHost } from '../net/resolver';
import { systemServices } from '../net/services';
import { Commands, SOCK_LANGUAGE } from './contributions';

/** A scratch file to start from: a listener, a client for it, and a lookup. */
const SCRATCH_TEMPLATE = `# A Socket Lab scratch file: blocks separated by ###, run with "Socket Lab: Run File".
# The language is described in docs/sock-language.md of Socket Lab.

### A server: bind, listen, accept, greet, close
listen tcp 127.0.0.1:0 as greeter
send "Thank you for connecting\\n"
close

### A client: connect, recv(1024)
connect tcp {{greeter}}
recv 1024
expect "Thank you"

### Lookups
lookup localhost
service http tcp
aton 127.0.0.1
`;

/**
 * Answers a lookup typed in an input box (or passed as the command's argument), shows the answer
 * with a Copy action and logs it. Never throws: a bad input is a message.
 */
async function answer(log: vscode.LogOutputChannel, question: string, compute: () => Promise<string>): Promise<string | undefined> {
  try {
    const result = await compute();
    log.info(`${question} → ${result}`);
    void vscode.window.showInformationMessage(`${question} → ${result}`, 'Copy').then((c) => (c ? vscode.env.clipboard.writeText(result) : undefined));
    return result;
  } catch (err) {
    const message = err instanceof SocketLabError || err instanceof Error ? err.message : String(err);
    log.error(`${question}: ${message}`);
    void vscode.window.showErrorMessage(`Socket Lab: ${message}`);
    return undefined;
  }
}

async function ask(arg: unknown, prompt: string, placeHolder: string): Promise<string | undefined> {
  if (typeof arg === 'string') return arg.trim();
  const v = await vscode.window.showInputBox({ prompt, placeHolder, ignoreFocusOut: true, validateInput: (t) => (t.trim() ? undefined : 'Type something to look up') });
  return v?.trim();
}

/** Registers the lookup commands (host, service, address conversion) and "New Scratch File". */
export function registerLookupCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.lookupHost, async (arg?: unknown) => {
      const q = await ask(arg, 'A host name (forward lookup) or an address (reverse lookup)', 'localhost or 127.0.0.1');
      if (!q) return undefined;
      return answer(log, q, () => lookupHost(q));
    }),
    vscode.commands.registerCommand(Commands.lookupService, async (arg?: unknown) => {
      const q = await ask(arg, 'A service name or port, optionally with tcp or udp', 'http, 80, or ntp udp');
      if (!q) return undefined;
      const [what, proto = 'tcp'] = q.split(/\s+/);
      return answer(log, q, async () => {
        if (proto !== 'tcp' && proto !== 'udp') throw new SocketLabError('ESERVICE', `the protocol is tcp or udp, not "${proto}"`);
        return systemServices().lookup(what, proto);
      });
    }),
    vscode.commands.registerCommand(Commands.convertAddress, async (arg?: unknown) => {
      const q = await ask(arg, 'An address to pack (127.0.0.1, ::1) or packed bytes in hex to unpack (7f000001)', '127.0.0.1');
      if (!q) return undefined;
      return answer(log, q, async () => convertAddress(q));
    }),
    // `{ beside: true }`: the walkthrough's button, so the file opens next to the walkthrough.
    vscode.commands.registerCommand(Commands.newScratchFile, async (options?: { beside?: boolean }) => {
      const doc = await vscode.workspace.openTextDocument({ language: SOCK_LANGUAGE, content: SCRATCH_TEMPLATE });
      await vscode.window.showTextDocument(doc, options?.beside === true ? vscode.ViewColumn.Beside : undefined);
      return doc.uri.toString();
    }),
  );
}
