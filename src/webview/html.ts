/**
 * The traffic view's HTML shell: a strict Content Security Policy and the static controls. Pure
 * (strings in and out), so the extension and the standalone page tests build the same document.
 * No peer byte is ever part of this HTML: the page script adds payloads with `textContent`.
 */
import { TEXT_ENCODINGS } from './page/model';

/** Where the page's assets come from, as the webview sees them. */
export interface PageAssets {
  /** `webview.cspSource`: the origin that may serve styles, fonts and the script. */
  readonly cspSource: string;
  /** A fresh random nonce (base64 of `crypto.randomBytes(16)`), one per document. */
  readonly nonce: string;
  /** The bundled page script (`media/dist/trafficView.js`) and the stylesheet, as webview URIs. */
  readonly scriptUri: string;
  readonly styleUri: string;
  /** The codicon font's stylesheet, or none. */
  readonly codiconsUri?: string;
}

/** `value` as an HTML attribute's text. */
export function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * The pages' policy: `default-src 'none'`; scripts only with the nonce; styles, fonts and images
 * only from `cspSource`; no inline style or script, no `eval`.
 */
export function contentSecurityPolicy(a: Pick<PageAssets, 'cspSource' | 'nonce'>): string {
  return [`default-src 'none'`, `script-src 'nonce-${a.nonce}'`, `style-src ${a.cspSource}`, `font-src ${a.cspSource}`, `img-src ${a.cspSource}`].join('; ');
}

/**
 * A page's `<head>` and opening `<body>`: the charset, the policy ({@link contentSecurityPolicy}),
 * the viewport, the stylesheets in order and the title. Both pages start with it.
 */
export function pageHead(a: Pick<PageAssets, 'cspSource' | 'nonce'>, stylesheets: readonly string[], title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(a))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${stylesheets.map((href) => `<link rel="stylesheet" href="${attr(href)}">`).join('\n')}
<title>${title}</title>
</head>
<body>`;
}

/**
 * The document: `default-src 'none'`; scripts only with the nonce; styles, fonts and images only
 * from `cspSource`; no inline style or script, no `eval`.
 */
export function trafficViewHtml(a: PageAssets): string {
  const encodings = TEXT_ENCODINGS.map((e) => `<option value="${e}">${e === 'windows-1252' ? 'latin1 (windows-1252)' : e}</option>`).join('');
  return `${pageHead(a, [...(a.codiconsUri ? [a.codiconsUri] : []), a.styleUri], 'Socket Lab Traffic')}
<header class="toolbar" role="toolbar" aria-label="Traffic view">
  <select id="connection" aria-label="Show connection" title="Show one connection or listener, or all"></select>
  <span class="group" role="group" aria-label="Directions">
    <label class="toggle in" title="Bytes received from the peer"><input type="checkbox" id="dir-in" checked> ← in</label>
    <label class="toggle out" title="Bytes sent to the peer"><input type="checkbox" id="dir-out" checked> → out</label>
    <label class="toggle" title="Open, half-close, close, errors"><input type="checkbox" id="lifecycle" checked> events</label>
  </span>
  <input id="search" type="search" placeholder="Find: text, or hex 0d 0a" aria-label="Find in payloads" spellcheck="false">
  <select id="mode" aria-label="Payload view">
    <option value="escaped">Escaped</option>
    <option value="hex">Hex dump</option>
    <option value="text">Text</option>
  </select>
  <select id="encoding" aria-label="Text encoding" title="Encoding of Text view">${encodings}</select>
  <label class="toggle" title="Show the bytes a block read with recv frame one row per frame, instead of the chunks they came in"><input type="checkbox" id="frames" checked> Frames</label>
  <span class="spacer"></span>
  <button id="follow" type="button" aria-pressed="true" title="Pause or resume following new events">Pause</button>
  <button id="clear" type="button" title="Clear the view (the capture is kept for export)">Clear</button>
  <span class="group" role="group" aria-label="Export">
    <span class="label">Export</span>
    <button id="export-jsonl" type="button" title="Save the shown connections' capture as JSON lines">JSON Lines</button>
    <button id="export-sock" type="button" title="Open a .sock block that replays what the client sent and expects what came back">.sock Replay</button>
    <button id="export-mock" type="button" title="Open a .sock file with a mock that answers like the server did, and the replay that checks it">.sock Mock</button>
    <button id="export-pcapng" type="button" title="Save a pcapng file for Wireshark or tshark">pcapng</button>
  </span>
</header>
<div id="status" class="status" role="status" aria-live="polite"></div>
<div id="list" class="list" tabindex="0" role="list" aria-label="Traffic events: arrow keys move, Enter shows a whole payload">
  <div id="spacer" class="spacer-rows"></div>
  <div id="empty" class="empty">No traffic yet. Start a listener or connect a client, or run a .sock file.</div>
</div>
<form id="send-form" class="send" autocomplete="off">
  <label for="send-target" class="label">Send to</label>
  <select id="send-target" title="Follows the connection shown and the selected row"></select>
  <input id="send-input" type="text" spellcheck="false" aria-label="Payload to send" placeholder="Payload: text with \\r\\n escapes, hex 47 45 54, or base64 R0VU  (↑/↓ history)">
  <button id="send" type="submit">Send</button>
  <div id="send-message" class="send-message" role="alert"></div>
</form>
<script nonce="${attr(a.nonce)}" src="${attr(a.scriptUri)}"></script>
</body>
</html>`;
}
