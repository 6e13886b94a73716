import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, SETTING_KEYS, type Settings } from './contributions';

/** Reads the `socketLab.*` settings, falling back to the defaults. Read on use, so changes apply at once. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('socketLab');
  const read = <K extends keyof Settings>(k: K): Settings[K] => c.get<Settings[K]>(SETTING_KEYS[k], DEFAULT_SETTINGS[k]);
  const out: Partial<Record<keyof Settings, unknown>> = {};
  for (const k of Object.keys(SETTING_KEYS) as (keyof Settings)[]) out[k] = read(k);
  return out as Settings;
}
