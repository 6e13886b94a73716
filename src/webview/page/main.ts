/**
 * The traffic view's page script (runs in the webview). It says `ready`, then renders what the
 * host posts: a virtualized list (TanStack Virtual) keeps the DOM to the rows on screen, so
 * 100,000 events scroll smoothly. Every peer byte reaches the DOM through `textContent` only.
 */
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from '@tanstack/virtual-core';
import { escapeControls } from '../../net/bytes';
import { readEventsText, VIEW_PAYLOAD_MAX, type ExportFormat, type HostMessage, type PageMessage, type WireConnection } from '../protocol';
import { cutAtFrames, markedHexLines, UNFRAMED, type MarkSpan } from './marks';
import { chooseSendTarget, COLLAPSED_LINES, emptyMessage, EventStore, makeMatcher, payloadLines, rowConnection, visibleBody, type ViewEvent, type ViewFilter, type ViewMode } from './model';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
  getState(): unknown;
  setState(state: PageState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives the panel being hidden and shown again (events come back from the host). */
interface PageState {
  readonly mode: ViewMode;
  readonly encoding: string;
  /** Received bytes that a block read as frames are shown one row per frame, not as the chunks they came in. */
  readonly frames: boolean;
  readonly filter: ViewFilter;
  readonly follow: boolean;
  readonly history: readonly string[];
  /** The send target the person picked in the send box's list (cleared when the view or selection changes). */
  readonly sendTarget: string | null;
}

const HISTORY_MAX = 50;
const LINE_PX = 18;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const els = {
  connection: $<HTMLSelectElement>('connection'),
  dirIn: $<HTMLInputElement>('dir-in'),
  dirOut: $<HTMLInputElement>('dir-out'),
  lifecycle: $<HTMLInputElement>('lifecycle'),
  search: $<HTMLInputElement>('search'),
  mode: $<HTMLSelectElement>('mode'),
  encoding: $<HTMLSelectElement>('encoding'),
  frames: $<HTMLInputElement>('frames'),
  follow: $<HTMLButtonElement>('follow'),
  clear: $<HTMLButtonElement>('clear'),
  status: $('status'),
  list: $('list'),
  spacer: $('spacer'),
  empty: $('empty'),
  sendForm: $<HTMLFormElement>('send-form'),
  sendTarget: $<HTMLSelectElement>('send-target'),
  send: $<HTMLButtonElement>('send'),
  sendInput: $<HTMLInputElement>('send-input'),
  sendMessage: $('send-message'),
};

const saved = (vscode.getState() ?? {}) as Partial<PageState>;
let state: PageState = {
  mode: saved.mode ?? 'escaped',
  encoding: saved.encoding ?? 'utf-8',
  frames: saved.frames ?? true,
  filter: saved.filter ?? { connection: null, directions: ['in', 'out'], lifecycle: true, search: '' },
  follow: saved.follow ?? true,
  history: saved.history ?? [],
  sendTarget: saved.sendTarget ?? null,
};
const store = new EventStore();
let connections: readonly WireConnection[] = [];
let shown: ViewEvent[] = [];
let matcher = makeMatcher(state.filter, connections);
let selected = -1;
/** Where the send box sends: shown in its list, it follows the view and the selected row. */
let target: string | null = null;
/** True after Clear, until the page is loaded again. */
let cleared = false;
const expanded = new Set<number>(); // by seq
let historyPos = -1;
/** Payloads sent and not yet answered, oldest first: each joins the history only when the host sent it. */
const pendingSends: string[] = [];
/** Rendered rows by seq; rebuilt when the mode or encoding changes (`renderKey`). */
const rows = new Map<number, HTMLElement>();
let renderKey = '';

function save(patch: Partial<PageState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
function clock(ts: number): string {
  return `${timeFormat.format(ts)}.${String(ts % 1000).padStart(3, '0')}`;
}

/** A row's height before it is measured (no decoding: this runs for every event). */
function estimate(e: ViewEvent): number {
  const n = e.wire.kind === 'data' ? Math.min(e.wire.bytes ?? 0, VIEW_PAYLOAD_MAX) : 0;
  if (n === 0) return LINE_PX + 6;
  const lines = state.mode === 'hex' ? Math.ceil(n / 16) : 1 + Math.floor(n / 80);
  return LINE_PX * (1 + Math.min(lines, 17)) + 6;
}

const virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
  count: 0,
  getScrollElement: () => els.list,
  // The virtualizer may ask for the size of an index the list no longer has (its count is set at
  // the next render, after a filter or mode change): a one-line row, as it is not drawn.
  estimateSize: (i) => (i < shown.length ? estimate(shown[i]) : LINE_PX + 6),
  getItemKey: (i) => shown[i]?.wire.seq ?? i,
  scrollToFn: elementScroll,
  observeElementRect,
  observeElementOffset,
  overscan: 8,
  anchorTo: 'end',
  followOnAppend: state.follow,
  onChange: () => scheduleRender(),
});

