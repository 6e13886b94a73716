/**
 * Turns the socket core's traffic events and endpoint records into the traffic view's wire shapes
 * (host side, Node). Payloads travel as base64, cut to {@link VIEW_PAYLOAD_MAX} bytes: the view
 * shows the start of a huge chunk and its full length; the exports always have every byte.
 */
import { endpointLabel, type EndpointRecord } from '../net/registry';
import type { TrafficEvent } from '../net/traffic';
import { formatTrafficLine } from '../sock/transcript';
import { LABEL_MAX, VIEW_PAYLOAD_MAX, type WireConnection, type WireEvent } from './protocol';

/**
 * One traffic event for the page.
 *
 * @param seq the event's number in the host's sequence (gaps show events the view missed)
 */
export function toWireEvent(e: TrafficEvent, seq: number): WireEvent {
  if (e.type === 'data') {
    const shown = e.payload.length > VIEW_PAYLOAD_MAX ? e.payload.subarray(0, VIEW_PAYLOAD_MAX) : e.payload;
    const w = { seq, ts: e.ts, id: e.id, kind: e.type, direction: e.direction, bytes: e.payload.length, offset: e.offset, payload: shown.toString('base64') };
    return e.peer ? { ...w, peer: e.peer } : w;
  }
  if (e.type === 'mark') {
    const label = e.label.length > LABEL_MAX ? `${e.label.slice(0, LABEL_MAX - 1)}…` : e.label;
    return { seq, ts: e.ts, id: e.id, kind: e.type, direction: e.direction, bytes: e.length, offset: e.offset, mark: e.mark, label };
  }
  // The log line without its `[id] ` prefix: the page shows the id in its own column.
  const summary = formatTrafficLine(e, 0).replace(/^\[[^\]]*\] /, '');
  if (e.type === 'half-close') return { seq, ts: e.ts, id: e.id, kind: e.type, direction: e.direction, summary };
  if (e.type === 'open' && e.listener) return { seq, ts: e.ts, id: e.id, kind: e.type, listener: e.listener, summary };
  if (e.type === 'open' && e.via) return { seq, ts: e.ts, id: e.id, kind: e.type, via: e.via, summary };
  return { seq, ts: e.ts, id: e.id, kind: e.type, summary };
}

/**
 * One listener or connection for the page's filter and send box.
 *
 * @param sendable whether the send box can send on it (a socket the extension owns, still open)
 */
export function toWireConnection(r: EndpointRecord, sendable: boolean): WireConnection {
  const open = r.state === 'open' || r.state === 'half-closed';
  const w = { id: r.id, kind: r.kind, transport: r.transport, label: endpointLabel(r), ...(r.name ? { name: r.name } : {}), canSend: sendable && r.kind !== 'listener' && open };
  if (r.kind === 'peer' && r.listener && r.remote) return { ...w, listener: r.listener, peer: r.remote };
  if (r.via) return { ...w, via: r.via };
  return r.listener ? { ...w, listener: r.listener } : w;
}
