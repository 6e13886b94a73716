/**
 * The reports of a test run: JUnit XML (one `testsuite` per file run, a `testcase` per case, as
 * Jenkins, GitLab and GitHub read it; written with `junit-report-builder`), TAP version 14, JSON,
 * and the human summary. Every text that reaches a report passes {@link redact} first, so an
 * environment's secrets never appear in one.
 */
import junit from 'junit-report-builder';
import { redact } from './environments';
import type { CaseFailure, CaseResult } from './results';
import { fileStatus, type FileResult } from './suite';

/** The report formats `--reporter` names. */
export const REPORTERS = ['human', 'junit', 'tap', 'json'] as const;
export type ReporterName = (typeof REPORTERS)[number];

/** Counts of a run's cases. */
export interface Totals {
  readonly files: number;
  readonly passed: number;
  readonly failed: number;
  readonly errored: number;
  readonly skipped: number;
}

/** The counts of `results`; a file that could not run counts one error. */
export function totals(results: readonly FileResult[]): Totals {
  let passed = 0;
  let failed = 0;
  let errored = 0;
  let skipped = 0;
  for (const r of results) {
    if (r.errors.length > 0) errored++;
    for (const c of r.cases) {
      if (c.status === 'passed') passed++;
      else if (c.status === 'failed') failed++;
      else if (c.status === 'errored') errored++;
      else skipped++;
    }
  }
  return { files: results.length, passed, failed, errored, skipped };
}

/** Counts as the summary says them: `6 passed, 1 failed` (a zero count other than passed is left out). */
export function countsText(t: Totals): string {
  return [`${t.passed} passed`, ...(t.failed ? [`${t.failed} failed`] : []), ...(t.errored ? [`${t.errored} errored`] : []), ...(t.skipped ? [`${t.skipped} skipped`] : [])].join(', ');
}

/** The exit status of a test run: 2 for any error (parse, network), else 1 for any failure, else 0. */
export function exitStatus(results: readonly FileResult[]): 0 | 1 | 2 {
  const s = results.map(fileStatus);
  return s.includes('errored') ? 2 : s.includes('failed') ? 1 : 0;
}

/** A file run's name in reports: the path, and the round when files ran more than once. */
function suiteName(r: FileResult, repeated: boolean): string {
  return repeated ? `${r.file} (round ${r.round})` : r.file;
}

/** One failure as report text: the line, the message, then the expected and actual sides. */
export function failureText(f: CaseFailure): string {
  const lines = [`line ${f.line + 1}: ${f.source}`, f.message];
  if (f.expected !== undefined) lines.push(`expected: ${f.expected}`, `actual:   ${f.actual ?? ''}`);
  return lines.join('\n');
}

/** The cases of a file that could not run: one errored case holding its errors. */
function casesOf(r: FileResult): readonly CaseResult[] {
  if (r.errors.length === 0) return r.cases;
  return [...r.cases, { block: 0, name: 'the file', line: 0, kind: 'case', status: 'errored', ms: 0, failures: r.errors.map((m) => ({ line: 0, column: 0, source: r.file, message: m })) }];
}

/** JUnit XML of the run. */
export function junitReport(results: readonly FileResult[], secrets: readonly string[] = []): string {
  const b = junit.newBuilder();
  const repeated = results.some((r) => r.round > 1);
  const hide = (s: string): string => redact(s, secrets);
  for (const r of results) {
    const suite = b.testSuite().name(hide(suiteName(r, repeated))).time(Math.round(r.ms) / 1000);
    for (const c of casesOf(r)) {
      const tc = suite.testCase().className(hide(r.file)).name(hide(c.kind === 'fixture' ? `${c.name} (listener)` : c.name)).file(r.file).time(Math.round(c.ms) / 1000);
      const first = c.failures[0];
      const body = hide(c.failures.map(failureText).join('\n\n'));
      if (c.status === 'skipped') tc.skipped();
      else if (c.status === 'failed' && first) tc.failure(hide(first.message), 'expectation').stacktrace(body);
      else if (c.status === 'errored') tc.error(hide(first?.message ?? 'the block did not finish'), first?.code ?? 'error', body);
    }
  }
  return b.build();
}

/** TAP version 14 of the run: one test point per case, failures with a YAML block (JSON values, which YAML reads). */
export function tapReport(results: readonly FileResult[], secrets: readonly string[] = []): string {
  const repeated = results.some((r) => r.round > 1);
  const hide = (s: string): string => redact(s, secrets);
  const points: string[] = [];
  let n = 0;
  for (const r of results) {
    for (const c of casesOf(r)) {
      n++;
      // A test point's description ends at a # (a directive): escaped as TAP 14 says.
      const desc = hide(`${suiteName(r, repeated)} > ${c.name}`).replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/[\r\n]+/g, ' ');
      if (c.status === 'skipped') {
        points.push(`ok ${n} - ${desc} # SKIP not run`);
        continue;
      }
      points.push(`${c.status === 'passed' ? 'ok' : 'not ok'} ${n} - ${desc}`);
      if (c.status === 'passed') continue;
      const first = c.failures[0];
      const yaml: [string, unknown][] = [
        ['message', hide(first?.message ?? 'the block did not finish')],
        ['severity', c.status === 'failed' ? 'fail' : 'error'],
        ['at', { file: r.file, line: (first?.line ?? c.line) + 1 }],
      ];
      if (first?.expected !== undefined) yaml.push(['expected', hide(first.expected)], ['actual', hide(first.actual ?? '')]);
      if (c.failures.length > 1) yaml.push(['failures', c.failures.map((f) => hide(failureText(f)))]);
      yaml.push(['duration_ms', Math.round(c.ms)]);
      points.push('  ---', ...yaml.map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`), '  ...');
    }
  }
  return ['TAP version 14', `1..${n}`, ...points, ''].join('\n');
}

/** The run as one JSON document: totals, then each file run with its cases. */
export function jsonReport(results: readonly FileResult[], secrets: readonly string[] = []): string {
  const doc = { totals: totals(results), files: results.map((r) => ({ ...r, ms: Math.round(r.ms), cases: r.cases.map((c) => ({ ...c, ms: Math.round(c.ms) })) })) };
  return redact(JSON.stringify(doc, null, 2), secrets.map((s) => JSON.stringify(s).slice(1, -1))) + '\n';
}

/** The human summary: each failure with its place, then one line of counts. */
export function humanReport(results: readonly FileResult[], ms: number, secrets: readonly string[] = []): string {
  const repeated = results.some((r) => r.round > 1);
  const out: string[] = [];
  for (const r of results) {
    for (const e of r.errors) out.push(`✘ ${e}`);
    for (const c of r.cases) {
      if (c.status !== 'failed' && c.status !== 'errored') continue;
      out.push(`✘ ${suiteName(r, repeated)} › ${c.name}${c.kind === 'fixture' ? ' (listener)' : ''}`);
      for (const f of c.failures) out.push(...failureText(f).split('\n').map((l, i) => (i === 0 ? `    ${r.file}:${f.line + 1}:${f.column + 1}: ${l.replace(/^line \d+: /, '')}` : `      ${l}`)));
    }
  }
  const t = totals(results);
  out.push(`${countsText(t)} in ${t.files} file run${t.files === 1 ? '' : 's'} (${(ms / 1000).toFixed(2)} s)`);
  return redact(out.join('\n'), secrets) + '\n';
}