function setCount(): void {
  virtualizer.setOptions({ ...virtualizer.options, count: shown.length, followOnAppend: state.follow });
  virtualizer._willUpdate();
  if (state.follow && shown.length > 0) virtualizer.scrollToIndex(shown.length - 1, { align: 'end' });
  scheduleRender();
}

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function connectionName(id: string): string {
  const c = connections.find((x) => x.id === id);
  return c ? `${id} ${c.label}` : id;
}

/** A connection in the lists: `c2 · tcp 127.0.0.1:5000 ← 127.0.0.1:40312`; a UDP peer by its address alone (its id holds it). */
function optionText(c: WireConnection): string {
  return c.kind === 'peer' ? `${c.listener ?? ''} ← ${c.peer ?? c.id} (peer)` : `${c.id} · ${c.label}`;
}

/** Builds one row; every string from the peer goes in with textContent. */
function buildRow(e: ViewEvent, index: number): HTMLElement {
  const w = e.wire;
  const row = document.createElement('div');
  row.className = `row ${w.kind === 'data' ? w.direction : 'life'} kind-${w.kind}`;
  row.setAttribute('role', 'listitem');
  row.dataset.index = String(index);
  const head = document.createElement('div');
  head.className = 'head';
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = clock(w.ts);
  const conn = document.createElement('span');
  conn.className = 'conn';
  conn.textContent = connections.find((x) => x.id === w.id)?.name ?? w.id;
  conn.title = connectionName(w.id);
  const arrow = document.createElement('span');
  arrow.className = 'arrow';
  const what = document.createElement('span');
  what.className = 'what';
  head.append(time, conn, arrow, what);
  row.append(head);
  if (w.kind === 'data') {
    const n = w.bytes ?? 0;
    arrow.textContent = w.direction === 'in' ? '←' : '→';
    arrow.title = w.direction === 'in' ? 'received from the peer' : 'sent to the peer';
    const held = e.payload && e.payload.length < n ? ` (${e.payload.length === 0 ? 'none' : `first ${e.payload.length}`} held; exports have all)` : '';
    if (w.mark === 'frame') {
      row.classList.add('frame');
      // Labels are .sock source and captured values: controls and bidi overrides show as escapes.
      what.textContent = `frame of ${n} byte${n === 1 ? '' : 's'} · ${escapeControls(w.label ?? '', false)}${held}`;
    } else if (w.label === UNFRAMED) {
      row.classList.add('unframed');
      what.textContent = `${n} byte${n === 1 ? '' : 's'} ${UNFRAMED}${held}`;
    } else {
      what.textContent = `${n} byte${n === 1 ? '' : 's'}${w.peer ? ` ${w.direction === 'in' ? 'from' : 'to'} ${w.peer}` : ''}${held}`;
    }
    if (e.payload && e.payload.length > 0) {
      const isExpanded = expanded.has(w.seq);
      const lines = payloadLines(e.payload, state.mode, state.encoding);
      const body = visibleBody(lines, isExpanded);
      const pre = document.createElement('pre');
      pre.className = `body mode-${state.mode}`;
      const fields = state.mode === 'hex' && w.offset !== undefined ? store.marks.fieldsIn(w.id, w.direction, w.offset, w.offset + e.payload.length) : [];
      if (fields.length > 0) {
        fillMarkedHex(pre, markedHexLines(e.payload, w.offset as number, fields, isExpanded ? Infinity : COLLAPSED_LINES), fields);
        row.append(pre, legend(fields, w.offset as number));
      } else {
        pre.textContent = body.text;
        row.append(pre);
      }
      if (body.hiddenLines > 0 || isExpanded) {
        const more = document.createElement('div');
        more.className = 'more';
        more.textContent = isExpanded ? 'Show less (Enter)' : `… ${body.hiddenLines} more line${body.hiddenLines === 1 ? '' : 's'} (Enter or click to show)`;
        row.append(more);
      }
    }
  } else {
    arrow.textContent = w.kind === 'error' ? '!' : w.kind === 'close' ? '×' : w.kind === 'half-close' ? '⇥' : w.kind === 'drop' ? '⊘' : '●';
    // Summaries can carry peer-chosen text (an error's message): controls show as escapes.
    what.textContent = escapeControls(w.summary ?? w.kind, false);
  }
  return row;
}

