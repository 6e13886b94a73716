/**
 * What the extension posts to the load view's page (§8.15). Figures only: no peer byte reaches
 * this page.
 */
import type { LoadProgressEvent } from '../../sock/runEvents';
/** One window of a running load, as the runner's `load-progress` event gives it. */
export type LoadPoint = Omit<LoadProgressEvent, 'type' | 'block' | 'line'>;

export type LoadHostMessage =
  /** A load began (or began again): the view starts over with its title. */
  | { readonly type: 'start'; readonly title: string }
  /** The figures of one window of the running load. */
  | { readonly type: 'progress'; readonly point: LoadPoint }
  /**
   * The load ended: the one-line summary the transcript prints, whether it failed, its latency
   * table as cells (a header row first), and its errors by code.
   */
  | { readonly type: 'done'; readonly summary: string; readonly failed: boolean; readonly sessions: number; readonly table: readonly (readonly string[])[]; readonly errors: readonly (readonly [string, number])[] };

/** What the page says: it is ready for messages. */
export type LoadPageMessage = { readonly type: 'ready' };
