// Each setting's default is declared once, in contributions.ts; package.json must say the same.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, SETTING_KEYS } from '../../src/providers/contributions';

const ROOT = join(__dirname, '..', '..');

describe('settings', () => {
  it('package.json declares every setting the extension reads, with the same default, and no other', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default: unknown }> } } };
    const declared = manifest.contributes.configuration.properties;
    const read = Object.values(SETTING_KEYS).map((k) => `socketLab.${k}`);
    assert.deepEqual(Object.keys(declared).sort(), [...read].sort());
    for (const [field, key] of Object.entries(SETTING_KEYS)) {
      assert.deepEqual(declared[`socketLab.${key}`].default, DEFAULT_SETTINGS[field as keyof typeof DEFAULT_SETTINGS], `socketLab.${key}`);
    }
  });
});
