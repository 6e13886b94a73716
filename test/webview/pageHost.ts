/**
 * The traffic view's page, served standalone on loopback with a fake host, in Debian's Chromium
 * (headless, playwright-core). The document is the extension's own (`trafficViewHtml`, with its
 * CSP); the fake host is `acquireVsCodeApi` injected before the page script: it records what the
 * page posts and keeps its state in sessionStorage, so a reload is a hidden-then-shown panel.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { trafficViewHtml } from '../../src/webview/html';
import type { HostMessage, PageMessage, WireEvent } from '../../src/webview/protocol';

const ROOT = join(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The colors VS Code gives a webview, for the three kinds of theme (a subset of the real sets). */
export const THEMES: Record<'dark' | 'light' | 'high-contrast' | 'high-contrast-light', Record<string, string>> = {
  dark: {
    '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc', '--vscode-input-border': '#3c3c3c',
    '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#026ec1',
    '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc', '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    '--vscode-focusBorder': '#0078d4', '--vscode-panel-border': '#2b2b2b', '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616',
    '--vscode-errorForeground': '#f85149', '--vscode-textLink-foreground': '#4daafc', '--vscode-list-inactiveSelectionBackground': '#37373d',
    '--vscode-font-family': 'system-ui, sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editor-font-size': '13px',
  },
  light: {
    '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#717171',
    '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b', '--vscode-input-border': '#cecece',
    '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-hoverBackground': '#0258a8',
    '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-button-secondaryHoverBackground': '#cccccc',
    '--vscode-focusBorder': '#005fb8', '--vscode-panel-border': '#e5e5e5', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-orange': '#d18616',
    '--vscode-errorForeground': '#e51400', '--vscode-textLink-foreground': '#005fb8', '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
    '--vscode-font-family': 'system-ui, sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editor-font-size': '13px',
  },
  'high-contrast': {
    '--vscode-foreground': '#ffffff', '--vscode-editor-background': '#000000', '--vscode-descriptionForeground': '#ffffff',
    '--vscode-input-background': '#000000', '--vscode-input-foreground': '#ffffff', '--vscode-input-border': '#6fc3df',
    '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df',
    '--vscode-focusBorder': '#f38518', '--vscode-panel-border': '#6fc3df', '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#f38518',
    '--vscode-errorForeground': '#f48771', '--vscode-textLink-foreground': '#21a6ff', '--vscode-list-focusOutline': '#f38518',
    '--vscode-font-family': 'system-ui, sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editor-font-size': '13px',
  },
  // Light High Contrast: charts.orange is minimap.findMatchHighlight's #0F4A85, a blue.
  'high-contrast-light': {
    '--vscode-foreground': '#292929', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#292929',
    '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#292929', '--vscode-input-border': '#0f4a85',
    '--vscode-button-background': '#0f4a85', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#0f4a85',
    '--vscode-focusBorder': '#006bbd', '--vscode-panel-border': '#0f4a85', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-orange': '#0f4a85',
    '--vscode-charts-red': '#b5200d', '--vscode-errorForeground': '#b5200d', '--vscode-textLink-foreground': '#0f4a85', '--vscode-list-focusOutline': '#006bbd',
    '--vscode-font-family': 'system-ui, sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editor-font-size': '13px',
  },
};

/** The classes VS Code gives a webview's body for each kind of theme. */
const THEME_CLASSES: Record<keyof typeof THEMES, string[]> = {
  dark: ['vscode-dark'],
  light: ['vscode-light'],
  'high-contrast': ['vscode-high-contrast'],
  'high-contrast-light': ['vscode-high-contrast', 'vscode-high-contrast-light'],
};

/** A running browser and loopback server for page tests. */
export class PageHost {
  private constructor(
    private readonly browser: Browser,
    private readonly server: Server,
    readonly origin: string,
  ) {}

  /** Starts the loopback server (the page, its script and stylesheet) and the browser. */
  static async start(): Promise<PageHost> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const files: Record<string, [string, string]> = {
        '/media/dist/trafficView.js': [join(ROOT, 'media/dist/trafficView.js'), 'text/javascript'],
        '/media/trafficView.css': [join(ROOT, 'media/trafficView.css'), 'text/css'],
      };
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/') {
        const origin = `http://${req.headers.host}`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(trafficViewHtml({ cspSource: origin, nonce: randomBytes(16).toString('base64'), scriptUri: `${origin}/media/dist/trafficView.js`, styleUri: `${origin}/media/trafficView.css` }));
        return;
      }
      const file = files[url.pathname];
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file[1] });
      res.end(readFileSync(file[0]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'] });
    return new PageHost(browser, server, `http://127.0.0.1:${port}`);
  }

  /**
   * Opens the page with the fake host and waits for it to say `ready`.
   * @param theme the theme colors to set, as VS Code sets them on the document element
   */
  async open(theme: keyof typeof THEMES = 'dark', size = { width: 1100, height: 700 }): Promise<TrafficPage> {
    const context = await this.browser.newContext({ viewport: size });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // tsx compiles the functions below with esbuild's keepNames, which calls a `__name` helper.
    await page.addInitScript('window.__name = (f) => f;');
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      w.__posted = [];
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => (w.__violations as string[]).push(`${e.violatedDirective}: ${e.blockedURI}`));
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => (w.__posted as unknown[]).push(m),
        getState: () => JSON.parse(sessionStorage.getItem('state') ?? 'null'),
        setState: (s: unknown) => sessionStorage.setItem('state', JSON.stringify(s)),
      });
    });
    const tp = new TrafficPage(page, errors, theme, this.origin);
    await tp.load();
    return tp;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await new Promise((r) => this.server.close(r));
  }
}

