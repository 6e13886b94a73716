/**
 * The load view's HTML shell (§8.15): a strict Content Security Policy, a status line, two chart
 * areas and the final table. Pure, as the traffic view's shell is; every figure is added by the
 * page script with `textContent`.
 */
import { attr, pageHead, type PageAssets } from './html';

/** The document, under the traffic view's policy ({@link pageHead}). */
export function loadViewHtml(a: PageAssets & { readonly chartStyleUri: string }): string {
  return `${pageHead(a, [a.chartStyleUri, a.styleUri], 'Socket Lab Load')}
<header>
  <h1 id="title">Load</h1>
  <div id="status" class="status" role="status" aria-live="polite">Waiting for the load to start…</div>
</header>
<section class="figures" aria-label="Figures so far">
  <div><span class="label">sessions</span> <span id="sessions" class="value">0</span></div>
  <div><span class="label">running</span> <span id="running" class="value">0</span></div>
  <div><span class="label">errors</span> <span id="errors" class="value">0</span></div>
  <div><span class="label">sessions/s</span> <span id="rate" class="value">0</span></div>
  <div><span class="label">round trips/s</span> <span id="rtrate" class="value">0</span></div>
</section>
<section id="final" class="final" hidden aria-label="The load's latency table">
  <h2>Latency by metric</h2>
  <table id="table"><thead><tr><th scope="col">metric</th><th scope="col">count</th><th scope="col">min</th><th scope="col">median</th><th scope="col">p90</th><th scope="col">p99</th><th scope="col">max</th></tr></thead><tbody></tbody></table>
  <div id="error-codes" class="codes"></div>
</section>
<section class="chart" aria-label="Throughput over time: sessions and round trips per second"><h2>Throughput</h2><div id="throughput"></div></section>
<section class="chart" aria-label="Latency over time: median and 99th percentile in milliseconds"><h2>Latency (ms)</h2><div id="latency"></div></section>
<script nonce="${attr(a.nonce)}" src="${attr(a.scriptUri)}"></script>
</body>
</html>`;
}
