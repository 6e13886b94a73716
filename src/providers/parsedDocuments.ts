import * as vscode from 'vscode';
import type { SockFile } from '../sock/ast';
import { parseSock, reparseSock } from '../sock/parser';

/**
 * True when the document that closed is the one open at its URI, not an older one: a new
 * untitled document can take a closed one's URI (`untitled:Untitled-1`) before VS Code reports
 * the old one's close, and that late close must not clear what belongs to the new one.
 */
export function closedForGood(doc: vscode.TextDocument): boolean {
  const key = doc.uri.toString();
  return !vscode.workspace.textDocuments.some((d) => d !== doc && d.uri.toString() === key);
}

/** A document's parse, for the document and version it was made from. */
interface Parsed {
  /** The document object: a new document at a closed one's URI (`untitled:Untitled-1`) starts again at version 1. */
  readonly doc: vscode.TextDocument;
  readonly version: number;
  /** The text it was made from, which the next version's parse compares with. */
  readonly text: string;
  readonly file: SockFile;
}

/**
 * The parse of each `.sock` document as it is now, shared by everything the editor does with it.
 * One change asks for the parse several times: the diagnostics, CodeLens, the outline, completion,
 * hover and the inline results of a run each read it, and CodeLens and the outline read every
 * block's header too. A 10,000-block file takes 20–30 ms to parse (`npm run bench`), so they
 * share one parse per document version (`TextDocument.version`, which every change raises); a
 * change within one block's lines reads only that block again (`reparseSock`), every other block
 * staying the same object.
 *
 * Keeps the latest version of each document; forgets a document when it closes. A document opened
 * at the URI of one that just closed (a new untitled file) is parsed anew even if the close has not
 * been seen yet: a parse belongs to one document object. A parse is read-only to its consumers.
 */
export class ParsedDocuments implements vscode.Disposable {
  readonly #parsed = new Map<string, Parsed>();
  /** Parses by document, closed ones too (one number each), for {@link parses}. */
  readonly #counts = new Map<string, number>();
  readonly #closing: vscode.Disposable;
  readonly #invalidated = new vscode.EventEmitter<void>();
  /** Fires when every parse was dropped (the variables given from outside changed): consumers parse again. */
  readonly onDidInvalidate = this.#invalidated.event;

  /** @param given the names of variables given from outside the files (the active environment), which `{{NAME}}` may use */
  constructor(private readonly given: () => ReadonlySet<string> = () => new Set()) {
    this.#closing = vscode.workspace.onDidCloseTextDocument((doc) => {
      if (this.#parsed.get(doc.uri.toString())?.doc === doc) this.#parsed.delete(doc.uri.toString());
    });
  }

  /** Drops every parse: the variables given from outside changed, and with them what is declared. */
  invalidate(): void {
    this.#parsed.clear();
    this.#invalidated.fire();
  }

  /** The parse of `doc` at its current version: made on the first ask for that version. */
  of(doc: vscode.TextDocument): SockFile {
    const key = doc.uri.toString();
    const known = this.#parsed.get(key);
    if (known !== undefined && known.doc === doc && known.version === doc.version) return known.file;
    const text = doc.getText();
    // Typing within a block's lines reads that block again, not the whole file.
    const file = known !== undefined && known.doc === doc ? reparseSock(known, text, { given: this.given() }) : parseSock(text, { given: this.given() });
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.#parsed.set(key, { doc, version: doc.version, text, file });
    return file;
  }

  /** How many times the document at `uri` has been parsed. */
  parses(uri: vscode.Uri): number {
    return this.#counts.get(uri.toString()) ?? 0;
  }

  dispose(): void {
    this.#closing.dispose();
    this.#invalidated.dispose();
    this.#parsed.clear();
  }
}
