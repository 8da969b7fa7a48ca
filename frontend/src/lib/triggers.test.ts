import { describe, expect, it } from 'vitest';
import type { TriggerState } from '../api/types';
import { checkTriggers, formatFireTime, hookUrl, isLive, newCron, newWebhook, triggerId, withTriggerChannels, type TriggerSpec } from './triggers';

// GET /api/workflows/{id}/triggers for a cron trigger, as the local stack answers it.
const LIVE_CRON: TriggerState = {
  id: 'nightly',
  type: 'cron',
  config: { type: 'cron', id: 'nightly', expression: '30 2 * * *', timezone: 'Europe/Berlin', inputs: {}, overlap: 'skip', enabled: true },
  paused: false,
  schedule_id: 'wf:probe:nightly',
  scheduled: true,
  description: 'at 02:30 every day',
  next_fire_times: [{ unix: 1795829400, at: '2026-11-28T02:30:00+01:00' }],
  last_run_id: null,
  skipped_fires: 0,
  url_path: null,
  secret: null,
};

describe('triggers', () => {
  it('adds a webhook and crons with free ids', () => {
    const first = newCron([]);
    expect(triggerId(first)).toBe('cron');
    expect(triggerId(newCron([first]))).toBe('cron_2');
    expect(triggerId({ type: 'webhook' })).toBe('webhook');
  });

  it('declares the channels the triggers fill, and only when missing', () => {
    const triggers: TriggerSpec[] = [newWebhook(), { type: 'cron', id: 'c', expression: '@daily', inputs: { range: 'day' } }];
    expect(withTriggerChannels({ amount: {} }, triggers)).toEqual({ amount: {}, webhook: {}, range: {} });
    const full = { webhook: {}, range: {} };
    expect(withTriggerChannels(full, triggers)).toBe(full);
  });

  it('finds what the server would refuse before saving', () => {
    const problems = checkTriggers([newWebhook(), { ...newWebhook(), methods: [] }, { type: 'cron', id: '1x', expression: ' ' }]);
    expect(problems[0]).toBeUndefined();
    expect(problems[1]).toEqual(['id "webhook" is used by another trigger', 'a workflow has one webhook (it has one URL)', 'allow at least one HTTP method']);
    expect(problems[2]).toHaveLength(2);
  });

  it("knows whether the canvas' trigger is the one that runs", () => {
    const spec: TriggerSpec = { type: 'cron', id: 'nightly', expression: '30 2 * * *', timezone: 'Europe/Berlin' };
    expect(isLive(spec, LIVE_CRON)).toBe(true);
    expect(isLive({ ...spec, expression: '0 3 * * *' }, LIVE_CRON)).toBe(false);
    expect(isLive(spec, undefined)).toBe(false);
  });

  it('shows fire times as wall-clock time in the trigger zone', () => {
    expect(formatFireTime('2026-11-28T02:30:00+01:00')).toBe('Sat 28 Nov 2026, 02:30 (+01:00)');
    expect(formatFireTime('2027-01-01T00:00:00Z')).toBe('Fri 1 Jan 2027, 00:00 (UTC)');
    expect(hookUrl('http://127.0.0.1:8000/', '/hooks/wf-1')).toBe('http://127.0.0.1:8000/hooks/wf-1');
  });
});
