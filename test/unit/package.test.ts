// What ships: the .vsix that `npm run package` builds (vsce), the walkthrough it carries, and the
// npm package of the CLI (`npm pack`), installed into an empty folder and run with only Node.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Commands } from '../../src/providers/contributions';
import { python, ROOT, run } from './helpers';

/** Every file of the .vsix, by its path in the archive. Anything else is a packaging mistake. */
const VSIX_FILES = [
  '[Content_Types].xml',
  'extension.vsixmanifest',
  'extension/LICENSE.txt',
  'extension/changelog.md',
  'extension/dist/extension.js',
  'extension/dist/selfsigned.js',
  'extension/language-configuration.json',
  'extension/media/dist/trafficView.js',
  'extension/media/dist/loadView.js',
  'extension/media/dist/loadView.css',
  'extension/media/loadView.css',
  'extension/media/icon.png',
  'extension/media/socket-lab.svg',
  'extension/media/trafficView.css',
  'extension/media/walkthrough/export.md',
  'extension/media/walkthrough/lookup.md',
  'extension/media/walkthrough/run.md',
  'extension/media/walkthrough/scratch.md',
  'extension/media/walkthrough/traffic.md',
  'extension/package.json',
  'extension/readme.md',
  'extension/snippets/sock.code-snippets',
  'extension/syntaxes/sock.tmLanguage.json',
];

/**
 * The .vsix was 228 KB (233,236 bytes) on 2026-11-21, with the extension's bundle and the
 * certificate library's; this bound leaves room, not the CLI's bundle as well.
 */
// The bundles are minified (whitespace and syntax): the package is about 403 KiB with the RE2 engine
// (re2js, about 70 KB of it compressed), HdrHistogram's classes (hdr-histogram-js, without its
// WebAssembly build, about 10 KB), the load view's page with uPlot (about 22 KB) and code export
// (its Python and Node helpers and writers, and spec §16: about 20 KB).
const VSIX_MAX_BYTES = 432 * 1024;

/** Every file of the npm package (npm adds package.json, README.md and LICENSE itself). */
const NPM_FILES = ['LICENSE', 'README.md', 'dist/cli.js', 'dist/selfsigned.js', 'docs/sock-language.md', 'examples/tutorial.sock', 'package.json'];

interface Manifest {
  name: string;
  version: string;
  main: string;
  icon: string;
  bin: Record<string, string>;
  dependencies?: Record<string, string>;
  contributes: {
    commands: { command: string }[];
    languages: { configuration: string; icon: { light: string; dark: string } }[];
    grammars: { path: string }[];
    snippets: { path: string }[];
    viewsContainers: { activitybar: { icon: string }[] };
    views: Record<string, { icon?: string }[]>;
    walkthroughs: { id: string; title: string; steps: { id: string; title: string; description: string; media: { markdown?: string; image?: string }; completionEvents: string[] }[] }[];
  };
}

async function readManifest(): Promise<Manifest> {
  return JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Manifest;
}

/** `./media/x.svg` → `media/x.svg`. */
const rel = (p: string): string => p.replace(/^\.\//, '');

/** Every file the manifest names: the extension host or the workbench loads each one. */
function filesNamedBy(m: Manifest): string[] {
  const c = m.contributes;
  return [
    m.main,
    m.icon,
    ...c.languages.flatMap((l) => [l.configuration, l.icon.light, l.icon.dark]),
    ...c.grammars.map((g) => g.path),
    ...c.snippets.map((s) => s.path),
    ...c.viewsContainers.activitybar.map((v) => v.icon),
    ...Object.values(c.views).flatMap((vs) => vs.map((v) => v.icon).filter((i): i is string => i !== undefined)),
    ...c.walkthroughs.flatMap((w) => w.steps.map((s) => s.media.markdown ?? s.media.image ?? '')),
  ].map(rel);
}

/** The command ids a walkthrough step runs: its description's `command:` links and its completion events. */
function stepCommands(step: { description: string; completionEvents: string[] }): { links: string[]; events: string[] } {
  const links = [...step.description.matchAll(/\]\(command:(?:toSide:)?([\w.]+)(?:\?([^)]*))?\)/g)].map((m) => {
    // Arguments are URI-encoded JSON, as the workbench parses them.
    if (m[2] !== undefined) assert.doesNotThrow(() => JSON.parse(decodeURIComponent(m[2])), `the arguments of ${m[1]}: ${m[2]}`);
    return m[1];
  });
  const events = step.completionEvents.map((e) => {
    const m = /^onCommand:([\w.]+)$/.exec(e);
    assert.ok(m, `completion event ${e} is not onCommand:ID`);
    return m[1];
  });
  return { links, events };
}

