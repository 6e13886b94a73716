import * as assert from 'node:assert/strict';
import { eventsText, type WireEvent } from '../../src/webview/protocol';
import { dataEvent, lifeEvent, PageHost, type TrafficPage } from './pageHost';

/** Markup and script a peer might send, in the forms that have broken web views before. */
const SEEDS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<svg onload="window.__pwned=1"></svg>',
  '</div></pre><div id="injected">',
  '"><iframe srcdoc="<script>parent.__pwned=1</script>">',
  '<a href="javascript:window.__pwned=1">click</a>',
  'javascript:window.__pwned=1',
  '<style>body{display:none}</style>',
  '<base href="http://127.0.0.2/">',
  '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
  '<object data="javascript:window.__pwned=1"></object>',
  '<details open ontoggle="window.__pwned=1">',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=1">',
  '{{constructor.constructor("window.__pwned=1")()}}',
  '${window.__pwned=1}',
  '\u0000<script>window.__pwned=1</script>',
  'NUL\u0000in\u0000the\u0000middle',
  'line\u2028separator\u2029paragraph',
  'right-to-left \u202Eoverride\u202C and \u2066isolate\u2069',
  '&lt;script&gt;window.__pwned=1&lt;/script&gt;',
  '<!--',
  ']]><script>window.__pwned=1</script>',
  '\r\n\r\n<body onload="window.__pwned=1">',
  '<form action="javascript:window.__pwned=1"><button>x</button></form>',
  '<input autofocus onfocus="window.__pwned=1">',
];
const INVALID_UTF8 = [Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xc3, 0x28]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf0, 0x28, 0x8c, 0x28]), Buffer.from([0xed, 0xa0, 0x80])];

/** ~500 hostile payloads: each seed alone, wrapped in bytes, cut, and mixed with invalid UTF-8. */
function hostilePayloads(): Buffer[] {
  const out: Buffer[] = [];
  for (const seed of SEEDS) {
    const b = Buffer.from(seed, 'utf8');
    out.push(b, Buffer.concat([Buffer.from([0]), b]), b.subarray(0, Math.ceil(b.length / 2)), b.subarray(Math.floor(b.length / 2)), Buffer.from(seed.toUpperCase(), 'utf8'));
    for (const bad of INVALID_UTF8) out.push(Buffer.concat([b, bad]), Buffer.concat([bad, b]));
    out.push(Buffer.from(seed.repeat(30), 'utf8'));
    out.push(Buffer.from(seed, 'utf16le'), Buffer.from(seed, 'latin1'));
    out.push(Buffer.from(`${seed}\n${seed}\r\n${seed}`, 'utf8'));
    out.push(Buffer.from(encodeURIComponent(seed)));
    out.push(Buffer.from(seed.split('').reverse().join(''), 'utf8'));
  }
  return out;
}

