// Responders (spec §7.9): where rules may stand and what they may hold, as diagnostics; and a
// line responder answering a Python client (the tutorial's client.py) message by message.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { connect } from 'node:net';
import { parseSock } from '../../../src/sock/parser';
import { SockRun } from '../../../src/sock/runner';
import type { RunEvent } from '../../../src/sock/runEvents';
import { until } from '../../shared/until';
import { printSock } from '../../../src/sock/printer';
import { PEERS, ROOT, run, runSock } from '../helpers';

/** `line:column message` of each error, 1-based. */
function errors(text: string): string[] {
  return parseSock(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.range.start.line + 1}:${d.range.start.column + 1} ${d.message}`);
}

describe('responder rules', () => {
  it('parse: rules close with end, their named groups are variables, messages reads as recv does, and the printer writes them back', () => {
    const text = '### mock\nlisten tcp 127.0.0.1:0 as mock\nmessages until "\\r\\n"\nsend "hello\\r\\n"\non connect\nsend "+READY\\r\\n"\nend\non /^ECHO (?P<word>\\S+)/\nsend "{{word}}\\r\\n"\nend\non exactly "QUIT\\r\\n"\nreset\nend\non hex 00 ?? at 1\nclose\nend\non half-close\nclose\nend\non other\nsend "-ERR\\r\\n"\nend\n';
    const file = parseSock(text);
    assert.deepEqual(file.diagnostics, []);
    const block = file.blocks[0];
    assert.deepEqual(block.steps.map((s) => (s.kind === 'on' ? `on ${s.event}${s.test ? ` ${s.test.kind}` : ''} (${s.steps.map((x) => x.kind).join(',')})` : s.kind)), [
      'send',
      'on connect (send)',
      'on message regex (send)',
      'on message exactly (reset)',
      'on message contains (close)',
      'on half-close (close)',
      'on other (send)',
    ]);
    assert.equal(block.policy.messages?.mode, 'until');
    const printed = printSock(file);
    assert.deepEqual(parseSock(printed).blocks[0].steps.map((s) => s.source), block.steps.map((s) => s.source));
    assert.match(printed, /^messages until "\\r\\n"$/m);
  });

  it('refuses rules where they cannot answer: outside a listener, nested, before the block’s steps, holding a recv, a FIN on UDP, left open', () => {
    assert.deepEqual(errors('### c\nconnect tcp 127.0.0.1:9\non other\nend\n'), ['3:1 on is a responder rule of a listener: put it in a block that starts with listen']);
    assert.deepEqual(errors('### l\nlisten tcp 0\nrepeat 2\non other\nend\nend\n'), ['4:1 a rule stands at the top of its block, not inside a repeat, an if or another rule']);
    assert.deepEqual(errors('### l\nlisten tcp 0\non other\nend\nsend "late"\n'), ["5:1 after a rule come only more rules (on … end) and settings: the block's own steps go before its first rule"]);
    assert.deepEqual(errors('### l\nlisten tcp 0\non other\nrecv line\nend\n'), ['4:1 a rule answers the message its block read: no recv in it (the messages line says how messages are cut)']);
    assert.deepEqual(errors('### l\nlisten udp 0\non half-close\nend\n'), ['3:1 a UDP peer sends no FIN: on half-close is for streams']);
    assert.deepEqual(errors('### l\nlisten tcp 0\non "PING"\nsend "PONG"\n'), ['3:1 on without end: add a line "end" after its steps']);
    assert.deepEqual(errors('### l\nlisten udp 0\nmessages line\n'), ['3:10 recv line is for streams; a UDP recv returns one datagram']);
    assert.deepEqual(errors('### c\nconnect udp 127.0.0.1:9\nreset\n'), ['3:1 reset aborts a stream (a RST on TCP); UDP has no connection to reset']);
    assert.deepEqual(errors('### l\nlisten tcp 0\non\nend\n'), ['3:1 on takes connect, half-close, other, or a test of the message: "text", hex …, exactly …, /regex/']);
    assert.deepEqual(errors('### l\nlisten tcp 0\nrewrite down "a" with "b"\nforward tcp 127.0.0.1:9\n'), ["3:1 rewrite changes what a relay forwards: put it after the block's forward line"]);
    assert.deepEqual(errors('### l\nlisten tcp 0\nforward tcp 127.0.0.1:9\non other\nend\n'), ['4:1 a relay forwards what no rule takes, and passes connects and FINs on: on other has no place after forward']);
    assert.deepEqual(errors('### l\nlisten tcp 0\nforward tcp 127.0.0.1:9\nsend "x"\n'), ["4:1 after forward come only rules (on … end), which answer in the relay's place, and settings: it relays the rest until both peers have closed"]);
    assert.deepEqual(errors('### l\nlisten udp 0\nforward udp 127.0.0.1:9\non "x"\nend\n'), ['4:1 a UDP relay forwards every datagram: rules in a relay are for streams']);
    assert.deepEqual(errors('### l\nlisten tcp 0\nforward tcp 127.0.0.1:9\nrewrite sideways "a" with "b"\n'), ['4:9 rewrite takes up or down, not "sideways"']);
    const relay = parseSock('### l\nlisten tcp 0\nforward tcp 127.0.0.1:9\nrewrite down hex 00 ff with "x"\nrewrite up /a+/i with ""\n');
    assert.deepEqual(relay.diagnostics, []);
    assert.match(printSock(relay), /forward tcp 127\.0\.0\.1:9\nrewrite down hex 00 ff with "x"\nrewrite up \/a\+\/i with ""\n/);
  });

  it('answers a Python client line by line: the banner, rules in order, a regex group, on other, and QUIT closing', async () => {
    const text = '### mock\nlisten tcp 127.0.0.1:0 as mock\nmessages line\non connect\nsend "+READY\\n"\nend\non /^PING$/m\nsend "+PONG\\n"\nend\non /^ECHO (?P<word>\\S+)/\nsend "+{{word}}\\n"\nend\non "QUIT"\nsend "+BYE\\n"\nclose\nend\non other\nsend "-ERR unknown\\n"\nend\n';
    let seen = '';
    const r = await runSock(text, {
      during: async (events) => {
        const listening = events.find((e) => e.type === 'listening');
        const port = listening?.type === 'listening' ? listening.local.split(':')[1] : '0';
        // client.py sends the lines, half-closes, and prints everything until the mock closes.
        seen = (await run('python3', [join(PEERS, 'client.py'), port, '127.0.0.1', 'PING\\nECHO lab\\nHELP\\nQUIT\\nPING\\n'])).stdout;
      },
    });
    assert.equal(seen, "b'+READY\\n+PONG\\n+lab\\n-ERR unknown\\n+BYE\\n'\n", 'nothing after QUIT closed the connection');
    const rules = r.steps.filter((s) => s.verb === 'on').map((s) => `${s.source} → ${s.detail}`);
    assert.deepEqual(rules, ['on connect → a peer connected', 'on /^PING$/m → matched', 'on /^ECHO (?P<word>\\S+)/ → word = "lab"', 'on other → no other rule took it', 'on "QUIT" → found "QUIT"']);
    // In the traffic view each message is a frame named for the rule that answered it.
    const frames = r.events.flatMap((e) => (e.type === 'traffic' && e.event.type === 'mark' && e.event.mark === 'frame' ? [`${e.event.offset}+${e.event.length} ${e.event.label}`] : []));
    assert.deepEqual(frames, ['0+5 answered by on /^PING$/m', '5+9 answered by on /^ECHO (?P<word>\\S+)/', '14+5 answered by on other', '19+5 answered by on "QUIT"']);
    assert.equal(r.summary.errors, 0);
  });
  it('reload: a running responder takes the saved rules for its open connection, and counts hits per rule line', async () => {
    const text = (reply: string): string => `### mock\nlisten tcp 127.0.0.1:0 as mock\nmessages line\non "PING"\n  send "${reply}\\n"\nend\n`;
    const events: RunEvent[] = [];
    const run = new SockRun(parseSock(text('+PONG')), { baseDir: ROOT, onEvent: (e) => events.push(e) });
    await run.runBlocks([1], parseSock(text('+PONG')));
    const listening = events.find((e) => e.type === 'listening');
    assert.ok(listening?.type === 'listening');
    const socket = connect({ host: '127.0.0.1', port: Number(listening.local.split(':')[1]) });
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString()));
    try {
      socket.write('PING\n');
      await until('the first answer', () => (got === '+PONG\n' ? true : undefined));
      assert.deepEqual(run.rulesOf(listening.id), [{ source: 'on "PING"', line: 3, hits: 1 }]);
      assert.deepEqual(run.reload(parseSock(text('+PONG, reloaded'))), [{ listener: 'mock', rules: 1, reloaded: true }]);
      socket.write('PING\n');
      await until('the answer by the new rule', () => (got === '+PONG\n+PONG, reloaded\n' ? true : undefined));
      assert.deepEqual(run.rulesOf(listening.id), [{ source: 'on "PING"', line: 3, hits: 2 }], 'the same rule line keeps its count');
      assert.deepEqual(run.reload(parseSock(text('x').replace('127.0.0.1:0', '127.0.0.1:1'))), [{ listener: 'mock', rules: 1, reloaded: false }], 'a changed listen line is not reloaded');
    } finally {
      socket.destroy();
      await run.stop(0);
    }
  });
});
