import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { buildSync } from 'esbuild';
import * as bytes from '../../../src/net/bytes';
import { ROOT } from '../helpers';

describe('byte renderers shared with the traffic view page', () => {
  it('run in a browser-like context with no Buffer, require or process, and render as in Node', () => {
    // Bundled as the page bundles them, then run where only the language's globals exist.
    const { outputFiles } = buildSync({ entryPoints: [join(ROOT, 'src', 'net', 'bytes.ts')], bundle: true, platform: 'browser', format: 'iife', globalName: 'bytes', write: false });
    const sandbox: { bytes?: typeof bytes } = {};
    runInNewContext(outputFiles[0].text, sandbox);
    const page = sandbox.bytes;
    assert.ok(page, 'the bundle defines its exports');
    const sample = new Uint8Array([0x47, 0x45, 0x54, 0x0d, 0x0a, 0x00, 0xff, 0x22, 0x5c, ...Array.from({ length: 20 }, (_, i) => i)]);
    assert.equal(page.escapeBytes(sample), bytes.escapeBytes(sample));
    assert.equal(page.escapeBytes(sample), 'GET\\r\\n\\0\\xff\\"\\\\\\0\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e\\x0f\\x10\\x11\\x12\\x13');
    assert.equal(page.escapeBytes(sample, 3), 'GET…');
    assert.equal(page.hexDump(sample), bytes.hexDump(sample));
    assert.equal(page.escapeControls('a\u202eb\n"', true), 'a\\u{202e}b\\n\\"');
  });
});