/** Fills a hex dump with its marked bytes as spans (titled with what read them); every byte goes in as text. */
function fillMarkedHex(pre: HTMLElement, lines: ReturnType<typeof markedHexLines>, fields: readonly MarkSpan[]): void {
  lines.forEach((segments, i) => {
    if (i > 0) pre.append('\n');
    for (const seg of segments) {
      if (seg.mark === undefined) {
        pre.append(seg.text);
        continue;
      }
      const span = document.createElement('span');
      span.className = `field field-${seg.mark % 4}`;
      span.title = escapeControls(fields[seg.mark].label, false);
      span.textContent = seg.text;
      pre.append(span);
    }
  });
}

/** The marks of a row in words, so they read without a mouse: `bytes 0–1: id = "4660"`, offsets within the row. */
function legend(fields: readonly MarkSpan[], base: number): HTMLElement {
  const div = document.createElement('div');
  div.className = 'legend';
  const shown = fields.slice(0, 8);
  shown.forEach((m, k) => {
    const item = document.createElement('span');
    item.className = `field field-${k % 4}`;
    const from = Math.max(0, m.start - base);
    const to = m.end - base - 1;
    item.textContent = `${to > from ? `bytes ${from}–${to}` : `byte ${from}`}: ${escapeControls(m.label, false)}`;
    div.append(item);
  });
  if (fields.length > shown.length) div.append(`+${fields.length - shown.length} more`);
  return div;
}

/** Drops the built rows, so those on screen are built again (new marks to draw, another mode). */
function invalidateRows(): void {
  for (const r of rows.values()) r.remove();
  rows.clear();
  scheduleRender();
}

function render(): void {
  const key = `${state.mode}|${state.encoding}`;
  if (key !== renderKey) {
    for (const r of rows.values()) r.remove();
    rows.clear();
    renderKey = key;
  }
  els.spacer.style.height = `${virtualizer.getTotalSize()}px`;
  els.empty.hidden = shown.length > 0;
  if (shown.length === 0) els.empty.textContent = describeEmpty();
  const items = virtualizer.getVirtualItems();
  const keep = new Set<number>();
  for (const item of items) {
    const e = shown[item.index];
    if (!e) continue;
    const seq = e.wire.seq;
    keep.add(seq);
    let row = rows.get(seq);
    if (!row) {
      row = buildRow(e, item.index);
      rows.set(seq, row);
      els.list.append(row);
      virtualizer.measureElement(row);
    }
    row.dataset.index = String(item.index);
    row.style.transform = `translateY(${item.start}px)`;
    row.classList.toggle('selected', item.index === selected);
    row.setAttribute('aria-selected', String(item.index === selected));
  }
  for (const [seq, row] of rows) {
    if (keep.has(seq)) continue;
    row.remove();
    rows.delete(seq);
  }
  updateStatus();
}

