// socket-lab run FILE --var NAME=VALUE: a file runs against any port, the way every example takes
// its server's port (`--var port=N`), and a given value takes the place of the file's own.
import { strict as assert } from 'node:assert';
import { cli, startPeer, tempSock } from '../helpers';

describe('socket-lab run --var', function () {
  it('--var port=N points a file at a Python peer on any port, undeclared in the file', async () => {
    const { port } = await startPeer('stream_server.py', ['send', Buffer.from('hello from python\r\n').toString('hex')]);
    const f = await tempSock('### client\nconnect tcp 127.0.0.1:{{port}}\nrecv all\nexpect "hello from python"\n');
    const r = await cli(['run', f.file, '--var', `port=${port}`]);
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`⇄ \\[c\\d+\\] connect tcp 127\\.0\\.0\\.1:\\{\\{port\\}\\}\\s+127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${port}`));
  });

  it('without --var the same file is a parse error that names the variable, and nothing runs', async () => {
    const f = await tempSock('### client\nconnect tcp 127.0.0.1:{{port}}\n');
    const r = await cli(['run', f.file]);
    await f.remove();
    assert.equal(r.code, 2);
    assert.match(r.stderr, /test\.sock:2:23: error: unknown variable "port": declare it with @port = value/);
    assert.equal(r.stdout, '');
  });

  it('a given value takes the place of the file\'s @NAME, as literal text, and several --var add up', async () => {
    const f = await tempSock('@greeting = hi\n### l\nlisten tcp 127.0.0.1:0 as l\nrecv line\nsend "{{greeting}}, {{who}}\\n"\n\n### c\nconnect tcp {{l}}\nsend "x\\n"\nrecv line\nexpect "\\x7b{$timestamp}} & co, world\\n"\n');
    const r = await cli(['run', f.file, '--var', 'greeting={{$timestamp}} & co', '--var', 'who=world']);
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /→ \[l c\d+\] send "\{\{greeting\}\}, \{\{who\}\}\\n"\s+\d+ bytes {2}"\{\{\$timestamp\}\} & co, world\\n"/);
  });

  it('a malformed --var is a usage error', async () => {
    for (const bad of ['port', '1port=2', 'a b=1']) {
      const r = await cli(['run', 'examples/tutorial.sock', '--var', bad]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /option '--var <name=value>' argument '.*' is invalid\. write NAME=VALUE/, bad);
    }
  });
});
