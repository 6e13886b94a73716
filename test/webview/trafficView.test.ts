import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventsText, type WireConnection, type WireEvent } from '../../src/webview/protocol';
import { dataEvent, lifeEvent, PageHost, type TrafficPage } from './pageHost';

const RESULTS = join(__dirname, '..', '..', 'test-results');
const CONNECTIONS: WireConnection[] = [
  { id: 'l1', kind: 'listener', transport: 'tcp', label: 'tcp 127.0.0.1:5000', canSend: false },
  { id: 'c2', kind: 'accepted', transport: 'tcp', label: 'tcp 127.0.0.1:5000 ← 127.0.0.1:40312', listener: 'l1', canSend: true },
  { id: 'c3', kind: 'client', transport: 'tcp', label: 'tcp 127.0.0.1:40400 → 127.0.0.1:8080', canSend: true },
];

/** A short conversation: a listener, an accepted connection, a request and a response, a close. */
function conversation(): WireEvent[] {
  return [
    lifeEvent('l1', 'listening', 'listening on tcp 127.0.0.1:5000'),
    lifeEvent('c2', 'open', 'accepted by l1 from 127.0.0.1:40312'),
    dataEvent('c2', 'in', 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    dataEvent('c2', 'out', 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>Hello</h1>\n'),
    dataEvent('c3', 'out', Buffer.from([0x00, 0x01, 0xff, 0x7f, 0x41, 0x42])),
    lifeEvent('c2', 'half-close', 'peer sent FIN (half-closed)'),
    lifeEvent('c2', 'close', 'closed (35 bytes in, 59 bytes out)'),
  ];
}

async function init(p: TrafficPage, events: WireEvent[], focus: string | null = null): Promise<void> {
  await p.post({ type: 'init', events: eventsText(events), connections: CONNECTIONS, dropped: 0, focus });
}

describe('traffic view page (Chromium, fake host)', function () {
  this.timeout(120_000);
  let host: PageHost;
  let p: TrafficPage;

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    host = await PageHost.start();
  });
  after(async () => {
    await host?.close();
  });
  afterEach(async function () {
    if (!p) return;
    const violations = await p.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
    const errors = [...p.errors];
    await p.close();
    // Every test also checks that the page threw nothing and its CSP blocked nothing it needs.
    if (this.currentTest?.state === 'passed') {
      assert.deepEqual(errors, [], 'page errors');
      assert.deepEqual(violations, [], 'CSP violations');
    }
  });

  it('says ready, then shows each event with time, connection, direction arrow and byte count', async () => {
    p = await host.open();
    assert.deepEqual((await p.posted())[0], { type: 'ready' });
    await init(p, conversation());
    const rows = await p.rows();
    assert.equal(rows.length, 7);
    assert.match(rows[2].head, /c2←35 bytes$/);
    assert.match(rows[2].cls, /\bin\b/);
    assert.equal(rows[2].body, 'GET / HTTP/1.1\\r\\n\nHost: localhost\\r\\n\n\\r\\n', 'escaped text breaks after each \\n');
    assert.match(rows[3].cls, /\bout\b/);
    assert.match(rows[3].head, /c2→59 bytes$/);
    assert.equal(rows[4].body, '\\0\\x01\\xff\\x7fAB');
    assert.match(rows[5].head, /peer sent FIN/);
    assert.match(await p.status(), /^7 of 7 events shown/);
    await p.page.screenshot({ path: join(RESULTS, 'traffic-view-dark.png') });
  });

  it('hex mode prints each chunk exactly as xxd does, and text mode decodes in the chosen encoding', async () => {
    p = await host.open('light');
    const bytes = Buffer.from(Array.from({ length: 70 }, (_, i) => (i * 37) & 0xff));
    await init(p, [dataEvent('c3', 'in', bytes), dataEvent('c3', 'in', Buffer.from('caf\xe9 \u00fcber', 'latin1'))]);
    await p.page.selectOption('#mode', 'hex');
    await p.frames();
    const xxd = execFileSync('xxd', [], { input: bytes }).toString();
    assert.equal((await p.rows())[0].body + '\n', xxd);
    await p.page.screenshot({ path: join(RESULTS, 'traffic-view-light-hex.png') });
    // The toolbar keeps its layout: the encoding choice of Text mode has its place in every mode.
    const after = (): Promise<number | undefined> => p.page.$eval('#frames', (e) => e.closest('label')?.getBoundingClientRect().x);
    const before = await after();
    assert.equal(await p.page.isDisabled('#encoding'), true, 'no encoding to choose in Hex mode');
    await p.page.selectOption('#mode', 'text');
    assert.equal(await after(), before, 'switching to Text moved the toolbar');
    await p.page.selectOption('#encoding', 'windows-1252');
    await p.frames();
    assert.equal((await p.rows())[1].body, 'café über');
    await p.page.selectOption('#encoding', 'utf-8');
    await p.frames();
    assert.equal((await p.rows())[1].body, 'caf\ufffd \ufffdber', 'invalid UTF-8 shows as U+FFFD');
  });

  it('keeps chunk and datagram boundaries: two chunks are two rows, never merged', async () => {
    p = await host.open();
    await init(p, [dataEvent('c3', 'in', 'HEL'), dataEvent('c3', 'in', 'LO\n'), { ...dataEvent('u4', 'in', 'ping'), peer: '127.0.0.1:9999' }]);
    const rows = await p.rows();
    assert.deepEqual(
      rows.map((r) => r.body),
      ['HEL', 'LO\\n', 'ping'],
    );
    assert.match(rows[2].head, /4 bytes from 127\.0\.0\.1:9999$/);
  });

  it('filters by connection (a listener shows its connections), direction, event kind and text or hex search', async () => {
    p = await host.open();
    await init(p, conversation());
    await p.page.selectOption('#connection', 'l1');
    await p.frames();
    assert.equal((await p.rows()).length, 6, 'l1 and its accepted c2, not the client c3');
    await p.page.uncheck('#lifecycle');
    await p.frames();
    assert.equal((await p.rows()).length, 2);
    await p.page.uncheck('#dir-out');
    await p.frames();
    assert.deepEqual((await p.rows()).map((r) => r.cls.includes(' in ')), [true]);
    await p.page.check('#dir-out');
    await p.page.selectOption('#connection', '');
    await p.page.fill('#search', 'content-TYPE');
    await p.page.waitForFunction(() => document.querySelectorAll('#list .row').length === 1);
    assert.match((await p.rows())[0].body, /Content-Type/);
    await p.page.fill('#search', 'hex ff 7f');
    await p.page.waitForFunction(() => document.querySelector('#list .row .conn')?.textContent === 'c3' && document.querySelectorAll('#list .row').length === 1);
    await p.page.fill('#search', 'hex f');
    await p.page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('hex search needs pairs'));
  });

  it('collapses a long payload to 16 lines and shows the rest on Enter', async () => {
    p = await host.open();
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join('');
    await init(p, [dataEvent('c3', 'in', lines)]);
    let row = (await p.rows())[0];
    assert.equal(row.body.split('\n').length, 16);
    assert.match(row.more, /24 more lines/);
    await p.page.focus('#list');
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('Enter');
    await p.frames();
    row = (await p.rows())[0];
    assert.equal(row.body.split('\n').length, 40);
    assert.match(row.body, /line 39\\n$/);
  });

  it('renders 100,000 events with a small DOM and scrolls to any of them', async () => {
    p = await host.open();
    const events: WireEvent[] = [];
    for (let i = 0; i < 100_000; i++) events.push(dataEvent(i % 2 ? 'c2' : 'c3', i % 2 ? 'in' : 'out', `message ${i}\r\n`));
    const firstRenderMs = await p.postAndTimeFirstRender({ type: 'init', events: eventsText(events), connections: CONNECTIONS, dropped: 0, focus: null });
    await p.frames();
    const dom = await p.page.evaluate(() => ({ elements: document.getElementsByTagName('*').length, rows: document.querySelectorAll('#list .row').length }));
    process.stdout.write(`      100,000 events: first render ${Math.round(firstRenderMs)} ms after postMessage, ${dom.rows} rows and ${dom.elements} elements in the DOM\n`);
    assert.ok(dom.rows < 120, `${dom.rows} rows in the DOM`);
    assert.ok(dom.elements < 1_500, `${dom.elements} elements in the DOM`);
    assert.match(await p.status(), /^100,000 of 100,000 events shown/);
    // Following: the newest event is on screen.
    assert.match((await p.rows()).at(-1)?.body ?? '', /message 99999\\r\\n/);
    // Scroll to the middle: the rows there render, and the DOM stays small.
    await p.page.focus('#list');
    await p.page.keyboard.press('Home');
    await p.frames();
    assert.equal((await p.rows())[0].body, 'message 0\\r\\n');
    await p.page.evaluate(() => {
      const list = document.getElementById('list') as HTMLElement;
      list.scrollTop = list.scrollHeight / 2;
    });
    await p.frames();
    await p.frames();
    const middle = await p.rows();
    assert.ok(middle.length > 0 && middle.length < 120);
    assert.ok(middle[0].index > 30_000 && middle[0].index < 70_000, `first row shown is ${middle[0].index}`);
    assert.equal(middle[0].body, `message ${middle[0].index}\\r\\n`);
  });

  it('follows new events, and Pause keeps the view where it is', async () => {
    p = await host.open('dark', { width: 900, height: 400 });
    await init(p, Array.from({ length: 200 }, (_, i) => dataEvent('c3', 'in', `old ${i}`)));
    await p.post({ type: 'events', events: eventsText([dataEvent('c3', 'in', 'new while following')]), dropped: 0 });
    await p.frames();
    assert.equal((await p.rows()).at(-1)?.body, 'new while following');
    await p.page.click('#follow');
    assert.equal(await p.page.getAttribute('#follow', 'aria-pressed'), 'false');
    const before = await p.page.evaluate(() => (document.getElementById('list') as HTMLElement).scrollTop);
    await p.post({ type: 'events', events: eventsText(Array.from({ length: 50 }, (_, i) => dataEvent('c3', 'in', `paused ${i}`))), dropped: 3 });
    await p.frames();
    assert.equal(await p.page.evaluate(() => (document.getElementById('list') as HTMLElement).scrollTop), before);
    const visible = await p.visibleRows();
    assert.ok(visible.includes('new while following') && !visible.some((t) => t.startsWith('paused')), `paused events are below the view, shown: ${visible.join(' | ')}`);
    assert.match(await p.status(), /251 of 251 events shown · 3 older events dropped/);
  });

  it('the send box posts the payload for the chosen connection, keeps a history, and shows the host’s answer', async () => {
    p = await host.open();
    await init(p, conversation(), 'c3');
    assert.equal(await p.page.inputValue('#send-target'), 'c3', 'the focused connection is the send target');
    await p.page.fill('#send-input', 'PING\\r\\n');
    await p.page.press('#send-input', 'Enter');
    await p.page.fill('#send-input', 'hex 00 ff');
    await p.page.click('#send');
    const sends = (await p.posted()).filter((m) => m.type === 'send');
    assert.deepEqual(sends, [
      { type: 'send', connection: 'c3', payload: 'PING\\r\\n' },
      { type: 'send', connection: 'c3', payload: 'hex 00 ff' },
    ]);
    assert.equal(await p.page.inputValue('#send-input'), '');
    // The host answers each: both were sent, so both are in the history.
    await p.post({ type: 'sendResult', ok: true, message: 'Sent 6 bytes to c3' });
    await p.post({ type: 'sendResult', ok: true, message: 'Sent 2 bytes to c3' });
    await p.page.press('#send-input', 'ArrowUp');
    assert.equal(await p.page.inputValue('#send-input'), 'hex 00 ff');
    await p.page.press('#send-input', 'ArrowUp');
    assert.equal(await p.page.inputValue('#send-input'), 'PING\\r\\n');
    // A payload the host refuses says why, comes back to be mended, and stays out of the history.
    await p.page.fill('#send-input', 'bad \\q');
    await p.page.press('#send-input', 'Enter');
    await p.post({ type: 'sendResult', ok: false, message: 'unknown escape "\\q" at offset 4' });
    assert.equal(await p.page.textContent('[role=alert]'), 'unknown escape "\\q" at offset 4');
    assert.equal(await p.page.inputValue('#send-input'), 'bad \\q');
    await p.page.fill('#send-input', '');
    await p.page.press('#send-input', 'ArrowUp');
    assert.equal(await p.page.inputValue('#send-input'), 'hex 00 ff', 'the refused payload is not in the history');
  });

  it('the send target follows the connection shown and the selected row, and is never another connection', async () => {
    p = await host.open();
    await init(p, conversation());
    const target = async (): Promise<{ value: string; text: string; disabled: boolean }> =>
      p.page.$eval('#send-target', (s) => ({ value: (s as HTMLSelectElement).value, text: (s as HTMLSelectElement).selectedOptions[0]?.textContent ?? '', disabled: (s as HTMLSelectElement).disabled }));
    await p.page.selectOption('#connection', 'c2');
    await p.frames();
    assert.deepEqual(await target(), { value: 'c2', text: 'c2 · tcp 127.0.0.1:5000 ← 127.0.0.1:40312', disabled: false });
    await p.page.selectOption('#connection', 'c3');
    await p.frames();
    assert.equal((await target()).value, 'c3');
    // All connections: selecting a row makes its connection the target.
    await p.page.selectOption('#connection', '');
    await p.frames();
    await p.page.click('#list .row[data-index="2"]');
    await p.frames();
    assert.equal((await target()).value, 'c2', 'the selected row is c2’s');
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('ArrowDown');
    await p.frames();
    assert.equal((await target()).value, 'c3', 'the selected row is c3’s');
    // A connection that opens meanwhile does not move the target under the person's fingers.
    const more: WireConnection[] = [...CONNECTIONS, { id: 'c5', kind: 'accepted', transport: 'tcp', label: 'tcp 127.0.0.1:5000 ← 127.0.0.1:40999', listener: 'l1', canSend: true }];
    await p.post({ type: 'connections', connections: more });
    await p.page.waitForTimeout(100);
    assert.equal((await target()).value, 'c3');
    await p.page.fill('#send-input', 'to c3');
    await p.page.press('#send-input', 'Enter');
    // Viewing c2, which then closes: nothing to send to, rather than another connection.
    await p.page.selectOption('#connection', 'c2');
    await p.frames();
    await p.post({ type: 'connections', connections: more.map((c) => (c.id === 'c2' ? { ...c, canSend: false } : c)) });
    await p.page.waitForFunction(() => (document.getElementById('send') as HTMLButtonElement).disabled);
    assert.deepEqual(await target(), { value: '', text: 'c2 is closed: nothing to send to', disabled: true });
    await p.page.fill('#send-input', 'to nowhere');
    await p.page.press('#send-input', 'Enter');
    assert.deepEqual(
      (await p.posted()).filter((m) => m.type === 'send'),
      [{ type: 'send', connection: 'c3', payload: 'to c3' }],
    );
    await p.page.screenshot({ path: join(RESULTS, 'traffic-view-send-target.png') });
  });

  it('a UDP listener’s peers are filters and send targets of their own', async () => {
    p = await host.open();
    const connections: WireConnection[] = [
      { id: 'u4', kind: 'listener', transport: 'udp', label: 'udp 127.0.0.1:5353', canSend: false },
      { id: 'u4:127.0.0.1:40001', kind: 'peer', transport: 'udp', label: 'udp 127.0.0.1:5353 ← 127.0.0.1:40001', listener: 'u4', peer: '127.0.0.1:40001', canSend: true },
      { id: 'u4:127.0.0.1:40002', kind: 'peer', transport: 'udp', label: 'udp 127.0.0.1:5353 ← 127.0.0.1:40002', listener: 'u4', peer: '127.0.0.1:40002', canSend: true },
    ];
    const events = [
      lifeEvent('u4', 'listening', 'listening on udp 127.0.0.1:5353'),
      { ...dataEvent('u4', 'in', 'from one'), peer: '127.0.0.1:40001' },
      { ...dataEvent('u4', 'in', 'from two'), peer: '127.0.0.1:40002' },
      { ...dataEvent('u4', 'out', 'to one'), peer: '127.0.0.1:40001' },
    ];
    await p.post({ type: 'init', events: eventsText(events), connections, dropped: 0, focus: 'u4:127.0.0.1:40001' });
    assert.deepEqual((await p.rows()).map((r) => r.body), ['from one', 'to one']);
    assert.equal(await p.page.inputValue('#send-target'), 'u4:127.0.0.1:40001');
    await p.page.selectOption('#connection', 'u4');
    await p.frames();
    assert.equal((await p.rows()).length, 4);
    await p.page.click('#list .row[data-index="2"]');
    await p.frames();
    assert.equal(await p.page.inputValue('#send-target'), 'u4:127.0.0.1:40002', 'the selected datagram’s peer');
    await p.page.fill('#send-input', 'reply');
    await p.page.press('#send-input', 'Enter');
    assert.deepEqual((await p.posted()).filter((m) => m.type === 'send'), [{ type: 'send', connection: 'u4:127.0.0.1:40002', payload: 'reply' }]);
  });

  it('says what is true when it shows nothing: no traffic, no match, events dropped, a connection gone, cleared', async () => {
    p = await host.open();
    const empty = async (): Promise<string> => {
      await p.frames();
      return (await p.page.isVisible('#empty')) ? ((await p.page.textContent('#empty')) ?? '') : '(list not empty)';
    };
    await init(p, []);
    assert.equal(await empty(), 'No traffic yet. Start a listener or connect a client, or run a .sock file.');
    await init(p, conversation());
    await p.page.fill('#search', 'no such text');
    await p.page.waitForFunction(() => document.querySelectorAll('#list .row').length === 0);
    assert.equal(await empty(), 'No event matches “no such text”.');
    await p.page.fill('#search', '');
    await p.page.waitForFunction(() => document.querySelectorAll('#list .row').length === 7);
    // c2's events were pushed out of the shared history by c3's flood.
    await p.post({ type: 'init', events: eventsText([dataEvent('c3', 'in', 'flood')]), connections: CONNECTIONS, dropped: 10_000, focus: 'c2' });
    assert.equal(await empty(), 'No event of c2 is left: 10,000 older events were dropped (the history keeps socketLab.capture.maxEvents events and socketLab.capture.maxBytes bytes).');
    await p.page.screenshot({ path: join(RESULTS, 'traffic-view-dropped.png') });
    // After a reload, the connection still selected was closed and cleared.
    await p.load(true);
    await p.post({ type: 'init', events: eventsText([dataEvent('c3', 'in', 'later')]), connections: CONNECTIONS.filter((c) => c.id !== 'c2'), dropped: 0, focus: null });
    assert.equal(await p.page.inputValue('#connection'), 'c2');
    assert.equal(await empty(), 'c2 is no longer open or listed, and the history holds none of its events. Choose another connection, or All connections.');
    assert.equal(await p.page.inputValue('#send-target'), '');
    await p.page.selectOption('#connection', '');
    await p.page.click('#clear');
    assert.equal(await empty(), 'The view was cleared; new events appear here (the capture keeps the rest for export).');
  });

  it('export buttons ask the host for the shown connection’s capture', async () => {
    p = await host.open();
    await init(p, conversation(), 'c2');
    await p.page.click('#export-pcapng');
    await p.page.click('#export-sock');
    await p.page.selectOption('#connection', '');
    await p.page.click('#export-jsonl');
    const exports = (await p.posted()).filter((m) => m.type === 'export');
    assert.deepEqual(exports, [
      { type: 'export', format: 'pcapng', connection: 'c2' },
      { type: 'export', format: 'sock', connection: 'c2' },
      { type: 'export', format: 'jsonl', connection: null },
    ]);
  });

  it('comes back as it was after being hidden and shown (getState/setState)', async () => {
    p = await host.open();
    await init(p, conversation());
    await p.page.selectOption('#mode', 'hex');
    await p.page.selectOption('#connection', 'c3');
    await p.page.uncheck('#lifecycle');
    await p.page.fill('#send-input', 'remember me');
    await p.page.press('#send-input', 'Enter');
    await p.post({ type: 'sendResult', ok: true, message: 'Sent 11 bytes to c3' });
    await p.load(true);
    await init(p, conversation());
    assert.equal(await p.page.inputValue('#mode'), 'hex');
    assert.equal(await p.page.inputValue('#connection'), 'c3');
    assert.equal(await p.page.isChecked('#lifecycle'), false);
    assert.equal((await p.rows()).length, 1);
    await p.page.press('#send-input', 'ArrowUp');
    assert.equal(await p.page.inputValue('#send-input'), 'remember me');
  });

  it('high-contrast theme: directions stay distinguishable', async () => {
    p = await host.open('high-contrast');
    await init(p, conversation());
    const colors = await p.page.$$eval('#list .row .arrow', (as) => as.map((a) => getComputedStyle(a).color));
    assert.ok(new Set(colors).size >= 3, `arrow colors ${colors.join(', ')}`);
    await p.page.screenshot({ path: join(RESULTS, 'traffic-view-high-contrast.png') });
  });

  it('Light High Contrast theme: in and out are different hues, not two blues', async () => {
    p = await host.open('high-contrast-light');
    await init(p, conversation());
    const hue = (css: string): number => {
      const [r, g, b] = (css.match(/\d+/g) ?? []).slice(0, 3).map((n) => Number(n) / 255);
      const max = Math.max(r, g, b);
      const d = max - Math.min(r, g, b);
      if (d === 0) return 0;
      const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
      return (h * 60 + 360) % 360;
    };
    const color = (dir: string): Promise<string> => p.page.$eval(`#list .row.${dir} .arrow`, (a) => getComputedStyle(a).color);
    const [inHue, outHue] = [hue(await color('in')), hue(await color('out'))];
    const apart = Math.min(Math.abs(inHue - outHue), 360 - Math.abs(inHue - outHue));
    assert.ok(apart >= 60, `in ${inHue}° and out ${outHue}° are ${apart}° apart`);
    await p.page.screenshot({ path: join(RESULTS, 'traffic-view-high-contrast-light.png') });
  });
  it('cuts received bytes at the frames a block read, one row per frame, and marks in the hex dump the fields its captures and expectations read', async () => {
    p = await host.open();
    const at = (e: WireEvent, offset: number): WireEvent => ({ ...e, offset });
    const mark = (kind: 'frame' | 'field', offset: number, bytes: number, label: string, seq: number): WireEvent => ({ seq, ts: Date.UTC(2026, 10, 21, 10, 0, 1), id: 'c3', kind: 'mark', direction: 'in', offset, bytes, mark: kind, label });
    // Two Modbus/TCP responses arrive in chunks that do not follow the frames: 13 + 6 bytes, then 3.
    const first = Buffer.from('1a2b 0000 0007 01 03 04 03e8 07d0'.replace(/ /g, ''), 'hex');
    const second = Buffer.from('1a2c 0000 0005 01 03 02 0bb9'.replace(/ /g, ''), 'hex');
    const wire = Buffer.concat([first, second]);
    await init(p, [
      lifeEvent('c3', 'open', 'connected tcp 127.0.0.1:40400 → 127.0.0.1:5020'),
      at(dataEvent('c3', 'out', Buffer.from('1a2b000000060103000000 02'.replace(/ /g, ''), 'hex')), 0),
      at(dataEvent('c3', 'in', wire.subarray(0, 19)), 0),
      at(dataEvent('c3', 'in', wire.subarray(19)), 19),
      mark('frame', 0, 13, 'recv frame u16 after 4 timeout 3s', 9001),
      mark('field', 0, 2, 'expect u16 {{tid}} at 0', 9002),
      mark('field', 9, 2, 'first = "1000"', 9003),
      mark('field', 11, 2, 'second = "2000"', 9004),
      mark('frame', 13, 11, 'recv frame u16 after 4 timeout 3s', 9005),
    ]);
    let rows = await p.rows();
    assert.deepEqual(rows.map((r) => r.head.replace(/^[\d:.]+/, '')), [
      'c3●connected tcp 127.0.0.1:40400 → 127.0.0.1:5020',
      'c3→12 bytes',
      'c3←frame of 13 bytes · recv frame u16 after 4 timeout 3s',
      'c3←frame of 11 bytes · recv frame u16 after 4 timeout 3s',
    ]);
    assert.equal(rows[3].body, '\\x1a,\\0\\0\\0\\x05\\x01\\x03\\x02\\x0b\\xb9', 'the second frame’s bytes, from both chunks');
    assert.match(await p.status(), /^4 rows from 4 events, received frames as rows/);

    await p.page.selectOption('#mode', 'hex');
    await p.frames();
    rows = await p.rows();
    assert.equal(rows[2].body + '\n', execFileSync('xxd', [], { input: first }).toString(), 'the frame’s dump is xxd’s, from offset 0 of the frame');
    const fields = await p.page.$$eval('#list .row.frame .body .field', (spans) => spans.map((s) => [s.textContent, (s as HTMLElement).title]));
    assert.deepEqual(fields, [
      ['1a2b', 'expect u16 {{tid}} at 0'],
      ['03 e8', 'first = "1000"'],
      ['07 d0', 'second = "2000"'],
      ['.+', 'expect u16 {{tid}} at 0'],
      ['..', 'first = "1000"'],
      ['..', 'second = "2000"'],
    ]);
    const legend = await p.page.$$eval('#list .row.frame .legend', (ls) => ls.map((l) => l.textContent));
    assert.deepEqual(legend, ['bytes 0–1: expect u16 {{tid}} at 0bytes 9–10: first = "1000"bytes 11–12: second = "2000"']);
    await p.page.screenshot({ path: join(RESULTS, 'traffic-view-frames-hex.png') });

    await p.page.click('#frames');
    await p.frames();
    rows = await p.rows();
    assert.deepEqual(rows.map((r) => r.head.replace(/^[\d:.]+/, '')).slice(1), ['c3→12 bytes', 'c3←19 bytes', 'c3←5 bytes'], 'Frames off: the chunks as they came');
    assert.equal(await p.page.$$eval('#list .row .field', (s) => s.length) > 0, true, 'the chunks’ dumps still mark the fields');
  });
});
