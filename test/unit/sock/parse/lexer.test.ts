// The lexer splits a line into words as the parser reads it, and tokenAt finds the word at an
// offset of a whole text for hover and completion: quoted strings and `{{…}}` whole, a trailing
// comment only after whitespace, CRLF lines without their CR.
import { strict as assert } from 'node:assert';
import { lineTokens, tokenAt, type Token } from '../../../../src/sock/parse/lexer';

/** The words as `text@start`, for short assertions. */
function words(tokens: readonly Token[]): string[] {
  return tokens.map((t) => {
    assert.equal(t.end - t.start, t.text.length, `${t.text}: its columns span its text`);
    return `${t.text}@${t.start}`;
  });
}

describe('lineTokens (the words of a line)', () => {
  it('splits words at white space, tabs and runs of spaces included', () => {
    assert.deepEqual(words(lineTokens('connect tcp 127.0.0.1:80')), ['connect@0', 'tcp@8', '127.0.0.1:80@12']);
    assert.deepEqual(words(lineTokens('  recv\t until   ')), ['recv@2', 'until@8']);
    assert.deepEqual(lineTokens(''), []);
    assert.deepEqual(lineTokens(' \t '), []);
  });

  it('keeps a quoted string whole, with its spaces, its #, its // and its escaped quotes', () => {
    assert.deepEqual(words(lineTokens('send "a b # c // d" x')), ['send@0', '"a b # c // d"@5', 'x@20']);
    assert.deepEqual(words(lineTokens('send "say \\"hi there\\"" x')), ['send@0', '"say \\"hi there\\""@5', 'x@24']);
    assert.deepEqual(words(lineTokens('send "not closed # yet')), ['send@0', '"not closed # yet@5'], 'an unterminated string runs to the end of the line');
  });

  it('keeps a {{…}} in its word even with spaces inside', () => {
    assert.deepEqual(words(lineTokens('connect tcp {{$env LAB HOST}}:80 timeout 1s')), ['connect@0', 'tcp@8', '{{$env LAB HOST}}:80@12', 'timeout@33', '1s@41']);
    assert.deepEqual(words(lineTokens('send {{$randomInt 0 100}}')), ['send@0', '{{$randomInt 0 100}}@5']);
    assert.deepEqual(words(lineTokens('connect tcp {{$env HO')), ['connect@0', 'tcp@8', '{{$env HO@12'], 'an unclosed {{ runs to the end of the line');
  });

  it('ends the line at a # or // after white space, and only there', () => {
    assert.deepEqual(words(lineTokens('connect tcp 127.0.0.1:80 # was 10.0.0.1')), ['connect@0', 'tcp@8', '127.0.0.1:80@12']);
    assert.deepEqual(words(lineTokens('lookup localhost\t// or 10.0.0.3')), ['lookup@0', 'localhost@7']);
    assert.deepEqual(words(lineTokens('lookup a#b c//d')), ['lookup@0', 'a#b@7', 'c//d@11'], 'a # or // inside a word is part of it');
    assert.deepEqual(words(lineTokens('send "a"#b')), ['send@0', '"a"@5', '#b@8'], 'a # right after a closing quote is a word, as the parser reads it');
    assert.deepEqual(lineTokens('# a comment line'), []);
    assert.deepEqual(lineTokens('   // an indented comment line'), []);
    assert.deepEqual(lineTokens('### Block title'), []);
    assert.deepEqual(words(lineTokens('send x /not-a-comment')), ['send@0', 'x@5', '/not-a-comment@7'], 'one slash is not a comment');
  });

  it('reads a CR at the end of a line as white space', () => {
    assert.deepEqual(words(lineTokens('recv line\r')), ['recv@0', 'line@5']);
  });
});

