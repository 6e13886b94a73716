import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECORD_TYPES } from '../../../src/net/dnsQuery';
import { VERBS, type HeaderVerb, type VerbKind, type VerbSpec, type VerbTransport } from '../../../src/sock/lang/verbs';
import { parseSock } from '../../../src/sock/parser';
import { ROOT } from '../helpers';

/** What `a` has that `b` lacks. */
function missing(a: Iterable<string>, b: Iterable<string>): string[] {
  const have = new Set(b);
  return [...new Set(a)].filter((x) => !have.has(x)).sort();
}

/** Fails, naming every word one side has and the other lacks. */
function sameWords(table: Iterable<string>, other: Iterable<string>, where: string): void {
  const notThere = missing(table, other);
  const notInTable = missing(other, table);
  assert.ok(notThere.length === 0 && notInTable.length === 0, [notThere.length > 0 ? `in the verb table but not in ${where}: ${notThere.join(', ')}` : '', notInTable.length > 0 ? `in ${where} but not in the verb table: ${notInTable.join(', ')}` : ''].filter(Boolean).join('; '));
}

interface GrammarPattern {
  readonly match?: string;
  readonly name?: string;
}

/** The words of the grammar's statement patterns, by scope: `^\s*(a|b)\b` and `\b(a|b)\b`. */
function grammarWords(): Map<string, string[]> {
  const grammar = JSON.parse(readFileSync(join(ROOT, 'syntaxes', 'sock.tmLanguage.json'), 'utf8')) as { repository: { statement: { patterns: GrammarPattern[] } } };
  const out = new Map<string, string[]>();
  for (const p of grammar.repository.statement.patterns) {
    const m = /^(?:\^\\s\*|\\b)\(([A-Za-z0-9|-]+)\)\\b$/.exec(p.match ?? '');
    if (m && p.name) out.set(p.name, m[1].split('|'));
  }
  return out;
}

/** The grammar scope of each kind of statement. */
const SCOPES: Record<VerbKind, string> = {
  header: 'keyword.control.header.sock',
  step: 'keyword.other.step.sock',
  repeat: 'keyword.other.step.sock',
  if: 'keyword.other.step.sock',
  on: 'keyword.other.step.sock',
  else: 'keyword.other.step.sock',
  end: 'keyword.other.step.sock',
  lookup: 'support.function.lookup.sock',
  setting: 'storage.modifier.setting.sock',
};
const ARGUMENT_SCOPES = ['storage.type.transport.sock', 'keyword.other.sock', 'support.type.payload.sock', 'support.type.field.sock', 'support.constant.record-type.sock'];

const SPEC = readFileSync(join(ROOT, 'docs', 'sock-language.md'), 'utf8');

