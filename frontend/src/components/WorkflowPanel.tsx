import type { JsonObject, JsonValue } from '../api/types';
import { formatLiteral, parseLiteral } from '../lib/schemaForm';
import { editorStore } from '../store/editor';
import { useEditor } from '../store/hooks';

const REDUCERS = ['replace', 'append', 'merge', 'add'];

/**
 * Workflow-level settings shown when no node is selected: the state channels. A run's
 * inputs must be declared here (the server refuses unknown inputs); each has a default.
 */
export function WorkflowPanel() {
  const state = useEditor((s) => s.meta.state) ?? {};
  const description = useEditor((s) => s.meta.description) ?? '';
  const entries = Object.entries(state);
  const write = (next: [string, JsonObject][], key: string) =>
    editorStore.getState().updateMeta({ state: Object.fromEntries(next) }, key);
  const patch = (i: number, change: (key: string, channel: JsonObject) => [string, JsonObject], key: string) =>
    write(
      entries.map((e, j) => (j === i ? change(e[0], e[1]) : e)),
      `${key}.${i}`,
    );

  return (
    <div className="workflow-panel" data-testid="workflow-panel">
      <h3>Workflow</h3>
      <div className="field">
        <label htmlFor="wf-description">Description</label>
        <textarea
          id="wf-description"
          rows={2}
          value={description}
          onChange={(e) => editorStore.getState().updateMeta({ description: e.target.value }, 'description')}
        />
      </div>
      <h3>Inputs and state</h3>
      <p className="hint">
        Every run input must be declared here. Nodes read them as <code>{'{{ state.name }}'}</code>.
      </p>
      {entries.map(([name, channel], i) => (
        <div className="state-row" key={i}>
          <input
            aria-label={`State name ${i + 1}`}
            data-testid={`state-name-${i}`}
            value={name}
            placeholder="name"
            onChange={(e) => patch(i, (_k, c) => [e.target.value, c], 'name')}
          />
          <input
            aria-label={`Default ${i + 1}`}
            data-testid={`state-default-${i}`}
            value={formatLiteral(channel['default'] as JsonValue | undefined)}
            placeholder="default"
            onChange={(e) =>
              patch(
                i,
                (k, c) => {
                  const next = { ...c };
                  if (e.target.value === '') delete next['default'];
                  else next['default'] = parseLiteral(e.target.value);
                  return [k, next];
                },
                'default',
              )
            }
          />
          <select
            aria-label={`Reducer ${i + 1}`}
            value={String(channel['reducer'] ?? 'replace')}
            title="How writes to this key combine"
            onChange={(e) => patch(i, (k, c) => [k, { ...c, reducer: e.target.value }], 'reducer')}
          >
            {REDUCERS.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button className="icon-button" aria-label="Remove" onClick={() => write(entries.filter((_, j) => j !== i), 'remove')}>
            ×
          </button>
        </div>
      ))}
      <button
        className="small"
        data-testid="add-state"
        onClick={() => {
          let name = 'input';
          for (let n = 2; name in state; n += 1) name = `input${n}`;
          write([...entries, [name, {}]], 'add');
        }}
      >
        + Add input
      </button>
    </div>
  );
}