describe('tokenAt (the word at an offset of a text)', () => {
  it('finds the word that holds the offset, with its index among the line words', () => {
    const text = 'send "a b" timeout 2s';
    const at = tokenAt(text, text.indexOf('b'));
    assert.deepEqual([at.line, at.column, at.index, at.inWord], [0, 8, 1, true]);
    assert.equal(at.tokens[at.index].text, '"a b"', 'a quoted string with a space is one word');
    assert.deepEqual(words(at.tokens), ['send@0', '"a b"@5', 'timeout@11', '2s@19']);
    const start = tokenAt(text, 0);
    assert.deepEqual([start.index, start.inWord], [0, true]);
  });

  it('counts an offset just past a word as in it (where completion types)', () => {
    const at = tokenAt('recv unt', 8);
    assert.deepEqual([at.column, at.index, at.inWord], [8, 1, true]);
    assert.equal(at.tokens[at.index].text, 'unt');
    const ended = tokenAt('recv ', 4);
    assert.deepEqual([ended.index, ended.inWord], [0, true]);
  });

  it('gives an offset in the white space between or after words the index of the next word', () => {
    const between = tokenAt('recv   until', 6);
    assert.deepEqual([between.column, between.index, between.inWord], [6, 1, false]);
    const after = tokenAt('recv until ', 11);
    assert.deepEqual([after.column, after.index, after.inWord, after.tokens.length], [11, 2, false, 2]);
    const blank = tokenAt('   ', 1);
    assert.deepEqual([blank.index, blank.inWord, blank.tokens.length], [0, false, 0]);
  });

  it('gives an offset in a trailing comment no word: the index after the last one', () => {
    const text = 'connect tcp 127.0.0.1:80 # was 10.0.0.1';
    const at = tokenAt(text, text.indexOf('10.0'));
    assert.deepEqual([at.index, at.inWord, at.tokens.length], [3, false, 3]);
  });

  it('clamps an offset past the end of the text (or before its start) to the text', () => {
    const past = tokenAt('send hex', 100);
    assert.deepEqual([past.line, past.column, past.index, past.inWord], [0, 8, 1, true]);
    const before = tokenAt('send hex', -5);
    assert.deepEqual([before.line, before.column, before.index, before.inWord], [0, 0, 0, true]);
    const empty = tokenAt('', 3);
    assert.deepEqual([empty.line, empty.column, empty.index, empty.inWord, empty.tokens.length], [0, 0, 0, false, 0]);
  });

  it('reads the line of the offset in a multi-line text, with its 0-based number', () => {
    const text = '@host = 127.0.0.1\n### a\nconnect tcp {{host}}:80\n\nsend "hi"\n';
    const at = tokenAt(text, text.indexOf('"hi"') + 1);
    assert.deepEqual([at.line, at.column, at.index, at.inWord], [4, 6, 1, true]);
    assert.deepEqual(words(at.tokens), ['send@0', '"hi"@5']);
    const blank = tokenAt(text, text.indexOf('\n\n') + 1);
    assert.deepEqual([blank.line, blank.column, blank.tokens.length], [3, 0, 0]);
    const end = tokenAt(text, text.length);
    assert.deepEqual([end.line, end.column, end.tokens.length], [5, 0, 0], 'the empty line after the last newline');
    const atNewline = tokenAt(text, text.indexOf('\n'));
    assert.deepEqual([atNewline.line, atNewline.column, atNewline.index, atNewline.inWord], [0, 17, 2, true], 'a newline belongs to the line it ends');
  });

  it('leaves out the CR of a CRLF line: columns and words as in an LF file', () => {
    const text = '### a\r\nconnect tcp 127.0.0.1:80\r\nrecv until "\\r\\n"\r\n';
    const lineEnd = text.indexOf('\r\n', text.indexOf('recv'));
    const at = tokenAt(text, lineEnd);
    assert.deepEqual([at.line, at.column, at.index, at.inWord], [2, 17, 2, true]);
    assert.deepEqual(words(at.tokens), ['recv@0', 'until@5', '"\\r\\n"@11']);
    const header = tokenAt(text, text.indexOf('80') + 2);
    assert.deepEqual([header.line, header.column, header.index, header.inWord], [1, 24, 2, true]);
    assert.equal(header.tokens[2].text, '127.0.0.1:80', 'no CR in the last word');
  });
});
