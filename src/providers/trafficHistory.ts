import type * as vscode from 'vscode';
import { TrafficCapture } from '../net/capture';
import type { TrafficBus } from '../net/traffic';
import { readSettings } from './settings';

/** What the traffic history holds and what it dropped, for the API (and the traffic view). */
export interface CaptureStats {
  readonly events: number;
  readonly bytes: number;
  readonly droppedEvents: number;
  readonly droppedBytes: number;
}

/**
 * Keeps the bounded traffic history of the bus, with the bounds from the settings.
 * @returns the capture (the traffic view reads and exports it) and its stats for the API
 */
export function registerTrafficHistory(context: vscode.ExtensionContext, bus: TrafficBus): { capture: TrafficCapture; stats: () => CaptureStats } {
  const s = readSettings();
  const capture = new TrafficCapture(bus, { maxEvents: s.captureMaxEvents, maxBytes: s.captureMaxBytes });
  context.subscriptions.push({ dispose: () => void capture.dispose() });
  return { capture, stats: () => ({ events: capture.length, bytes: capture.bytes, droppedEvents: capture.droppedEvents, droppedBytes: capture.droppedBytes }) };
}
