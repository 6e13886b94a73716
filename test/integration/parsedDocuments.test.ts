import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { ParsedDocuments } from '../../src/providers/parsedDocuments';

/** A document as the editor hands it over: a URI, a version and its text. */
function doc(uri: vscode.Uri, version: number, text: string): vscode.TextDocument {
  return { uri, version, getText: () => text } as unknown as vscode.TextDocument;
}

describe('one parse per document version', () => {
  it('a new untitled document at a closed one\'s URI and version is parsed anew, even before the close is seen', () => {
    // An untitled file closed and a new one opened get the same URI (untitled:Untitled-1) and both
    // start at version 1; the close event may come after the new document's first hover.
    const parsed = new ParsedDocuments();
    const uri = vscode.Uri.parse('untitled:Untitled-42');
    const first = doc(uri, 1, '### first\nlookup 127.0.0.1\n');
    const second = doc(uri, 1, '### second\nlookup 10.0.0.7\n');
    assert.equal(parsed.of(first).blocks[0].title, 'first');
    assert.equal(parsed.of(first), parsed.of(first), 'the same document and version share one parse');
    assert.equal(parsed.of(second).blocks[0].title, 'second');
    assert.equal(parsed.parses(uri), 2);
    parsed.dispose();
  });
});
