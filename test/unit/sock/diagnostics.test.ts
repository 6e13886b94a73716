// Diagnostics name each mistake once: a repeat line with a mistake is its one error, and its `end`
// still closes it (no "end without repeat", no "this repeat has no steps" after it).
import { strict as assert } from 'node:assert';
import { parseSock } from '../../../src/sock/parser';

const messages = (text: string): string[] => parseSock(text).diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.column + 1} ${d.severity}: ${d.message}`);

describe('diagnostics without follow-on errors', function () {
  it('a repeat line with a bad count, a bad every or no count gives one error each, and its end closes it', () => {
    assert.deepEqual(messages('### a\nrepeat lots\naton 127.0.0.1\nend\nrepeat 2 every soon\nend\nrepeat\nend\n'), [
      '2:8 error: repeat takes a count from 1 to 1000000',
      '5:16 error: "soon" is not a duration: write 2s, 500ms or 1m',
      '7:7 error: expected a count, e.g. repeat 10',
    ]);
  });

  it('a setting written on the header line says it is a line of its own, at the word', () => {
    assert.deepEqual(messages('### s\nlisten tls 127.0.0.1:0 self-signed as x\n'), ['2:24 error: "self-signed" is a line of its own: write it on the line after this listen line']);
    assert.deepEqual(messages('### c\nconnect tls 127.0.0.1:443 insecure\n'), ['2:27 error: "insecure" is a line of its own: write it on the line after this connect line']);
  });

  it('a good repeat keeps its whole line as its source, for the transcript', () => {
    const repeat = parseSock('### a\nrepeat 2 every 1s   # ticks\naton 127.0.0.1\nend\n').blocks[0].steps[0];
    assert.equal(repeat.source, 'repeat 2 every 1s');
  });

  it('a misspelt header is its one error: the steps after it do not need a connection, and the expect has its recv', () => {
    assert.deepEqual(messages('### a\nconect tcp 127.0.0.1:7\nsend "x"\nrecv\nexpect "y"\nclose\n'), ['2:1 error: unknown statement "conect" (did you mean "connect"?)']);
  });

  it('a connect or listen line with a mistake still names its connection or listener for the blocks after it', () => {
    assert.deepEqual(messages('### a\nconnect tcp 127.0.0.1:7 tiemout 2s as kept keep\n### b\nuse kept\nsend "x"\n'), ['2:25 error: unexpected "tiemout" (did you mean "timeout"?)']);
    assert.deepEqual(messages('### a\nlisten tpc 0 as srv\n### b\nconnect tcp 127.0.0.1:{{srv.port}}\n'), ['2:8 error: listen takes tcp, udp, unix or tls, not "tpc" (did you mean "tcp"?)']);
  });

  it("a header line with a mistake is its block's one header error: a client certificate without its key is not a second one, at line 1", () => {
    assert.deepEqual(messages('# notes\n### a\nconnect xtcp 127.0.0.1:7\ncert client.pem\nstarttls\n'), ['3:9 error: connect takes tcp, udp, unix or tls, not "xtcp" (did you mean "tcp"?)']);
  });

  it('a receive with a mistake still leaves the expect after it something to check', () => {
    assert.deepEqual(messages('### a\nconnect tcp 127.0.0.1:7\nrecv lien\nexpect "x"\n'), ['3:6 error: recv takes N, exactly N, line, until PAYLOAD, all, or nothing; not "lien" (did you mean "line"?)']);
    assert.deepEqual(messages('### a\nrecv\nexpect "x"\n'), ['2:1 error: recv needs a connection: start the block with connect, listen or use']);
  });

  it('a heredoc on a line with a mistake keeps its lines: they are not read as statements', () => {
    assert.deepEqual(messages('### a\nsend <<END\nGET / HTTP/1.1\nHost: x\nEND\n'), ['2:1 error: send needs a connection: start the block with connect, listen or use']);
    assert.deepEqual(messages('### a\nconnect tcp 127.0.0.1:7\nsend <<"END"\nGET / HTTP/1.1\nEND\nsend "ok"\n'), ['3:6 error: a heredoc is written <<TAG, e.g. <<END']);
  });

  it('a word after end is its one error: the end still closes its repeat', () => {
    assert.deepEqual(messages('### a\nrepeat 2\naton 127.0.0.1\nend now\n'), ['4:5 error: unexpected "now"']);
  });

  it('a misspelt repeat opens a repeat for its end', () => {
    assert.deepEqual(messages('### a\nrepat 2\naton 127.0.0.1\nend\n'), ['2:1 error: unknown statement "repat" (did you mean "repeat"?)']);
  });

  it('a TLS or UDP setting with a mistake, or misspelt, adds no error about the block\'s settings', () => {
    assert.deepEqual(messages('### a\nlisten tls 0\nself-sign\n'), ['3:1 error: unknown statement "self-sign" (did you mean "self-signed"?)']);
    assert.deepEqual(messages('### a\nlisten tls 0\ncert\nkey key.pem\n'), ['3:5 error: expected a file path']);
    assert.deepEqual(messages('### a\nconnect udp 255.255.255.255:9\nbroadcst\n'), ['3:1 error: unknown statement "broadcst" (did you mean "broadcast"?)']);
    assert.deepEqual(messages('### a\nconnect udp 255.255.255.255:9\nbroadcast now\n'), ['3:11 error: unexpected "now"']);
  });

  it('a variable line with a mistake declares its name: its uses are not errors too', () => {
    assert.deepEqual(messages('@port 80\n@host = {{oops\n### a\nconnect tcp {{host}}:{{port}}\n'), ['1:1 error: a variable is written @name = value', '2:9 error: "{{" without "}}"']);
  });

  it('a good repeat with no steps is still warned about', () => {
    assert.deepEqual(messages('### a\nrepeat 3\nend\n'), ['2:1 warning: this repeat has no steps']);
  });
});
