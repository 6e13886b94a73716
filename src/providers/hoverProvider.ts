import * as vscode from 'vscode';
import { hoverAt } from '../sock/hoverInfo';
import { hoverMarkdown } from '../sock/hoverMarkdown';
import { Commands, SOCK_LANGUAGE } from './contributions';
import type { ActiveEnvironment } from './environments';
import type { ParsedDocuments } from './parsedDocuments';

/**
 * Hovers over `.sock` text: verbs, payload bytes, variables, addresses, ports, hosts, services,
 * the error codes of `expect error`.
 * They answer from local facts only and send nothing; an address or host offers "Look up …",
 * a link that runs the resolver when clicked.
 */
export function registerHovers(context: vscode.ExtensionContext, parsed: ParsedDocuments, env: ActiveEnvironment): void {
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(
      { language: SOCK_LANGUAGE },
      {
        provideHover(doc, position, token) {
          if (token.isCancellationRequested) return undefined;
          const given = { source: env.active ? `environment "${env.active}"` : 'the shared environment ($shared)', value: (name: string) => env.shown(name) };
          const at = hoverAt(doc.getText(), parsed.of(doc), position.line, position.character, given);
          if (!at) return undefined;
          const md = new vscode.MarkdownString(hoverMarkdown(at.info, { lookupCommand: Commands.lookupHost }));
          // The one command a hover link may run: the lookup, with the hovered text as its argument.
          md.isTrusted = { enabledCommands: [Commands.lookupHost] };
          return new vscode.Hover(md, new vscode.Range(position.line, at.start, position.line, at.end));
        },
      },
    ),
  );
}