function rebuildRow(index: number): void {
  const e = shown[index];
  if (!e) return;
  rows.get(e.wire.seq)?.remove();
  rows.delete(e.wire.seq);
  scheduleRender();
}

function updateStatus(): void {
  const events = (store.length - store.markCount).toLocaleString();
  const cut = state.frames && store.marks.hasFrames;
  // Cut at frames, rows are no longer events: a frame may join two chunks, a chunk hold two frames.
  const parts = [cut ? `${shown.length.toLocaleString()} rows from ${events} events, received frames as rows` : `${shown.length.toLocaleString()} of ${events} events shown`];
  if (store.marks.hasFrames && !state.frames) parts.push('chunks as they came (turn on Frames for the frames blocks read)');
  if (store.dropped > 0) parts.push(`${store.dropped.toLocaleString()} older events dropped (the capture's bounds: socketLab.capture.*)`);
  if (!state.follow) parts.push('paused: new events are added below');
  const search = state.filter.search.trim();
  if (/^hex\s/i.test(search) && !/^hex\s+((?:[0-9a-fA-F]{2}\s*)*)$/i.test(search)) parts.push('hex search needs pairs of hex digits');
  els.status.textContent = parts.join(' · ');
}

/** What the empty list says: why nothing is shown (see {@link emptyMessage}). */
function describeEmpty(): string {
  const f = state.filter;
  let heldOfConnection = store.length;
  if (f.connection !== null) {
    const ofConnection = makeMatcher({ connection: f.connection, directions: ['in', 'out'], lifecycle: true, search: '' }, connections);
    heldOfConnection = store.all().filter(ofConnection).length;
  }
  return emptyMessage({ filter: f, held: store.length, heldOfConnection, dropped: store.dropped, cleared, connections });
}

/** The rows before the filter: the events, or with Frames on, the bytes blocks read as frames cut at their frames. */
function rowsOf(): readonly ViewEvent[] {
  return state.frames ? cutAtFrames(store.all(), store.marks) : store.all();
}

function refilter(): void {
  matcher = makeMatcher(state.filter, connections);
  shown = rowsOf().filter(matcher);
  selected = Math.min(selected, shown.length - 1);
  setCount();
}

function fillConnections(): void {
  const current = state.filter.connection;
  const options: [string, string][] = [['', 'All connections']];
  for (const c of connections) options.push([c.id, `${c.kind === 'accepted' || c.kind === 'peer' ? '  ↳ ' : ''}${optionText(c)}`]);
  if (current && !connections.some((c) => c.id === current)) options.push([current, `${current} (gone)`]);
  els.connection.replaceChildren(
    ...options.map(([value, label]) => {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      return o;
    }),
  );
  els.connection.value = current ?? '';
  updateSendTarget(true);
}

/**
 * Works out the send box's target and shows it: the list offers the connections in view that can
 * send. `keep`: the target stays unless it can no longer send or left the view (new connections
 * arriving do not move it); without it, the target follows the view and the selected row.
 */
function updateSendTarget(keep: boolean): void {
  const f = state.filter.connection;
  const row = selected >= 0 && shown[selected] ? rowConnection(shown[selected].wire, connections) : null;
  target = chooseSendTarget(connections, { filter: f, row, chosen: state.sendTarget, current: keep ? target : null });
  const inView = connections.filter((c) => c.canSend && (f === null || c.id === f || c.listener === f));
  const shownConnection = f === null ? undefined : connections.find((c) => c.id === f);
  const none = f === null ? 'No open connection' : !shownConnection ? `${f} is gone: nothing to send to` : shownConnection.kind === 'listener' ? `No open connection of ${f}` : `${f} is closed: nothing to send to`;
  const options: [string, string][] = target === null ? [['', none]] : inView.map((c) => [c.id, optionText(c)]);
  els.sendTarget.replaceChildren(
    ...options.map(([value, label]) => {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      return o;
    }),
  );
  els.sendTarget.value = target ?? '';
  els.sendTarget.title = target === null ? none : `Send to ${connectionName(target)}`;
  els.sendTarget.disabled = target === null;
  els.send.disabled = target === null;
}

