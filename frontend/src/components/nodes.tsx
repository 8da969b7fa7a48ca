/**
 * Canvas node components. They are memoised and read only their own slice of the
 * stores (their run status, their issue count, their catalog entry), so a change to
 * one node re-renders that node, not the 300 others.
 */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { routeLabels } from '../lib/routes';
import { formatDuration } from '../lib/runState';
import { describeObject, validateConfig } from '../lib/schemaForm';
import { SCRIPT_NODE, type FlowNode } from '../lib/spec';
import { iconFor, useCatalog } from '../store/catalog';
import { useEditor } from '../store/hooks';

function OrcheoNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  const entry = useCatalog((s) => s.types[data.type]);
  const run = useEditor((s) => s.run?.nodes[id]);
  const serverIssues = useEditor((s) => s.issues.byNode[id]);
  const fields = useMemo(() => (entry ? describeObject(entry.config_schema) : []), [entry]);
  const localIssues = useMemo(() => Object.keys(validateConfig(fields, data.config)).length, [fields, data.config]);
  const issues = localIssues + (serverIssues?.length ?? 0);
  const known = useMemo(() => routeLabels(data.type, data.config), [data.type, data.config]);
  // A router this canvas has no rule for: offer the routes its edges already use, plus
  // a plain output (an edge drawn from it is saved as a static edge).
  const unknownRouter = known === null && Boolean(entry?.is_router || data.router);
  const drawn = useEditor((s) =>
    unknownRouter ? [...new Set(s.edges.filter((e) => e.source === id && e.sourceHandle).map((e) => e.sourceHandle!))].join('\n') : '',
  );
  const labels = known ?? (drawn ? drawn.split('\n') : null);
  const script = data.type === SCRIPT_NODE;
  const category = entry?.category ?? (script ? 'code' : 'unknown');
  const status = run?.status ?? 'idle';
  return (
    <div
      className={`node cat-${category} status-${status}${selected ? ' selected' : ''}${issues ? ' has-issues' : ''}`}
      data-testid={`node-${id}`}
      data-status={status}
    >
      {category !== 'trigger' && <Handle type="target" position={Position.Left} />}
      <div className="node-head">
        <span className="node-icon" aria-hidden>
          {iconFor(entry?.icon, category)}
        </span>
        <span className="node-title">{data.label || id}</span>
        {status === 'running' && <span className="spinner" aria-label="running" />}
      </div>
      <div className="node-sub">
        <span>{entry?.display_name ?? (script ? 'Python (LangGraph)' : `${data.type} (unknown type)`)}</span>
        {run?.duration !== undefined && <span className="node-duration">{formatDuration(run.duration)}</span>}
        {issues > 0 && (
          <span className="node-issues" title="Problems in this node's configuration">
            ⚠ {issues}
          </span>
        )}
      </div>
      {labels === null ? (
        <Handle type="source" position={Position.Right} />
      ) : (
        <div className="routes">
          {labels.map((label) => (
            <div className="route" key={label}>
              <span className="route-label">{label}</span>
              <Handle type="source" position={Position.Right} id={label} className={`route-handle route-${label}`} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

export const OrcheoNode = memo(OrcheoNodeView);

function EndNodeView({ selected }: NodeProps<FlowNode>) {
  return (
    <div className={`node node-end${selected ? ' selected' : ''}`} title="The run ends here">
      <Handle type="target" position={Position.Left} />
      End
    </div>
  );
}

export const EndNode = memo(EndNodeView);

export const nodeTypes = { orcheo: OrcheoNode, end: EndNode };