/** The first column of the spec's verb table (§8): the verb of each code span. */
function specTableVerbs(): string[] {
  const section = SPEC.slice(SPEC.indexOf('## 8. Steps reference'));
  const table = section.slice(section.indexOf('\n|'), section.indexOf('\n\n', section.indexOf('\n|') + 1));
  const rows = table.split('\n').filter((l) => l.startsWith('| `'));
  assert.ok(rows.length > 10, 'the spec has its verb table in §8');
  return rows.flatMap((row) => [...row.split(/(?<!\\)\|/)[1].matchAll(/`([^`]+)`/g)].map((m) => m[1].split(' ')[0]));
}

/** Every code span and every line of a fenced block of the spec, with `\|` unescaped and spaces collapsed. */
function specSyntax(): Set<string> {
  const norm = (s: string): string => s.replace(/\\\|/g, '|').replace(/\s+/g, ' ').trim();
  const out = new Set<string>();
  for (const m of SPEC.matchAll(/`([^`\n]+)`/g)) out.add(norm(m[1]));
  for (const m of SPEC.matchAll(/```text\n([\s\S]*?)```/g)) for (const line of m[1].split('\n')) out.add(norm(line));
  return out;
}

describe('the verb table', () => {
  it('names each verb once, in the words the grammar highlights, by kind', () => {
    assert.equal(new Set(VERBS.map((v) => v.name)).size, VERBS.length, 'a verb is declared twice');
    const grammar = grammarWords();
    for (const scope of new Set(Object.values(SCOPES))) {
      sameWords(VERBS.filter((v) => SCOPES[v.kind] === scope).map((v) => v.name), grammar.get(scope) ?? [], `the grammar's ${scope} list`);
    }
  });

  it("offers as keywords exactly the words the grammar highlights after a verb", () => {
    const grammar = grammarWords();
    const table = VERBS.flatMap((v) => v.keywords.filter((s) => s.role !== 'service').flatMap((s) => s.words));
    sameWords(table, ARGUMENT_SCOPES.flatMap((s) => grammar.get(s) ?? []), "the grammar's keyword lists");
  });

  it("holds the same verbs as the spec's verb table (§8), and its syntax lines are the spec's", () => {
    sameWords(VERBS.map((v) => v.name), specTableVerbs(), "the spec's verb table");
    const spec = specSyntax();
    const unwritten = VERBS.flatMap((v) => v.forms.map((f) => f.syntax)).filter((s) => !spec.has(s));
    assert.deepEqual(unwritten, [], `syntax lines the spec does not write: ${unwritten.join(' / ')}`);
  });

  it("completes resolve with net/dnsQuery's record types", () => {
    assert.deepEqual(VERBS.find((v) => v.name === 'resolve')?.keywords.find((s) => s.role === 'record-type')?.words, [...RECORD_TYPES]);
  });

  it('says where each statement may stand as the parser decides it', () => {
    const contexts: { header: HeaderVerb | 'none'; transport?: VerbTransport; prefix: string }[] = [{ header: 'none', prefix: '### t\n' }];
    const targets: Record<VerbTransport, string> = { tcp: '127.0.0.1:9', udp: '127.0.0.1:9', tls: '127.0.0.1:9', unix: 'lab.socket' };
    for (const t of ['tcp', 'udp', 'unix', 'tls'] as const) {
      contexts.push({ header: 'connect', transport: t, prefix: `### t\nconnect ${t} ${targets[t]}\n` });
      contexts.push({ header: 'listen', transport: t, prefix: `### t\nlisten ${t} ${t === 'unix' ? 'lab.socket' : '0'}\n` });
      contexts.push({ header: 'use', transport: t, prefix: `### k\nconnect ${t} ${targets[t]} as kept keep\n### t\nuse kept\n` });
    }
    const disagree: string[] = [];
    const allowed = (v: VerbSpec, header: HeaderVerb | 'none', transport: VerbTransport | undefined): boolean =>
      v.placement.headers.includes(header) && (v.placement.transports === undefined || (transport !== undefined && v.placement.transports.includes(transport)));
    for (const v of VERBS) {
      for (const c of contexts) {
        // A header's example names the kept connection of the `use` context.
        // await's example waits for the listener greeter of a block before.
        const prefix = v.name === 'use' && c.header === 'none' ? '### k\nconnect tcp 127.0.0.1:9 as kept keep\n### t\n' : v.name === 'await' ? `### g\nlisten tcp 0 as greeter\n${c.prefix}` : c.prefix;
        const first = prefix.split('\n').length - 1;
        const lines = v.example.split('\n').length;
        const errors = parseSock(prefix + v.example + '\n').diagnostics.filter((d) => d.severity === 'error' && d.range.start.line >= first && d.range.start.line < first + lines);
        const parsed = errors.length === 0;
        if (parsed !== allowed(v, c.header, c.transport)) disagree.push(`${v.example.split('\n')[0]} in a ${c.header}${c.transport ? ` ${c.transport}` : ''} block: the table says ${parsed ? 'no' : 'yes'}, the parser ${parsed ? 'accepts it' : errors[0].message}`);
      }
    }
    assert.deepEqual(disagree, []);
  });

  it('is what the parser knows: no other statement parses, and a misspelt verb is told the table\'s', () => {
    const known = new Set(VERBS.map((v) => v.name));
    for (const word of ['sendto', 'accept', 'bind', 'timeout', 'keep']) {
      assert.ok(!known.has(word));
      assert.match(parseSock(`### t\n${word}\n`).diagnostics[0]?.message ?? '', /^unknown statement/);
    }
    assert.equal(parseSock('### t\nresolv lab.test A\n').diagnostics[0]?.message, 'unknown statement "resolv" (did you mean "resolve"?)');
    assert.equal(parseSock('### t\nlisten tls 0\nself-sign\n').diagnostics.find((d) => d.range.start.line === 2)?.message, 'unknown statement "self-sign" (did you mean "self-signed"?)');
  });
});
