import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from './types';
import { followRun, SeqTracker } from './ws';

const ev = (seq: number, type = 'node.started'): RunEvent => ({
  run_id: 'r1',
  workflow_id: 'w',
  seq,
  type,
  node: 'a',
  attempt: 1,
  data: {},
  ts: seq,
});

/** A WebSocket double: records what the client sends, lets the test play the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((c: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  serve(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

describe('followRun', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    vi.stubGlobal('window', { location: { protocol: 'http:', host: 'localhost:8000' }, setTimeout });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const start = (fetchEvents = vi.fn(async () => [] as RunEvent[])) => {
    const seen: number[] = [];
    const ended: number[] = [];
    const errors: string[] = [];
    const stop = followRun(
      {
        token: 'tok',
        runId: 'r1',
        fetchEvents,
        socketFactory: (url) => new FakeSocket(url) as unknown as WebSocket,
      },
      { onEvent: (e) => seen.push(e.seq), onEnd: (s) => ended.push(s), onError: (m) => errors.push(m) },
    );
    return { seen, ended, errors, stop, fetchEvents };
  };

  it('subscribes with the token and after_seq, delivers events once, stops at end', () => {
    const { seen, ended } = start();
    const ws = FakeSocket.all[0]!;
    expect(ws.url).toBe('ws://localhost:8000/ws?token=tok');
    ws.open();
    expect(ws.sent).toEqual([{ type: 'subscribe', run_id: 'r1', after_seq: 0 }]);
    ws.serve({ type: 'subscribed', topic: 'run:r1' });
    ws.serve({ type: 'event', event: ev(1) });
    ws.serve({ type: 'event', event: ev(2) });
    ws.serve({ type: 'event', event: ev(2) });
    ws.serve({ type: 'end', topic: 'run:r1', last_seq: 2 });
    expect(seen).toEqual([1, 2]);
    expect(ended).toEqual([2]);
    expect(ws.readyState).toBe(3);
  });

  it('on resync reads the gap over HTTP and subscribes again from the last seq', async () => {
    const fetchEvents = vi.fn(async (_run: string, after: number) => [ev(after + 1), ev(after + 2)]);
    const { seen } = start(fetchEvents);
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.serve({ type: 'event', event: ev(1) });
    ws.serve({ type: 'resync', topic: 'run:r1' });
    await vi.runAllTimersAsync();
    expect(fetchEvents).toHaveBeenCalledWith('r1', 1);
    expect(seen).toEqual([1, 2, 3]);
    expect(ws.sent.at(-1)).toEqual({ type: 'subscribe', run_id: 'r1', after_seq: 3 });
  });

  it('reconnects after a dropped socket and resumes after the last seq', async () => {
    const { seen } = start();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.serve({ type: 'event', event: ev(1) });
    FakeSocket.all[0]!.drop();
    await vi.advanceTimersByTimeAsync(1000);
    const again = FakeSocket.all[1]!;
    again.open();
    expect(again.sent).toEqual([{ type: 'subscribe', run_id: 'r1', after_seq: 1 }]);
    again.serve({ type: 'event', event: ev(1) });
    again.serve({ type: 'event', event: ev(2) });
    expect(seen).toEqual([1, 2]);
  });

  it('reports a refused token instead of reconnecting', async () => {
    const { errors } = start();
    FakeSocket.all[0]!.drop(4401);
    await vi.advanceTimersByTimeAsync(5000);
    expect(FakeSocket.all.length).toBe(1);
    expect(errors).toEqual(['the server refused the token']);
  });
});

describe('SeqTracker', () => {
  it('accepts only newer events', () => {
    const t = new SeqTracker(3);
    expect(t.accept(ev(3))).toBe(false);
    expect(t.accept(ev(4))).toBe(true);
    expect(t.last).toBe(4);
  });
});
