/**
 * Edges as plain paths in one SVG, drawn instead of React Flow's edges while a big workflow is
 * zoomed far out. React Flow gives each edge its own <svg> and its own store
 * subscription; with 1,000 edges each frame of a drag re-checked 1,000 subscriptions
 * and composited 1,000 more paint chunks. Far out, edges are lines to follow, not
 * things to click: zoom in to select or delete one.
 */
import { Position, ViewportPortal, getBezierPath, useStore, useStoreApi, type InternalNode } from '@xyflow/react';
import { memo } from 'react';
import type { FlowEdge, FlowNode } from '../lib/spec';

type Handle = { id?: string | null; x: number; y: number; width: number; height: number; position: Position };

function anchor(node: InternalNode<FlowNode> | undefined, kind: 'source' | 'target', handleId: string | null | undefined) {
  if (!node) return null;
  const handles = (node.internals.handleBounds?.[kind] ?? []) as Handle[];
  const handle = (handleId ? handles.find((h) => h.id === handleId) : handles[0]) ?? handles[0];
  const at = node.internals.positionAbsolute;
  if (!handle) {
    const w = node.measured.width ?? 0;
    const h = node.measured.height ?? 0;
    return kind === 'source' ? { x: at.x + w, y: at.y + h / 2, position: Position.Right } : { x: at.x, y: at.y + h / 2, position: Position.Left };
  }
  const right = handle.position === Position.Right;
  return { x: at.x + handle.x + (right ? handle.width : 0), y: at.y + handle.y + handle.height / 2, position: handle.position };
}

/** The `d` of one edge's path, from React Flow's measured node internals. */
export function farEdgePath(edge: FlowEdge, source: InternalNode<FlowNode> | undefined, target: InternalNode<FlowNode> | undefined): string {
  const from = anchor(source, 'source', edge.sourceHandle);
  const to = anchor(target, 'target', edge.targetHandle);
  if (!from || !to) return '';
  const [d] = getBezierPath({ sourceX: from.x, sourceY: from.y, sourcePosition: from.position, targetX: to.x, targetY: to.y, targetPosition: to.position });
  return d;
}

/** One edge; re-drawn only when one of its two nodes changed (React Flow replaces a moved node's internals). */
const FarEdge = memo(function FarEdge({ edge, source, target }: { edge: FlowEdge; source: InternalNode<FlowNode> | undefined; target: InternalNode<FlowNode> | undefined }) {
  return <path d={farEdgePath(edge, source, target)} />;
});

function FarEdgesView({ edges }: { edges: FlowEdge[] }) {
  // re-drawn after React Flow has taken new node positions (its `nodes` changes then)
  useStore((s) => s.nodes);
  const lookup = useStoreApi<FlowNode, FlowEdge>().getState().nodeLookup;
  return (
    <ViewportPortal>
      <svg className="far-edges" data-testid="far-edges" data-edges={edges.length}>
        {edges.map((e) => (
          <FarEdge key={e.id} edge={e} source={lookup.get(e.source)} target={lookup.get(e.target)} />
        ))}
      </svg>
    </ViewportPortal>
  );
}

export const FarEdges = memo(FarEdgesView);