describe('packaging', function () {
  this.timeout(120_000);
  let tmp = '';
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'socket-lab-package-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('the .vsix holds exactly what runs (the bundle, the page script, media, grammar, snippets, docs), under 432 KiB', async () => {
    const vsix = join(tmp, 'socket-lab.vsix');
    // What `npm run package` runs, after the build the test setup did.
    const r = await run(join(ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--out', vsix], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr.replace(/npm warn Unknown user config.*\n/g, ''), /WARNING|ERROR/i, 'vsce warns');

    const listing = JSON.parse(
      await python(`import json, zipfile; print(json.dumps({i.filename: i.file_size for i in zipfile.ZipFile(${JSON.stringify(vsix)}).infolist()}))`),
    ) as Record<string, number>;
    assert.deepEqual(Object.keys(listing).sort(), [...VSIX_FILES].sort());
    const size = (await readFile(vsix)).length;
    assert.ok(size < VSIX_MAX_BYTES, `the .vsix is ${size} bytes`);

    const m = await readManifest();
    for (const f of filesNamedBy(m)) assert.ok(`extension/${f}` in listing, `package.json names ${f}, which the .vsix does not hold`);
    // The README's relative links point at the repository (vsce rewrites them from "repository").
    const readme = await python(`import zipfile; print(zipfile.ZipFile(${JSON.stringify(vsix)}).read('extension/readme.md').decode())`);
    assert.match(readme, /\]\(https:\/\/github\.com\/socket-lab\/socket-lab\/blob\/HEAD\/docs\/sock-language\.md\)/);
    // The bundles are the ones just built, whole.
    for (const f of ['dist/extension.js', 'media/dist/trafficView.js', 'media/dist/loadView.js']) assert.equal(listing[`extension/${f}`], (await stat(join(ROOT, f))).size, f);
  });

  it('the walkthrough opens a scratch file, runs it, shows the traffic, looks up a host and turns the client into a program, with commands that exist', async () => {
    const m = await readManifest();
    assert.equal(m.contributes.walkthroughs.length, 1);
    const [w] = m.contributes.walkthroughs;
    assert.equal(w.title, 'Get started with Socket Lab');
    const known = new Set<string>(Object.values(Commands));
    const inPalette = new Set(m.contributes.commands.map((c) => c.command));
    const buttons: string[] = [];
    for (const step of w.steps) {
      const { links, events } = stepCommands(step);
      // The workbench renders only the links of a step's description: `code` or **bold** shows its marks.
      assert.doesNotMatch(step.description.replace(/\[[^\]]*\]\([^)]*\)/g, ''), /[`*]/, `step ${step.id}'s description has markdown the workbench shows raw`);
      assert.equal(links.length, 1, `step ${step.id} has one button`);
      assert.ok(events.length > 0, `step ${step.id} has completion events`);
      for (const id of [...links, ...events]) assert.ok(known.has(id), `step ${step.id} names ${id}, which is not in Commands`);
      for (const id of links) assert.ok(inPalette.has(id), `step ${step.id}'s button runs ${id}, which package.json does not contribute`);
      assert.ok(events.includes(links[0]), `step ${step.id} completes when its button runs`);
      const media = step.media.markdown ?? step.media.image;
      assert.ok(media && existsSync(join(ROOT, media)), `step ${step.id}: media ${media} missing`);
      buttons.push(links[0]);
    }
    assert.deepEqual(buttons, [Commands.newScratchFile, Commands.runFile, Commands.showTraffic, Commands.lookupHost, Commands.openAsPython]);
    // A CodeLens click (Start, Run) also completes the run step, not only the button.
    assert.ok(stepCommands(w.steps[1]).events.includes(Commands.runBlock));
  });

  it('npm pack makes a CLI package with no dependencies; installed in an empty folder, socket-lab runs the tutorial with only Node', async () => {
    const packDir = join(tmp, 'pack');
    await mkdir(packDir);
    const packed = await run('npm', ['pack', '--json', '--pack-destination', packDir], { timeoutMs: 90_000 });
    assert.equal(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    assert.deepEqual(info.files.map((f) => f.path).sort(), [...NPM_FILES].sort());
    const m = await readManifest();
    assert.equal(m.dependencies, undefined, 'the CLI is one bundle: a runtime dependency would be fetched for nothing');

    // An empty project; --offline: with no dependencies the install needs no registry.
    const app = join(tmp, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{ "name": "uses-socket-lab", "private": true }\n');
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(packDir, info.filename)], { cwd: app, timeoutMs: 90_000 });
    assert.equal(installed.code, 0, installed.stderr);

    // Only Node on PATH (for the bin's `#!/usr/bin/env node`), run from the empty project.
    const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: app };
    assert.equal(m.bin['socket-lab'], 'dist/cli.js');
    const bin = join(app, 'node_modules', '.bin', 'socket-lab');
    const version = await run(bin, ['--version'], { cwd: app, env });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), m.version, 'socket-lab --version says the package version');

    const tutorial = join(app, 'node_modules', 'socket-lab', 'examples', 'tutorial.sock');
    const r = await run(bin, ['run', tutorial], { cwd: app, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /← \[c\d+\] recv 1024\s+24 bytes {2}"Thank you for connecting"/);
    assert.match(r.stdout, /^28 passed, 0 failed in \d+/m);

    // A self-signed certificate: the CLI loads the certificate library's own bundle when asked.
    const tls = join(app, 'tls.sock');
    await writeFile(tls, '### listener\nlisten tls 127.0.0.1:0 as s\nself-signed\nsend "hello"\nclose\n### client\nconnect tls {{s}}\ninsecure\nrecv\nexpect "hello"\n');
    const t = await run(bin, ['run', tls], { cwd: app, env, timeoutMs: 60_000 });
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /self-signed certificate CN=localhost, SHA-256 [0-9A-F:]{95}/);
    assert.match(t.stdout, /^1 passed, 0 failed in \d+/m);
  });
});
