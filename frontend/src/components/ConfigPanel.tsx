import { useMemo } from 'react';
import type { ApiClient } from '../api/client';
import type { JsonValue } from '../api/types';
import { validateConfig } from '../lib/schemaForm';
import { SCRIPT_NODE } from '../lib/spec';
import { useCatalog } from '../store/catalog';
import { editorStore } from '../store/editor';
import { useDecor } from '../store/decor';
import { useEditor } from '../store/hooks';
import { CredentialPicker } from './CredentialPicker';
import { fieldsOf } from './nodes';
import { SchemaForm } from './SchemaForm';

/** The configuration of the one selected node, as a form generated from its schema. */
export function ConfigPanel({ nodeId, client }: { nodeId: string; client: ApiClient }) {
  const workflowId = useEditor((s) => s.workflow?.id);
  // The node's data and kind, not the node: dragging the selected node changes its
  // position on every frame, which must not re-render the whole form.
  const data = useEditor((s) => s.nodes.find((n) => n.id === nodeId)?.data);
  const kind = useEditor((s) => s.nodes.find((n) => n.id === nodeId)?.type);
  const node = data ? { id: nodeId, type: kind, data } : undefined;
  const serverIssues = useDecor((s) => s.issues.byNode[nodeId]);
  const entry = useCatalog((s) => (node ? s.types[node.data.type] : undefined));
  const fields = fieldsOf(entry);
  const config = node?.data.config;
  const errors = useMemo(() => {
    const out: Record<string, string[]> = {};
    for (const [path, message] of Object.entries(validateConfig(fields, config ?? {}))) (out[path] ??= []).push(message);
    for (const issue of serverIssues ?? []) {
      if (!issue.field.startsWith('@')) (out[issue.field] ??= []).push(issue.message);
    }
    return out;
  }, [fields, config, serverIssues]);

  if (!node) return null;
  if (node.type === 'end') return <p className="muted">End: a route connected here ends the run.</p>;
  if (node.data.type === SCRIPT_NODE) {
    return (
      <p className="muted" data-testid="config-panel">
        <code>{node.id}</code> is defined in the workflow's Python script: edit it in code. Its input and output show in
        the Run tab.
      </p>
    );
  }
  const nodeLevel = (serverIssues ?? []).filter((i) => i.field.startsWith('@') || i.field === '');
  const unplaced = (serverIssues ?? []).filter((i) => i.field && !i.field.startsWith('@') && !fields.some((f) => i.field.split('.')[0] === f.key));

  return (
    <div className="config-panel" data-testid="config-panel">
      <div className="config-head">
        <strong>{entry?.display_name ?? node.data.type}</strong>
        <code className="muted">{node.id}</code>
      </div>
      {entry?.description && <p className="hint">{entry.description}</p>}
      {[...nodeLevel, ...unplaced].length > 0 && (
        <ul className="field-errors" data-testid="node-issues">
          {[...nodeLevel, ...unplaced].map((i, k) => (
            <li key={k}>
              {i.field && i.field !== '' ? <code>{i.field.replace(/^@/, '')}</code> : null} {i.message}
            </li>
          ))}
        </ul>
      )}
      <div className="field">
        <label htmlFor="node-label">Label</label>
        <input
          id="node-label"
          data-testid="field-@label"
          value={node.data.label ?? ''}
          placeholder={node.id}
          onChange={(e) => editorStore.getState().setLabel(node.id, e.target.value)}
        />
      </div>
      {entry ? (
        <SchemaForm
          fields={fields}
          value={node.data.config as Record<string, JsonValue>}
          errors={errors}
          onChange={(value, path) => editorStore.getState().updateConfig(node.id, value, path)}
        />
      ) : (
        <p className="error">This server has no node type “{node.data.type}”.</p>
      )}
      {entry && (
        <CredentialPicker
          client={client}
          workflowId={workflowId}
          nodeId={node.id}
          entry={entry}
          config={node.data.config}
          bound={node.data.extra?.credentials ?? {}}
        />
      )}
      {entry?.output_description && <p className="hint">Output: {entry.output_description}</p>}
    </div>
  );
}