function setFilter(patch: Partial<ViewFilter>): void {
  const connectionChanged = patch.connection !== undefined && patch.connection !== state.filter.connection;
  if (connectionChanged) selected = -1; // the selected row was another view's
  save({ filter: { ...state.filter, ...patch } });
  refilter();
  if (connectionChanged) followView();
}

/** The view or the selection changed: the send target follows it (the person's earlier pick no longer holds). */
function followView(): void {
  save({ sendTarget: null });
  updateSendTarget(false);
}

function setFollow(on: boolean): void {
  save({ follow: on });
  els.follow.textContent = on ? 'Pause' : 'Follow';
  els.follow.setAttribute('aria-pressed', String(on));
  setCount();
}

function onHost(msg: HostMessage): void {
  switch (msg.type) {
    case 'init':
      store.clear();
      cleared = false;
      store.push(readEventsText(msg.events));
      store.dropped += msg.dropped;
      connections = msg.connections;
      if (msg.focus !== null) save({ filter: { ...state.filter, connection: msg.focus }, sendTarget: null });
      refilter();
      fillConnections();
      return;
    case 'events': {
      const events = readEventsText(msg.events);
      const cut = store.push(events);
      store.dropped += msg.dropped;
      const marked = events.some((e) => e.kind === 'mark');
      // With frames shown, new bytes and marks can change earlier rows (a frame, the bytes after it): all are cut again.
      if (cut > 0 || (state.frames && store.marks.hasFrames)) {
        if (marked) invalidateRows();
        refilter();
        return;
      }
      if (marked && state.mode === 'hex') invalidateRows();
      let added = 0;
      for (const e of store.all().slice(store.length - events.length)) {
        if (!matcher(e)) continue;
        shown.push(e);
        added++;
      }
      if (added > 0) setCount();
      else if (shown.length === 0) scheduleRender(); // the empty list's message may change
      else updateStatus();
      return;
    }
    case 'connections':
      connections = msg.connections;
      fillConnections();
      if (state.filter.connection !== null) refilter();
      return;
    case 'focus':
      save({ filter: { ...state.filter, connection: msg.focus }, sendTarget: null });
      els.connection.value = msg.focus ?? '';
      refilter();
      fillConnections();
      updateSendTarget(false);
      return;
    case 'sendResult': {
      els.sendMessage.textContent = msg.message;
      els.sendMessage.className = `send-message ${msg.ok ? 'ok' : 'error'}`;
      const payload = pendingSends.shift();
      if (payload === undefined) return;
      // Only what was sent is worth recalling; a payload the host refused comes back to be mended.
      if (msg.ok) save({ history: [payload, ...state.history.filter((h) => h !== payload)].slice(0, HISTORY_MAX) });
      else if (els.sendInput.value === '') els.sendInput.value = payload;
      return;
    }
  }
}

/** The encoding choice is for Text mode; it keeps its place in the other modes, so the toolbar does not move. */
function showEncoding(): void {
  const text = state.mode === 'text';
  els.encoding.style.visibility = text ? 'visible' : 'hidden';
  els.encoding.disabled = !text;
}

function toggleExpanded(index: number): void {
  const e = shown[index];
  if (!e || e.wire.kind !== 'data') return;
  if (expanded.has(e.wire.seq)) expanded.delete(e.wire.seq);
  else expanded.add(e.wire.seq);
  rebuildRow(index);
}

function select(index: number): void {
  if (shown.length === 0) return;
  selected = Math.max(0, Math.min(shown.length - 1, index));
  virtualizer.scrollToIndex(selected, { align: 'auto' });
  followView();
  scheduleRender();
}

function exportAs(format: ExportFormat): void {
  vscode.postMessage({ type: 'export', format, connection: state.filter.connection });
}

