/**
 * Live run telemetry over /ws (functions/api/ws.py).
 *
 * `followRun` subscribes to one run with `after_seq` and hands every event to the
 * caller exactly once, in seq order. On `resync` (the subscriber fell behind) or a
 * dropped socket it reads the missing events over HTTP and subscribes again from the
 * last seq it saw, so no event is lost and none is repeated.
 */
import type { RunEvent } from './types';

export type ServerMessage =
  | { type: 'subscribed'; topic: string }
  | { type: 'event'; event: RunEvent }
  | { type: 'end'; topic: string; last_seq: number }
  | { type: 'error'; error: { code: string; message: string; details?: unknown } }
  | { type: 'resync'; topic: string }
  | { type: 'pong' }
  | { type: 'unsubscribed'; topic: string | null };

export interface FollowHandlers {
  onEvent: (event: RunEvent) => void;
  onEnd?: (lastSeq: number) => void;
  onError?: (message: string) => void;
}

export interface FollowOptions {
  baseUrl?: string;
  token: string;
  runId: string;
  afterSeq?: number;
  /** Reads events after a seq over HTTP (used after resync or a dropped socket). */
  fetchEvents: (runId: string, afterSeq: number) => Promise<RunEvent[]>;
  socketFactory?: (url: string) => WebSocket;
  maxReconnects?: number;
}

export function wsUrl(baseUrl: string, token: string): string {
  const base = baseUrl || `${window.location.protocol}//${window.location.host}`;
  const url = new URL('/ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('token', token);
  return url.toString();
}

/** Keeps the last seq seen and drops duplicates; pure, so it is unit-tested. */
export class SeqTracker {
  last: number;
  constructor(after = 0) {
    this.last = after;
  }
  accept(event: RunEvent): boolean {
    if (event.seq <= this.last) return false;
    this.last = event.seq;
    return true;
  }
}

/** Follow one run until it ends; returns a function that stops following. */
export function followRun(options: FollowOptions, handlers: FollowHandlers): () => void {
  const tracker = new SeqTracker(options.afterSeq ?? 0);
  const factory = options.socketFactory ?? ((url: string) => new WebSocket(url));
  const maxReconnects = options.maxReconnects ?? 5;
  let socket: WebSocket | null = null;
  let stopped = false;
  let ended = false;
  let reconnects = 0;

  const deliver = (event: RunEvent) => {
    if (tracker.accept(event)) handlers.onEvent(event);
  };
  const finish = (lastSeq: number) => {
    if (ended) return;
    ended = true;
    handlers.onEnd?.(lastSeq);
    stop();
  };
  const catchUp = async () => {
    const events = await options.fetchEvents(options.runId, tracker.last);
    events.forEach(deliver);
  };

  const connect = () => {
    if (stopped) return;
    const ws = factory(wsUrl(options.baseUrl ?? '', options.token));
    socket = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'subscribe', run_id: options.runId, after_seq: tracker.last }));
    };
    ws.onmessage = (message: MessageEvent) => {
      let data: ServerMessage;
      try {
        data = JSON.parse(String(message.data)) as ServerMessage;
      } catch {
        return;
      }
      switch (data.type) {
        case 'event':
          deliver(data.event);
          break;
        case 'end':
          finish(data.last_seq);
          break;
        case 'resync':
          void catchUp().then(() => {
            ws.send(JSON.stringify({ type: 'subscribe', run_id: options.runId, after_seq: tracker.last }));
          });
          break;
        case 'error':
          handlers.onError?.(data.error.message);
          break;
        default:
          break;
      }
    };
    ws.onclose = (close: CloseEvent) => {
      if (stopped || ended) return;
      if (close.code === 4401 || close.code === 4403) {
        handlers.onError?.(close.reason || 'the server refused the token');
        return;
      }
      if (reconnects >= maxReconnects) {
        handlers.onError?.('lost the live connection to the server');
        return;
      }
      reconnects += 1;
      window.setTimeout(connect, Math.min(4000, 250 * 2 ** reconnects));
    };
  };

  function stop() {
    stopped = true;
    if (socket && socket.readyState <= 1) socket.close();
  }

  connect();
  return stop;
}
