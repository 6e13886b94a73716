/**
 * The load view's page script (runs in the webview): a running load's throughput and latency
 * over time, drawn with uPlot in the theme's chart colors, and its final table. It says `ready`,
 * then renders what the host posts; every figure reaches the DOM through `textContent`.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LoadHostMessage, LoadPageMessage, LoadPoint } from './protocol';

interface VsCodeApi {
  postMessage(message: LoadPageMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** The points a chart keeps: at one every 500 ms, the last hour. */
const MAX_POINTS = 7200;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** A theme color by its CSS variable, with a fallback for a theme without it. */
function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

const points: LoadPoint[] = [];

function axes(unit: string): uPlot.Axis[] {
  const stroke = themeColor('--vscode-foreground', '#ccc');
  const grid = { stroke: themeColor('--vscode-editorWidget-border', '#444'), width: 1 };
  return [
    { stroke, grid, ticks: grid, values: (_u, ticks) => ticks.map((t) => `${t}s`) },
    { stroke, grid, ticks: grid, size: 60, values: (_u, ticks) => ticks.map((t) => `${t}${unit}`) },
  ];
}

/** A chart's line: its label, its theme color, and a dash pattern for a line that may lie on another. */
interface Line {
  readonly label: string;
  readonly color: string;
  readonly dash?: number[];
}

function chart(el: HTMLElement, series: Line[], unit: string): uPlot {
  const opts: uPlot.Options = {
    width: Math.max(300, el.clientWidth),
    height: 220,
    scales: { x: { time: false } },
    axes: axes(unit),
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    series: [{ label: 'time' }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false }, ...(s.dash ? { dash: s.dash } : {}) }))],
  };
  return new uPlot(opts, [[], ...series.map(() => [])], el);
}

let throughput: uPlot | undefined;
let latency: uPlot | undefined;

function makeCharts(): void {
  throughput?.destroy();
  latency?.destroy();
  throughput = chart($('throughput'), [
    { label: 'sessions/s', color: themeColor('--vscode-charts-blue', '#3794ff') },
    // One round trip per session draws the same line twice: dashed, both show.
    { label: 'round trips/s', color: themeColor('--vscode-charts-green', '#89d185'), dash: [6, 4] },
  ], '');
  latency = chart($('latency'), [
    { label: 'median', color: themeColor('--vscode-charts-purple', '#b180d7') },
    { label: 'p99', color: themeColor('--vscode-charts-red', '#f14c4c') },
  ], ' ms');
}

function redraw(): void {
  const x = points.map((p) => Math.round(p.ms / 100) / 10);
  throughput?.setData([x, points.map((p) => p.sessionsPerSecond), points.map((p) => p.roundTripsPerSecond)]);
  latency?.setData([x, points.map((p) => p.medianMs), points.map((p) => p.p99Ms)]);
}

function onHost(m: LoadHostMessage): void {
  if (m.type === 'start') {
    points.length = 0;
    $('title').textContent = m.title;
    $('status').textContent = 'Running…';
    $('status').className = 'status';
    $('final').hidden = true;
    makeCharts();
    redraw();
  } else if (m.type === 'progress') {
    const p = m.point;
    points.push(p);
    if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS);
    $('sessions').textContent = String(p.sessions);
    $('running').textContent = String(p.running);
    $('errors').textContent = String(p.errors);
    $('rate').textContent = String(p.sessionsPerSecond);
    $('rtrate').textContent = String(p.roundTripsPerSecond);
    redraw();
  } else {
    $('status').textContent = m.summary;
    $('sessions').textContent = String(m.sessions);
    $('running').textContent = '0';
    $('errors').textContent = String(m.errors.reduce((n, [, k]) => n + k, 0));
    $('status').className = m.failed ? 'status failed' : 'status done';
    const body = $('table').querySelector('tbody') as HTMLTableSectionElement;
    body.replaceChildren(
      ...m.table.slice(1).map((row) => {
        const tr = document.createElement('tr');
        row.forEach((cell, i) => {
          const td = document.createElement(i === 0 ? 'th' : 'td');
          if (i === 0) td.setAttribute('scope', 'row');
          td.textContent = cell;
          tr.append(td);
        });
        return tr;
      }),
    );
    $('error-codes').textContent = m.errors.length === 0 ? 'No errors.' : `Errors: ${m.errors.map(([code, n]) => `${code} ${n}`).join(', ')}`;
    $('final').hidden = false;
  }
}

window.addEventListener('message', (ev: MessageEvent<LoadHostMessage>) => onHost(ev.data));
window.addEventListener('resize', () => {
  for (const [c, el] of [[throughput, $('throughput')], [latency, $('latency')]] as const) c?.setSize({ width: Math.max(300, el.clientWidth), height: 220 });
});
makeCharts();
vscode.postMessage({ type: 'ready' });