function wire(): void {
  els.mode.value = state.mode;
  els.encoding.value = state.encoding;
  showEncoding();
  els.frames.checked = state.frames;
  els.dirIn.checked = state.filter.directions.includes('in');
  els.dirOut.checked = state.filter.directions.includes('out');
  els.lifecycle.checked = state.filter.lifecycle;
  els.search.value = state.filter.search;
  setFollow(state.follow);

  els.connection.addEventListener('change', () => setFilter({ connection: els.connection.value === '' ? null : els.connection.value }));
  const directions = (): void => setFilter({ directions: [...(els.dirIn.checked ? ['in' as const] : []), ...(els.dirOut.checked ? ['out' as const] : [])] });
  els.dirIn.addEventListener('change', directions);
  els.dirOut.addEventListener('change', directions);
  els.lifecycle.addEventListener('change', () => setFilter({ lifecycle: els.lifecycle.checked }));
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  els.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setFilter({ search: els.search.value }), 150);
  });
  els.mode.addEventListener('change', () => {
    save({ mode: els.mode.value as ViewMode });
    showEncoding();
    virtualizer.measure();
    scheduleRender();
  });
  els.frames.addEventListener('change', () => {
    save({ frames: els.frames.checked });
    selected = -1;
    invalidateRows();
    refilter();
  });
  els.encoding.addEventListener('change', () => {
    save({ encoding: els.encoding.value });
    virtualizer.measure();
    scheduleRender();
  });
  els.follow.addEventListener('click', () => setFollow(!state.follow));
  els.clear.addEventListener('click', () => {
    store.clear();
    cleared = true;
    expanded.clear();
    selected = -1;
    refilter();
  });
  els.list.addEventListener('wheel', (ev) => {
    if (ev.deltaY < 0 && state.follow) setFollow(false);
  });
  els.list.addEventListener('click', (ev) => {
    const row = (ev.target as HTMLElement).closest<HTMLElement>('.row');
    if (!row) return;
    const index = Number(row.dataset.index);
    selected = index;
    followView();
    if ((ev.target as HTMLElement).closest('.more')) toggleExpanded(index);
    scheduleRender();
  });
  els.list.addEventListener('keydown', (ev) => {
    const page = Math.max(1, Math.floor(els.list.clientHeight / (LINE_PX * 3)));
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (ev.key in moves) select((selected < 0 ? 0 : selected) + moves[ev.key]);
    else if (ev.key === 'Home') select(0);
    else if (ev.key === 'End') select(shown.length - 1);
    else if (ev.key === 'Enter' || ev.key === ' ') toggleExpanded(selected);
    else return;
    if (ev.key !== 'End' && state.follow) setFollow(false);
    ev.preventDefault();
  });
  for (const format of ['jsonl', 'sock', 'mock', 'pcapng'] as const) $(`export-${format}`).addEventListener('click', () => exportAs(format));

  els.sendTarget.addEventListener('change', () => {
    save({ sendTarget: els.sendTarget.value || null });
    updateSendTarget(true);
  });
  els.sendForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const payload = els.sendInput.value;
    const connection = target;
    if (!connection || payload === '') return;
    vscode.postMessage({ type: 'send', connection, payload });
    pendingSends.push(payload);
    historyPos = -1;
    els.sendInput.value = '';
    els.sendMessage.textContent = '';
  });
  els.sendInput.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown') return;
    if (state.history.length === 0) return;
    historyPos = Math.max(-1, Math.min(state.history.length - 1, historyPos + (ev.key === 'ArrowUp' ? 1 : -1)));
    els.sendInput.value = historyPos < 0 ? '' : state.history[historyPos];
    ev.preventDefault();
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === '/' && document.activeElement?.tagName !== 'INPUT') {
      els.search.focus();
      ev.preventDefault();
    }
  });

  window.addEventListener('message', (ev: MessageEvent<HostMessage>) => onHost(ev.data));
  virtualizer._didMount();
  virtualizer._willUpdate();
  vscode.postMessage({ type: 'ready' });
}

wire();
