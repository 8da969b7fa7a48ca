import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { JsonObject, JsonValue, Run } from '../api/types';
import { formatLiteral, parseLiteral } from '../lib/schemaForm';
import { formatDuration } from '../lib/runState';
import { useEditor } from '../store/hooks';

interface Props {
  client: ApiClient;
  workflowId: string;
  inputsText: string;
  setInputsText(text: string): void;
  busy: boolean;
  onRun(): void;
  onView(runId: string): void;
  onReplay(runId: string): void;
  selectedNode: string | null;
  onPickNode(id: string): void;
  refreshKey: number;
}

function Json({ value, testid }: { value: JsonValue | undefined; testid?: string }) {
  if (value === undefined) return <span className="muted">—</span>;
  return (
    <pre className="json-view" data-testid={testid}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Run with inputs, watch it live, inspect each step, and browse or replay past runs. */
export function RunPanel(props: Props) {
  const { client, workflowId, inputsText, setInputsText, busy, onRun, onView, onReplay, selectedNode, onPickNode, refreshKey } = props;
  const run = useEditor((s) => s.run);
  const declared = useEditor((s) => s.meta.state);
  let parsed: JsonObject | null = null;
  try {
    const value: unknown = JSON.parse(inputsText || '{}');
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) parsed = value as JsonObject;
  } catch {
    parsed = null;
  }
  const setInput = (key: string, text: string) => {
    const next: JsonObject = { ...(parsed ?? {}) };
    if (text === '') delete next[key];
    else next[key] = parseLiteral(text);
    setInputError(null);
    setInputsText(JSON.stringify(next, null, 2));
  };
  const [history, setHistory] = useState<Run[]>([]);
  const [inputError, setInputError] = useState<string | null>(null);

  const loadHistory = useCallback(async () => {
    try {
      setHistory((await client.listRuns(workflowId, 20)).items);
    } catch {
      setHistory([]);
    }
  }, [client, workflowId]);

  useEffect(() => {
    void loadHistory();
  }, [loadHistory, refreshKey, run?.status]);

  const step = selectedNode && run?.nodes[selectedNode] ? selectedNode : (run?.order.at(-1) ?? null);
  const detail = step ? run?.nodes[step] : undefined;

  return (
    <div className="run-panel" data-testid="run-panel">
      {declared && Object.keys(declared).length > 0 && parsed && (
        <div className="run-form" data-testid="run-form">
          {Object.entries(declared).map(([key, channel]) => (
            <div className="field" key={key}>
              <label htmlFor={`run-input-${key}`}>{key}</label>
              <input
                id={`run-input-${key}`}
                data-testid={`run-input-${key}`}
                value={formatLiteral(parsed![key])}
                placeholder={channel['default'] !== undefined ? `default: ${formatLiteral(channel['default'] as JsonValue)}` : ''}
                onChange={(e) => setInput(key, e.target.value)}
              />
            </div>
          ))}
        </div>
      )}
      <label htmlFor="run-inputs">Inputs (JSON)</label>
      <textarea
        id="run-inputs"
        data-testid="run-inputs"
        className="json"
        rows={4}
        value={inputsText}
        onChange={(e) => {
          setInputsText(e.target.value);
          try {
            const parsed: unknown = JSON.parse(e.target.value || '{}');
            setInputError(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? null : 'Inputs are a JSON object, e.g. {"amount": 5}');
          } catch (exc) {
            setInputError(`Not valid JSON: ${(exc as Error).message}`);
          }
        }}
      />
      {inputError && <p className="error small">{inputError}</p>}
      <button className="primary" disabled={busy || Boolean(inputError)} onClick={onRun} data-testid="run-button">
        {busy ? 'Starting…' : '▶ Run'}
      </button>

      {run && (
        <section className="run-now" data-testid="run-status" data-status={run.status}>
          <h3>
            Run <code>{run.runId.slice(0, 8)}</code>: <span className={`status-text status-${run.status}`}>{run.status}</span>
            {run.duration !== undefined && <span className="muted small"> in {formatDuration(run.duration)}</span>}
          </h3>
          <ol className="steps" data-testid="step-list">
            {run.order.map((id) => {
              const n = run.nodes[id]!;
              return (
                <li
                  key={id}
                  className={`step status-${n.status}${id === step ? ' active' : ''}`}
                  data-testid={`step-${id}`}
                  onClick={() => onPickNode(id)}
                >
                  <span className="dot" /> {id}
                  <span className="muted small">
                    {' '}
                    {n.status}
                    {n.attempts > 1 ? ` (attempt ${n.attempts})` : ''} {formatDuration(n.duration)}
                  </span>
                </li>
              );
            })}
          </ol>
          {step && detail && (
            <div className="step-detail" data-testid="step-detail">
              <h4>
                Step <code>{step}</code>
              </h4>
              <div className="io">
                <div>
                  <h5>Input</h5>
                  <Json value={detail.input} testid="step-input" />
                </div>
                <div>
                  <h5>Output</h5>
                  <Json value={detail.output} testid="step-output" />
                </div>
              </div>
              {detail.error !== undefined && (
                <div>
                  <h5 className="error">Error</h5>
                  <Json value={detail.error} testid="step-error" />
                </div>
              )}
            </div>
          )}
          {run.status === 'failed' && run.error !== undefined && (
            <div>
              <h5 className="error">Run error</h5>
              <Json value={run.error} />
            </div>
          )}
          {run.state !== undefined && (
            <details>
              <summary>Final state</summary>
              <Json value={run.state} testid="run-state" />
            </details>
          )}
        </section>
      )}

      <section className="run-history">
        <h3>Recent runs</h3>
        {history.length === 0 && <p className="muted small">No runs yet.</p>}
        <ul data-testid="run-history">
          {history.map((r) => (
            <li key={r.id} className={r.id === run?.runId ? 'active' : ''}>
              <span className={`status-text status-${r.status}`}>{r.status}</span> <code>{r.id.slice(0, 8)}</code>{' '}
              <span className="muted small">
                v{r.version} · {new Date(r.created_at * 1000).toLocaleTimeString()} {formatDuration(r.duration ?? undefined)}
                {r.replay_of ? ' · replay' : ''}
              </span>
              <span className="row-actions">
                <button className="small" onClick={() => onView(r.id)}>
                  View
                </button>
                <button className="small" onClick={() => onReplay(r.id)} data-testid={`replay-${r.id}`}>
                  Replay
                </button>
              </span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
