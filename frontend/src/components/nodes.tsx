/**
 * Canvas node components. They are memoised and read only their own slice of the
 * stores (their run status, their issue count, their catalog entry), so a change to
 * one node re-renders that node, not the 300 others.
 */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { createContext, memo, useContext, useMemo } from 'react';
import type { NodeType } from '../api/types';
import { routeLabels } from '../lib/routes';
import { formatDuration } from '../lib/runState';
import { describeObject, validateConfig, type FieldDesc } from '../lib/schemaForm';
import { SCRIPT_NODE, type FlowNode } from '../lib/spec';
import { iconFor, useCatalog } from '../store/catalog';
import { useDecor } from '../store/decor';
import { useEditor } from '../store/hooks';

/** True while the canvas is zoomed far out (Canvas FAR_ZOOM): nodes draw light handles. */
export const FarContext = createContext(false);

/**
 * A connection handle. Far out it is a plain element with the classes and data
 * attributes React Flow measures edges against (so edges keep their anchors), without
 * the store subscription each real Handle holds: 2,000 handle subscriptions re-checked
 * on every frame of a drag were the largest share of its script time. Connections are
 * drawn zoomed in, where the real Handle is back.
 */
function Port({ nodeId, type, position, id, className }: { nodeId: string; type: 'source' | 'target'; position: Position; id?: string; className?: string }) {
  const far = useContext(FarContext);
  if (!far) return <Handle type={type} position={position} {...(id ? { id } : {})} {...(className ? { className } : {})} />;
  return (
    <div
      className={`react-flow__handle react-flow__handle-${position} nodrag nopan ${type}${className ? ` ${className}` : ''}`}
      data-handleid={id ?? null}
      data-nodeid={nodeId}
      data-handlepos={position}
    />
  );
}

const NO_FIELDS: FieldDesc[] = [];
const fieldCache = new WeakMap<NodeType, FieldDesc[]>();
/** The form fields of a node type, worked out once per catalog entry rather than once per node. */
export function fieldsOf(entry: NodeType | undefined): FieldDesc[] {
  if (!entry) return NO_FIELDS;
  let fields = fieldCache.get(entry);
  if (!fields) fieldCache.set(entry, (fields = describeObject(entry.config_schema)));
  return fields;
}

/**
 * The nodes read the decor store (run status, server problems), not the editor store:
 * the editor store changes on every frame of a drag, and 1,000 nodes each running their
 * selectors on every frame cost more than the frame itself (bench/README.md, canvas).
 */
function OrcheoNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  const entry = useCatalog((s) => s.types[data.type]);
  const run = useDecor((s) => s.run?.nodes[id]);
  const serverIssues = useDecor((s) => s.issues.byNode[id]);
  const fields = fieldsOf(entry);
  const localIssues = useMemo(() => Object.keys(validateConfig(fields, data.config)).length, [fields, data.config]);
  const issues = localIssues + (serverIssues?.length ?? 0);
  const known = useMemo(() => routeLabels(data.type, data.config), [data.type, data.config]);
  // A router this canvas has no rule for: offer the routes its edges already use, plus
  // a plain output (an edge drawn from it is saved as a static edge).
  const unknownRouter = known === null && Boolean(entry?.is_router || data.router);
  const script = data.type === SCRIPT_NODE;
  const category = entry?.category ?? (script ? 'code' : 'unknown');
  const status = run?.status ?? 'idle';
  return (
    <div
      className={`node cat-${category} status-${status}${selected ? ' selected' : ''}${issues ? ' has-issues' : ''}`}
      data-testid={`node-${id}`}
      data-status={status}
    >
      {category !== 'trigger' && <Port nodeId={id} type="target" position={Position.Left} />}
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
      {known !== null ? <RouteHandles id={id} labels={known} /> : unknownRouter ? <DrawnRoutes id={id} /> : <Port nodeId={id} type="source" position={Position.Right} />}
    </div>
  );
}

function RouteHandles({ id, labels }: { id: string; labels: string[] }) {
  return (
    <div className="routes">
      {labels.map((label) => (
        <div className="route" key={label}>
          <span className="route-label">{label}</span>
          <Port nodeId={id} type="source" position={Position.Right} id={label} className={`route-handle route-${label}`} />
        </div>
      ))}
    </div>
  );
}

/** Routes of a router the canvas has no rule for: the ones its edges use (only such nodes read the edges). */
function DrawnRoutes({ id }: { id: string }) {
  const drawn = useEditor((s) => [...new Set(s.edges.filter((e) => e.source === id && e.sourceHandle).map((e) => e.sourceHandle!))].join('\n'));
  return drawn ? <RouteHandles id={id} labels={drawn.split('\n')} /> : <Port nodeId={id} type="source" position={Position.Right} />;
}

export const OrcheoNode = memo(OrcheoNodeView);

function EndNodeView({ id, selected }: NodeProps<FlowNode>) {
  return (
    <div className={`node node-end${selected ? ' selected' : ''}`} title="The run ends here">
      <Port nodeId={id} type="target" position={Position.Left} />
      End
    </div>
  );
}

export const EndNode = memo(EndNodeView);

export const nodeTypes = { orcheo: OrcheoNode, end: EndNode };
