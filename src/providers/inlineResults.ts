import * as vscode from 'vscode';
import { escapeBytes } from '../net/payload';
import type { Block } from '../sock/ast';
import { resultHoverMarkdown } from '../sock/resultHover';
import type { StepEvent } from '../sock/runEvents';
import { closedForGood, type ParsedDocuments } from './parsedDocuments';

const MAX_TEXT = 120;

/** What a step line shows after a run, at the end of the line. */
export function resultText(e: StepEvent): string {
  const arrow = e.direction === 'in' ? '←' : '→';
  const mark = e.status === 'pass' ? '✓' : e.status === 'fail' ? '✗' : e.status === 'error' ? (e.expected ? '·' : '✗') : e.verb === 'load' ? '≋' : arrow;
  const who = e.listener ? `[${e.listener} ${e.session ?? ''}] ` : '';
  const preview = e.payload && e.payload.length > 0 ? `  "${escapeBytes(e.payload, 40)}"` : '';
  const text = `${mark} ${who}${e.detail ?? e.status}${preview}`;
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT - 1) + '…' : text;
}

/**
 * The results of the last run of each step, shown at the end of its line (cleared when its block
 * is edited); failed steps also become diagnostics, apart from the parser's.
 */
export class InlineResults implements vscode.Disposable {
  private readonly results = new Map<string, Map<number, StepEvent>>();
  /** Lines of steps a block did not reach in its last run, by document: what they say instead. */
  private readonly notRun = new Map<string, Map<number, string>>();
  private readonly passed = vscode.window.createTextEditorDecorationType({ after: { color: new vscode.ThemeColor('testing.iconPassed'), margin: '0 0 0 2em' } });
  private readonly failed = vscode.window.createTextEditorDecorationType({ after: { color: new vscode.ThemeColor('testing.iconFailed'), margin: '0 0 0 2em' } });
  private readonly info = vscode.window.createTextEditorDecorationType({ after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em' } });
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('socket-lab-run');
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly parsed: ParsedDocuments) {
    this.subscriptions = [
      vscode.window.onDidChangeVisibleTextEditors(() => this.renderAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.clearEdited(e)),
      vscode.workspace.onDidCloseTextDocument((doc) => closedForGood(doc) && this.clear(doc.uri)),
    ];
  }

  /** Records a step's outcome for its line and shows it. */
  record(uri: vscode.Uri, e: StepEvent): void {
    const key = uri.toString();
    let lines = this.results.get(key);
    if (!lines) this.results.set(key, (lines = new Map()));
    lines.set(e.line, e);
    this.render(uri);
  }

  /** A block begins: the results an earlier run left on its lines go. */
  blockStarted(uri: vscode.Uri, block: Block): void {
    const key = uri.toString();
    for (const lines of [this.results.get(key), this.notRun.get(key)]) {
      for (const line of [...(lines?.keys() ?? [])]) if (line >= block.range.start.line && line <= block.range.end.line) lines?.delete(line);
    }
    this.render(uri);
  }

  /**
   * A client block ended early (an expect failed, a step raised an error): each of its steps that
   * has no result from this run says it did not run, and why.
   */
  blockStopped(uri: vscode.Uri, block: Block): void {
    const key = uri.toString();
    const lines = this.results.get(key);
    const reached = [...(lines?.keys() ?? [])].filter((l) => l >= block.range.start.line && l <= block.range.end.line);
    if (reached.length === 0) return;
    const last = Math.max(...reached);
    let skipped = this.notRun.get(key);
    if (!skipped) this.notRun.set(key, (skipped = new Map()));
    for (const step of block.steps) {
      const line = step.range.start.line;
      if (line > last && !lines?.has(line)) skipped.set(line, `· not run: the step on line ${last + 1} ended the block`);
    }
    this.render(uri);
  }

  /** The text shown at the end of each line, for the integration tests. */
  shown(uri: vscode.Uri): Map<number, string> {
    const key = uri.toString();
    return new Map([...[...(this.results.get(key) ?? new Map<number, StepEvent>())].map(([line, e]): [number, string] => [line, resultText(e)]), ...(this.notRun.get(key) ?? [])]);
  }

  clear(uri: vscode.Uri): void {
    this.results.delete(uri.toString());
    this.notRun.delete(uri.toString());
    this.render(uri);
  }

  /** An edit inside a block clears the results of that block's lines. */
  private clearEdited(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const maps: Map<number, unknown>[] = [];
    for (const m of [this.results.get(key), this.notRun.get(key)]) if (m) maps.push(m);
    if (maps.length === 0 || e.contentChanges.length === 0) return;
    const blocks = this.parsed.of(e.document).blocks;
    for (const change of e.contentChanges) {
      const block = blocks.find((b) => change.range.start.line >= b.range.start.line && change.range.start.line <= b.range.end.line);
      for (const lines of maps) {
        for (const line of [...lines.keys()]) {
          if (!block || (line >= block.range.start.line && line <= block.range.end.line + change.text.split('\n').length)) lines.delete(line);
        }
      }
    }
    this.render(e.document.uri);
  }

  private renderAll(): void {
    for (const key of this.results.keys()) this.render(vscode.Uri.parse(key));
  }

  private render(uri: vscode.Uri): void {
    const lines = this.results.get(uri.toString()) ?? new Map<number, StepEvent>();
    const passed: vscode.DecorationOptions[] = [];
    const failed: vscode.DecorationOptions[] = [];
    const info: vscode.DecorationOptions[] = [];
    const problems: vscode.Diagnostic[] = [];
    for (const [line, e] of lines) {
      const range = new vscode.Range(line, Number.MAX_SAFE_INTEGER, line, Number.MAX_SAFE_INTEGER);
      const option: vscode.DecorationOptions = { range, renderOptions: { after: { contentText: resultText(e) } } };
      // A load's table, or what an error's code means: the hover of the whole line.
      const hover = resultHoverMarkdown(e);
      if (hover) {
        option.range = new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER);
        option.hoverMessage = new vscode.MarkdownString(hover);
      }
      if (e.status === 'pass') passed.push(option);
      else if (e.status === 'fail' || (e.status === 'error' && !e.expected)) {
        failed.push(option);
        const d = new vscode.Diagnostic(new vscode.Range(line, e.column, line, e.column + e.source.length), `${e.source}: ${e.detail ?? e.status}`, vscode.DiagnosticSeverity.Error);
        d.source = 'socket-lab run';
        if (e.code) d.code = e.code;
        problems.push(d);
      } else info.push(option);
    }
    for (const [line, text] of this.notRun.get(uri.toString()) ?? []) {
      info.push({ range: new vscode.Range(line, Number.MAX_SAFE_INTEGER, line, Number.MAX_SAFE_INTEGER), renderOptions: { after: { contentText: text } } });
    }
    this.diagnostics.set(uri, problems);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri.toString()) continue;
      editor.setDecorations(this.passed, passed);
      editor.setDecorations(this.failed, failed);
      editor.setDecorations(this.info, info);
    }
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.passed.dispose();
    this.failed.dispose();
    this.info.dispose();
    this.diagnostics.dispose();
  }
}