describe('traffic view page: hostile payloads stay text', function () {
  this.timeout(180_000);
  let host: PageHost;
  let p: TrafficPage;

  before(async () => {
    host = await PageHost.start();
  });
  after(async () => {
    await p?.close();
    await host?.close();
  });

  it('~500 hostile payloads in every mode: nothing executes, no element is made from them, the text reads as sent', async () => {
    const payloads = hostilePayloads();
    assert.ok(payloads.length >= 450, `${payloads.length} payloads`);
    p = await host.open();
    // Record every element added under the list: only the page's own row parts may appear.
    await p.page.evaluate(() => {
      const w = window as unknown as { __made: string[] };
      w.__made = [];
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) if (n instanceof Element) for (const el of [n, ...n.querySelectorAll('*')]) w.__made.push(`${el.tagName}.${el.className}`);
      }).observe(document.getElementById('list') as HTMLElement, { childList: true, subtree: true });
    });
    const events: WireEvent[] = [];
    payloads.forEach((b, i) => events.push(dataEvent(i % 3 === 0 ? 'c9' : 'c2', i % 2 ? 'in' : 'out', b)));
    // c7 is read as frames, and fields are marked with labels carrying the seeds (a capture's label shows captured bytes).
    let offset = 0;
    payloads.slice(0, 60).forEach((b, i) => {
      events.push({ ...dataEvent('c7', 'in', b), offset });
      const m = { ts: 0, id: 'c7', kind: 'mark' as const, direction: 'in' as const };
      if (i % 2 === 0) events.push({ ...m, seq: 100_000 + 2 * i, offset, bytes: b.length, mark: 'frame', label: SEEDS[i % SEEDS.length] });
      events.push({ ...m, seq: 100_001 + 2 * i, offset: offset + 1, bytes: 3, mark: 'field', label: `x = "${SEEDS[(i + 1) % SEEDS.length]}"` });
      offset += b.length;
    });
    // Peer-controlled text also reaches summaries (an error message, a peer address) and labels.
    SEEDS.forEach((seed) => events.push(lifeEvent('c2', 'error', `ECONNRESET: ${seed}`)));
    await p.post({ type: 'init', events: eventsText(events), connections: [{ id: 'c2', kind: 'client', transport: 'tcp', label: `tcp 127.0.0.1:1 → ${SEEDS[1]}`, canSend: true }], dropped: 0, focus: null });

    const allowed = /^(DIV\.(row (in|out|life) kind-[a-z-]+( frame| unframed)?( selected)?|head|more|legend)|SPAN\.(time|conn|arrow|what|field field-[0-3])|PRE\.body mode-(escaped|hex|text))$/;
    let checkedRows = 0;
    for (const mode of ['escaped', 'hex', 'text'] as const) {
      await p.page.selectOption('#mode', mode);
      await p.page.focus('#list');
      await p.page.keyboard.press('Home');
      await p.frames();
      // Walk the whole list, a screen at a time (bounded: the list is finite and each step moves down).
      for (let step = 0; step < 2_000; step++) {
        const rows = await p.rows();
        checkedRows += rows.length;
        // eslint-disable-next-line no-control-regex
        for (const r of rows) assert.ok(!/\u202e|\u2066|\u2028|\u0000/.test(r.body + r.head), `row ${r.index} shows a raw control character in ${mode} mode`);
        const done = await p.page.evaluate(() => {
          const list = document.getElementById('list') as HTMLElement;
          const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
          list.scrollTop += list.clientHeight;
          return atEnd;
        });
        await p.frames();
        if (done) break;
      }
    }
    const result = await p.page.evaluate(() => {
      const w = window as unknown as { __pwned?: number; __made: string[] };
      return {
        pwned: w.__pwned,
        made: w.__made,
        injected: document.getElementById('injected') !== null,
        foreign: [...document.querySelectorAll('script:not([src$="/media/dist/trafficView.js"]), img, svg, iframe, a, style, base, meta[http-equiv=refresh], object, details, math, form:not(#send-form), input:not(#search):not(#send-input):not([type=checkbox])')].map((e) => e.outerHTML.slice(0, 80)),
        bodyVisible: getComputedStyle(document.body).display !== 'none',
        url: location.href,
      };
    });
    assert.equal(result.pwned, undefined, 'a payload executed');
    assert.equal(result.injected, false);
    assert.deepEqual(result.foreign, [], 'an element came from a payload');
    assert.ok(result.bodyVisible);
    assert.equal(result.url, `${host.origin}/`);
    const bad = [...new Set(result.made.filter((m) => !allowed.test(m)))];
    assert.deepEqual(bad, [], 'elements made beyond the row parts');
    assert.ok(checkedRows > 500, `${checkedRows} rows checked`);

    // And the markup reads as the peer sent it: as characters, in the escaped view.
    await p.page.selectOption('#mode', 'escaped');
    await p.page.fill('#search', '<img src=x onerror');
    await p.page.waitForFunction(() => {
      const m = /^([\d,]+) (?:of|rows from) ([\d,]+)/.exec(document.getElementById('status')?.textContent ?? '');
      return m !== null && m[1] !== m[2] && m[1] !== '0';
    });
    const first = (await p.rows())[0];
    assert.ok(first.body.includes('<img src=x onerror=\\"window.__pwned=1\\">'), first.body);
    assert.deepEqual(p.errors, []);
  });
});
