import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../api/types';
import { applyEvent, emptyRunView, foldEvents, formatDuration } from './runState';

const ev = (seq: number, type: string, node: string | null, data: RunEvent['data'] = {}): RunEvent => ({
  run_id: 'r1',
  workflow_id: 'w',
  seq,
  type,
  node,
  attempt: node ? 1 : null,
  data,
  ts: 1000 + seq,
});

// The events of a real run of the If/Else fixture (GET /api/runs/{id}).
const EVENTS = [
  ev(1, 'run.started', null, { inputs: { amount: 500 } }),
  ev(2, 'node.started', 'start', { input: { amount: 500 } }),
  ev(3, 'node.succeeded', 'start', { output: { total: 500 }, duration: 0.0015 }),
  ev(4, 'node.started', 'check', { input: { amount: 500 } }),
  ev(5, 'node.succeeded', 'check', { output: {}, duration: 0.0002 }),
  ev(6, 'node.started', 'big', { input: { amount: 500 } }),
  ev(7, 'node.succeeded', 'big', { output: { size: 'big' }, duration: 0.00001 }),
  ev(8, 'run.succeeded', null, { state: { amount: 500, size: 'big' }, duration: 0.05 }),
];

describe('run view', () => {
  it('follows node status through a run', () => {
    let view = emptyRunView('r1');
    view = applyEvent(view, EVENTS[0]!);
    expect(view.status).toBe('running');
    view = applyEvent(view, EVENTS[1]!);
    expect(view.nodes['start']).toMatchObject({ status: 'running', input: { amount: 500 } });
    view = EVENTS.slice(2).reduce(applyEvent, view);
    expect(view.status).toBe('succeeded');
    expect(view.order).toEqual(['start', 'check', 'big']);
    expect(view.nodes['big']).toMatchObject({ status: 'succeeded', output: { size: 'big' } });
    expect(view.state).toEqual({ amount: 500, size: 'big' });
    expect(view.lastSeq).toBe(8);
  });

  it('ignores an event it already applied', () => {
    const view = foldEvents('r1', EVENTS.slice(0, 3));
    expect(applyEvent(view, EVENTS[1]!)).toBe(view);
  });

  it('records failures and retries; a node left running when the run fails is failed', () => {
    const view = foldEvents('r1', [
      ev(1, 'run.started', null),
      ev(2, 'node.started', 'h'),
      ev(3, 'node.retrying', 'h', { error: { message: 'timeout' } }),
      ev(4, 'node.started', 'g'),
      ev(5, 'node.failed', 'h', { error: { type: 'HTTPStatusError', message: '500' }, duration: 1.5 }),
      ev(6, 'run.failed', null, { error: { message: 'node h failed' } }),
    ]);
    expect(view.status).toBe('failed');
    expect(view.nodes['h']).toMatchObject({ status: 'failed', error: { type: 'HTTPStatusError' }, duration: 1.5 });
    expect(view.nodes['g']!.status).toBe('failed');
  });

  it('marks an interrupted run', () => {
    const view = foldEvents('r1', [ev(1, 'run.cancelled', null, { error: { code: 'interrupted' } })]);
    expect(view.status).toBe('interrupted');
  });

  it('formats durations for people', () => {
    expect(formatDuration(0.0002)).toBe('1 ms');
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(2.5)).toBe('2.50 s');
    expect(formatDuration(75)).toBe('1 min 15 s');
  });
});