/** One open page: post host messages, read what it posted and what it shows. */
export class TrafficPage {
  constructor(
    readonly page: Page,
    /** Page errors and console errors: a test ends by asserting there were none. */
    readonly errors: string[],
    private readonly theme: keyof typeof THEMES,
    private readonly origin: string,
  ) {}

  /** Loads (or reloads) the page, sets the theme, and waits for `ready`. */
  async load(reload = false): Promise<void> {
    if (reload) await this.page.reload();
    else await this.page.goto(`${this.origin}/`);
    await this.page.evaluate(([vars, classes]) => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.classList.add(...classes);
    }, [THEMES[this.theme], THEME_CLASSES[this.theme]] as const);
    await this.page.waitForFunction(() => ((window as unknown as { __posted: { type: string }[] }).__posted ?? []).some((m) => m.type === 'ready'), undefined, { timeout: 10_000 });
  }

  /** Posts a host message, as `webview.postMessage` delivers it, and waits for two frames. */
  async post(message: HostMessage): Promise<void> {
    // As a JSON string: the browser protocol serializes a string far faster than 100,000 objects.
    await this.page.evaluate((json) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(message));
    await this.frames();
  }

  /**
   * Posts a host message and measures, in the page, the time until the first row is in the DOM.
   * @returns milliseconds from postMessage to the first painted row
   */
  async postAndTimeFirstRender(message: HostMessage): Promise<number> {
    await this.page.evaluate((json) => {
      (window as unknown as { __next: unknown }).__next = JSON.parse(json); // returns nothing: no copy back
    }, JSON.stringify(message));
    return this.page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const t0 = performance.now();
          window.postMessage((window as unknown as { __next: unknown }).__next, '*');
          const check = (): void => {
            if (document.querySelector('#list .row')) requestAnimationFrame(() => resolve(performance.now() - t0));
            else requestAnimationFrame(check);
          };
          check();
        }),
    );
  }

  /** The rows whose box is at least partly inside the list's viewport (not the overscan). */
  visibleRows(): Promise<string[]> {
    return this.page.evaluate(() => {
      const list = (document.getElementById('list') as HTMLElement).getBoundingClientRect();
      return [...document.querySelectorAll('#list .row')]
        .filter((r) => {
          const b = r.getBoundingClientRect();
          return b.bottom > list.top && b.top < list.bottom;
        })
        .map((r) => r.querySelector('.body')?.textContent ?? r.querySelector('.head')?.textContent ?? '');
    });
  }

  /** Waits until the page has painted twice (its renders run in animation frames). */
  async frames(): Promise<void> {
    await this.page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  }

  /** What the page posted to the host. */
  posted(): Promise<PageMessage[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: PageMessage[] }).__posted);
  }

  /** The rows in the DOM: their head line and body text. */
  rows(): Promise<{ index: number; cls: string; head: string; body: string; more: string }[]> {
    return this.page.$$eval('#list .row', (rows) =>
      rows
        .map((r) => ({
          index: Number((r as HTMLElement).dataset.index),
          cls: r.className,
          head: r.querySelector('.head')?.textContent ?? '',
          body: r.querySelector('.body')?.textContent ?? '',
          more: r.querySelector('.more')?.textContent ?? '',
        }))
        .sort((a, b) => a.index - b.index),
    );
  }

  status(): Promise<string> {
    return this.page.textContent('#status').then((t) => t ?? '');
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

let seq = 0;
/** A data event for the page; `payload` as bytes or text. */
export function dataEvent(id: string, direction: 'in' | 'out', payload: Uint8Array | string, ts = Date.UTC(2026, 10, 21, 10, 0, 0) + seq): WireEvent {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  return { seq: ++seq, ts, id, kind: 'data', direction, bytes: bytes.length, payload: bytes.toString('base64') };
}

/** A lifecycle event for the page. */
export function lifeEvent(id: string, kind: WireEvent['kind'], summary: string): WireEvent {
  return { seq: ++seq, ts: Date.UTC(2026, 10, 21, 10, 0, 0) + seq, id, kind, summary };
}
