/**
 * The Triggers tab: the spec's triggers (webhook, cron) edited like the rest of the
 * canvas (undoable, saved with the version), next to what the server runs: the triggers
 * of the workflow's current version, with a cron's meaning, next 5 fire times and
 * pause switch, and a webhook's URL and signing secret (shown once).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, type ApiClient } from '../api/client';
import type { JsonObject, JsonValue, TriggerState, WebhookSecret, Workflow } from '../api/types';
import {
  HTTP_METHODS,
  checkTriggers,
  formatFireTime,
  hookUrl,
  isLive,
  newCron,
  newWebhook,
  triggerId,
  withTriggerChannels,
  type TriggerSpec,
} from '../lib/triggers';
import { editorStore } from '../store/editor';
import { useEditor } from '../store/hooks';

interface Props {
  client: ApiClient;
  workflow: Workflow;
  canvasVersion: number | null;
  dirty: boolean;
  refreshKey: number;
  /** Save the canvas when it has changes, then make its version the one that runs. */
  onMakeLive(): Promise<void>;
}

let zones: string[] | null = null;
function timeZones(): string[] {
  if (zones) return zones;
  try {
    zones = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    zones = ['UTC'];
  }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  return zones;
}

export function TriggersPanel({ client, workflow, canvasVersion, dirty, refreshKey, onMakeLive }: Props) {
  const triggers = useEditor((s) => s.meta.triggers) as TriggerSpec[] | undefined;
  const list = useMemo(() => triggers ?? [], [triggers]);
  const problems = useMemo(() => checkTriggers(list), [list]);
  const [live, setLive] = useState<TriggerState[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    if (!workflow.current_version) {
      setLive([]);
      return;
    }
    try {
      setLive(await client.triggers(workflow.id));
      setError(null);
    } catch (exc) {
      setError((exc as Error).message);
    }
  }, [client, workflow.id, workflow.current_version]);

  useEffect(() => {
    void refresh();
  }, [refresh, refreshKey]);

  const write = (next: TriggerSpec[], key: string | null) => {
    const meta = editorStore.getState().meta;
    const state = withTriggerChannels(meta.state, next);
    editorStore.getState().updateMeta(state === meta.state ? { triggers: next } : { triggers: next, state }, key ?? undefined);
  };
  const patch = (i: number, change: Partial<Record<string, JsonValue>>, key: string | null = null) =>
    write(
      list.map((t, j) => (j === i ? ({ ...t, ...change } as TriggerSpec) : t)),
      key ? `trigger.${i}.${key}` : null,
    );

  const liveById = new Map((live ?? []).map((t) => [t.id, t]));
  const allLive = list.length > 0 && list.every((t) => isLive(t, liveById.get(triggerId(t)))) && (live ?? []).filter((t) => t.type !== 'manual').length === list.filter((t) => t.type !== 'manual').length;
  const runsVersion = workflow.current_version;

  return (
    <div className="triggers-panel" data-testid="triggers-panel">
      <p className="hint">
        Triggers start runs of the version that runs on triggers
        {runsVersion ? ` (now v${runsVersion})` : ' (none yet: the first save makes one)'}. Edit them here, then save and make
        that version live.
      </p>
      {error && <p className="banner error">{error}</p>}
      {list.map((t, i) => (
        <section className={`trigger-card type-${t.type}`} key={i} data-testid={`trigger-${triggerId(t)}`}>
          <div className="config-head">
            <strong>{t.type === 'cron' ? '◷ Schedule' : t.type === 'webhook' ? '⇄ Webhook' : `▶ ${t.type}`}</strong>
            <span className="row-actions">
              <input
                aria-label="Trigger id"
                className="small-input"
                data-testid={`trigger-id-${i}`}
                value={String(t.id ?? '')}
                placeholder={t.type}
                onChange={(e) => {
                  // an empty id is left out of the spec: the server then uses the type
                  if (e.target.value) patch(i, { id: e.target.value }, 'id');
                  else write(list.map((x, j) => (j === i ? (Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'id')) as TriggerSpec) : x)), `trigger.${i}.id`);
                }}
              />
              <button className="icon-button" aria-label="Remove trigger" data-testid={`trigger-remove-${i}`} onClick={() => write(list.filter((_, j) => j !== i), null)}>
                ×
              </button>
            </span>
          </div>
          {problems[i] && (
            <ul className="field-errors" data-testid={`trigger-problems-${i}`}>
              {problems[i]!.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          )}
          {t.type === 'cron' && <CronFields trigger={t} index={i} patch={patch} />}
          {t.type === 'webhook' && <WebhookFields trigger={t} index={i} patch={patch} />}
          <LiveState client={client} workflowId={workflow.id} trigger={t} live={liveById.get(triggerId(t))} onChange={refresh} />
        </section>
      ))}
      <div className="row-actions add-triggers">
        <button className="small" data-testid="add-cron" onClick={() => write([...list, newCron(list)], null)}>
          + Schedule (cron)
        </button>
        <button className="small" data-testid="add-webhook" disabled={list.some((t) => t.type === 'webhook')} title="A workflow has one webhook" onClick={() => write([...list, newWebhook()], null)}>
          + Webhook
        </button>
      </div>
      {list.length > 0 && (
        <div className="make-live">
          {allLive && !dirty ? (
            <p className="hint ok-text" data-testid="triggers-live">
              ✓ These triggers are live (v{runsVersion}).
            </p>
          ) : (
            <>
              <p className="hint">
                {dirty ? 'The canvas has unsaved changes. ' : canvasVersion !== runsVersion ? `The canvas shows v${canvasVersion ?? '–'}; v${runsVersion ?? '–'} runs on triggers. ` : ''}
                The server schedules what the version that runs says.
              </p>
              <button
                className="primary"
                data-testid="make-live"
                disabled={busy || Object.keys(problems).length > 0}
                onClick={async () => {
                  setBusy(true);
                  try {
                    await onMakeLive();
                    await refresh();
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                {dirty ? 'Save and make live' : 'Make this version live'}
              </button>
            </>
          )}
        </div>
      )}
    </div>
  );
}

type Patch = (i: number, change: Partial<Record<string, JsonValue>>, key?: string | null) => void;

function CronFields({ trigger, index, patch }: { trigger: TriggerSpec; index: number; patch: Patch }) {
  const [inputsText, setInputsText] = useState(() => JSON.stringify(trigger['inputs'] ?? {}));
  const [badInputs, setBadInputs] = useState(false);
  return (
    <>
      <div className="field">
        <label htmlFor={`cron-expr-${index}`}>Cron expression</label>
        <input
          id={`cron-expr-${index}`}
          data-testid={`cron-expression-${index}`}
          className="mono"
          value={String(trigger['expression'] ?? '')}
          placeholder="minute hour day month weekday, e.g. 30 2 * * MON-FRI or @daily"
          onChange={(e) => patch(index, { expression: e.target.value }, 'expression')}
        />
      </div>
      <div className="field">
        <label htmlFor={`cron-tz-${index}`}>Time zone</label>
        <input
          id={`cron-tz-${index}`}
          data-testid={`cron-timezone-${index}`}
          list="orcheo-time-zones"
          value={String(trigger['timezone'] ?? 'UTC')}
          onChange={(e) => patch(index, { timezone: e.target.value }, 'timezone')}
        />
        <datalist id="orcheo-time-zones">
          {timeZones().map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor={`cron-overlap-${index}`}>While the previous run is still going</label>
        <select id={`cron-overlap-${index}`} value={String(trigger['overlap'] ?? 'skip')} onChange={(e) => patch(index, { overlap: e.target.value })}>
          <option value="skip">skip this fire</option>
          <option value="allow">start another run</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={`cron-inputs-${index}`}>Run inputs (JSON)</label>
        <input
          id={`cron-inputs-${index}`}
          className="mono"
          aria-invalid={badInputs}
          value={inputsText}
          onChange={(e) => {
            setInputsText(e.target.value);
            try {
              const value = JSON.parse(e.target.value || '{}') as JsonValue;
              const ok = typeof value === 'object' && value !== null && !Array.isArray(value);
              setBadInputs(!ok);
              if (ok) patch(index, { inputs: value as JsonObject }, 'inputs');
            } catch {
              setBadInputs(true);
            }
          }}
        />
      </div>
    </>
  );
}

function WebhookFields({ trigger, index, patch }: { trigger: TriggerSpec; index: number; patch: Patch }) {
  const methods = (Array.isArray(trigger['methods']) ? trigger['methods'] : ['POST']) as string[];
  const response = (typeof trigger['response'] === 'object' && trigger['response'] !== null ? trigger['response'] : { mode: trigger['response'] ?? 'accepted' }) as JsonObject;
  return (
    <>
      <div className="field">
        <span className="label">Allowed methods</span>
        <div className="row-actions" role="group" aria-label="Allowed methods">
          {HTTP_METHODS.map((m) => (
            <label key={m} className="check">
              <input
                type="checkbox"
                data-testid={`webhook-method-${m}`}
                checked={methods.includes(m)}
                onChange={(e) => patch(index, { methods: e.target.checked ? HTTP_METHODS.filter((x) => x === m || methods.includes(x)) : methods.filter((x) => x !== m) })}
              />
              {m}
            </label>
          ))}
        </div>
      </div>
      <div className="field">
        <label htmlFor={`hook-auth-${index}`}>Requests must be</label>
        <select id={`hook-auth-${index}`} data-testid={`webhook-auth-${index}`} value={String(trigger['auth'] ?? 'hmac')} onChange={(e) => patch(index, { auth: e.target.value })}>
          <option value="hmac">signed with the secret (HMAC-SHA256)</option>
          <option value="none">anything: a public URL</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={`hook-reply-${index}`}>Answer</label>
        <select id={`hook-reply-${index}`} value={String(response['mode'] ?? 'accepted')} onChange={(e) => patch(index, { response: { ...response, mode: e.target.value } })}>
          <option value="accepted">202 with the run id, at once</option>
          <option value="wait">the run's final state (waits for it)</option>
          <option value="static">a fixed answer, at once</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={`hook-key-${index}`}>State key for the request</label>
        <input id={`hook-key-${index}`} value={String(trigger['input_key'] ?? 'webhook')} onChange={(e) => patch(index, { input_key: e.target.value }, 'input_key')} />
      </div>
    </>
  );
}

function LiveState({ client, workflowId, trigger, live, onChange }: { client: ApiClient; workflowId: string; trigger: TriggerSpec; live: TriggerState | undefined; onChange(): Promise<void> }) {
  const [secret, setSecret] = useState<WebhookSecret | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = triggerId(trigger);
  if (!live) return <p className="hint live-none" data-testid={`live-${id}`}>Not live: the version that runs has no trigger “{id}”.</p>;
  const same = isLive(trigger, live);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      await fn();
      await onChange();
    } catch (exc) {
      setMessage((exc as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="live-state" data-testid={`live-${id}`}>
      <h4>
        On the server {!same && <span className="badge warn" title="Save and make this version live to apply the changes">differs from the canvas</span>}
      </h4>
      {live.type === 'cron' && (
        <>
          <p data-testid={`cron-description-${id}`}>
            Runs <strong>{live.description}</strong> ({String(live.config['expression'])}, {String(live.config['timezone'])})
            {live.paused && (
              <span className="badge warn" data-testid={`cron-paused-${id}`}>
                paused
              </span>
            )}
          </p>
          {live.paused ? (
            <p className="hint">Paused: no fires until resumed (missed fires are not caught up).</p>
          ) : (
            <>
              <h5>Next 5 runs</h5>
              <ol className="fires" data-testid={`cron-next-${id}`}>
                {live.next_fire_times.map((f) => (
                  <li key={f.unix} title={f.at}>
                    {formatFireTime(f.at)}
                  </li>
                ))}
              </ol>
            </>
          )}
          <p className="hint">
            {live.skipped_fires ? `${live.skipped_fires} fire(s) skipped while a run was still going. ` : ''}
            {live.last_run_id ? `Last run ${live.last_run_id}.` : 'No run started by this schedule yet.'}
          </p>
          {live.paused ? (
            <button className="small" disabled={busy} data-testid={`cron-resume-${id}`} onClick={() => void act(() => client.resumeTrigger(workflowId, id))}>
              ▶ Resume
            </button>
          ) : (
            <button className="small" disabled={busy} data-testid={`cron-pause-${id}`} onClick={() => void act(() => client.pauseTrigger(workflowId, id))}>
              ❚❚ Pause
            </button>
          )}
        </>
      )}
      {live.type === 'webhook' && (
        <>
          <div className="field">
            <span className="label">URL</span>
            <code className="copyable" data-testid="webhook-url">
              {hookUrl(window.location.origin, live.url_path)}
            </code>
            <p className="hint">Takes {((live.config['methods'] as string[] | undefined) ?? []).join(', ')}; other verbs get 405.</p>
          </div>
          {live.config['auth'] === 'hmac' && (
            <div className="field">
              <span className="label">Signing secret</span>
              {secret ? (
                <div className="secret-once" data-testid="webhook-secret">
                  <code>{secret.secret}</code>
                  <p className="hint warn-text">Copy it now: it is not shown again (rotate for a new one).</p>
                  <button className="small" onClick={() => void navigator.clipboard?.writeText(secret.secret)}>
                    Copy
                  </button>
                  <button className="small" onClick={() => setSecret(null)} data-testid="webhook-secret-hide">
                    Hide
                  </button>
                </div>
              ) : (
                <p data-testid="webhook-secret-preview">
                  <code>{live.secret?.previews.join(', ') || '—'}</code>{' '}
                  {live.secret?.shown ? <span className="muted small">(already shown once)</span> : null}
                </p>
              )}
              <span className="row-actions">
                {!live.secret?.shown && !secret && (
                  <button
                    className="small"
                    disabled={busy}
                    data-testid="webhook-reveal"
                    onClick={() =>
                      void act(async () => {
                        try {
                          setSecret(await client.webhookSecret(workflowId, id));
                        } catch (exc) {
                          if (exc instanceof ApiError && exc.status === 409) throw new Error('The secret was already shown once: rotate it to get a new one.');
                          throw exc;
                        }
                      })
                    }
                  >
                    Show the secret (once)
                  </button>
                )}
                <button
                  className="small"
                  disabled={busy}
                  data-testid="webhook-rotate"
                  onClick={() => {
                    if (window.confirm('Make a new secret? The current one stops working at once.')) void act(async () => setSecret(await client.rotateWebhookSecret(workflowId, id)));
                  }}
                >
                  Rotate
                </button>
              </span>
              <p className="hint">Senders sign each request: header X-Orcheo-Signature: t=&lt;unix time&gt;,v1=HMAC-SHA256(secret, "t." + body).</p>
            </div>
          )}
        </>
      )}
      {message && <p className="error small">{message}</p>}
    </div>
  );
}
