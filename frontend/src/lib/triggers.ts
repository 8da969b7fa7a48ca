/**
 * Triggers as the canvas edits them: the spec's `triggers` list (webhook, cron, manual),
 * plus what the server says about the ones of the version that runs (next fires, paused,
 * the webhook's secret). Pure functions over the spec; the panel calls the API.
 */
import type { JsonObject, JsonValue, TriggerState, WorkflowSpec } from '../api/types';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const TRIGGER_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export type TriggerSpec = JsonObject & { type: string; id?: string };

export function triggersOf(spec: Pick<WorkflowSpec, 'triggers'>): TriggerSpec[] {
  return (spec.triggers ?? []) as TriggerSpec[];
}

/** A trigger's id as the server reads it (the spec may leave the default out). */
export function triggerId(trigger: TriggerSpec): string {
  return typeof trigger.id === 'string' && trigger.id ? trigger.id : trigger.type;
}

function freeId(base: string, triggers: TriggerSpec[]): string {
  const taken = new Set(triggers.map(triggerId));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i += 1) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

export function newWebhook(): TriggerSpec {
  return { type: 'webhook', id: 'webhook', methods: ['POST'], auth: 'hmac', input_key: 'webhook' };
}

export function newCron(triggers: TriggerSpec[]): TriggerSpec {
  return { type: 'cron', id: freeId('cron', triggers), expression: '0 9 * * MON-FRI', timezone: browserTimeZone(), overlap: 'skip' };
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * State channels the triggers fill (a webhook's `input_key`, a cron's `inputs`): the
 * server refuses a spec whose triggers would start runs with undeclared inputs, so the
 * panel declares them. Returns the state unchanged (same object) when nothing is missing.
 */
export function withTriggerChannels(state: Record<string, JsonObject> | undefined, triggers: TriggerSpec[]): Record<string, JsonObject> {
  const current = state ?? {};
  const missing: string[] = [];
  for (const t of triggers) {
    const keys = t.type === 'webhook' ? [String(t['input_key'] ?? 'webhook')] : t.type === 'cron' ? Object.keys(asObject(t['inputs'])) : [];
    for (const key of keys) if (key && !(key in current) && !missing.includes(key)) missing.push(key);
  }
  if (!missing.length) return current;
  return { ...current, ...Object.fromEntries(missing.map((k) => [k, {}])) };
}

function asObject(value: JsonValue | undefined): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

/** Problems the server would report, found before saving (ids, a second webhook, no verb). */
export function checkTriggers(triggers: TriggerSpec[]): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  const add = (i: number, m: string) => (out[i] ??= []).push(m);
  const seen = new Map<string, number>();
  let webhooks = 0;
  triggers.forEach((t, i) => {
    const id = triggerId(t);
    if (!TRIGGER_ID.test(id)) add(i, `id "${id}" must start with a letter and hold only letters, digits, _ and -`);
    if (seen.has(id)) add(i, `id "${id}" is used by another trigger`);
    seen.set(id, i);
    if (t.type === 'webhook') {
      webhooks += 1;
      if (webhooks > 1) add(i, 'a workflow has one webhook (it has one URL)');
      if (!Array.isArray(t['methods']) || !t['methods'].length) add(i, 'allow at least one HTTP method');
    }
    if (t.type === 'cron' && !String(t['expression'] ?? '').trim()) add(i, 'a cron expression is required');
  });
  return out;
}

/** Whether the canvas' trigger is the one the server runs (same settings as the live version's). */
export function isLive(trigger: TriggerSpec, live: TriggerState | undefined): boolean {
  if (!live || live.type !== trigger.type) return false;
  return Object.entries(trigger).every(([key, value]) => key === 'id' || JSON.stringify(live.config[key] ?? null) === JSON.stringify(value ?? null));
}

/** `2027-03-28T03:00:00+02:00` -> `Sun 28 Mar 2027, 03:00 (+02:00)`: the wall-clock time in the trigger's zone. */
export function formatFireTime(at: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(at);
  if (!m) return at;
  const [, y, mo, d, h, mi, off] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][day.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(mo) - 1];
  return `${weekday} ${Number(d)} ${month} ${y}, ${h}:${mi} (${off === 'Z' ? 'UTC' : off})`;
}

/** The full address of a webhook, from the page's origin and the server's `url_path`. */
export function hookUrl(origin: string, urlPath: string | null): string | null {
  return urlPath ? `${origin.replace(/\/$/, '')}${urlPath}` : null;
}
