/**
 * "Tidy up": positions for every node from ELK's layered algorithm, left to right,
 * routes kept in handle order. ELK (~1.4 MB) is imported on first use, so neither the
 * list page nor the editor pays for it until someone asks.
 */
import type { Position } from '../api/types';
import type { FlowEdge, FlowNode } from './spec';

const DEFAULT_SIZE = { width: 190, height: 60 };

export async function autoLayout(
  nodes: Pick<FlowNode, 'id' | 'measured'>[],
  edges: Pick<FlowEdge, 'id' | 'source' | 'target' | 'sourceHandle'>[],
): Promise<Map<string, Position>> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const ids = new Set(nodes.map((n) => n.id));
  const graph = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.spacing.nodeNode': '40',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: nodes.map((n) => ({
      id: n.id,
      width: n.measured?.width ?? DEFAULT_SIZE.width,
      height: n.measured?.height ?? DEFAULT_SIZE.height,
    })),
    edges: edges
      .filter((e) => ids.has(e.source) && ids.has(e.target) && e.source !== e.target)
      .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const out = new Map<string, Position>();
  for (const child of graph.children ?? []) {
    out.set(child.id, { x: Math.round((child.x ?? 0) / 20) * 20, y: Math.round((child.y ?? 0) / 20) * 20 });
  }
  return out;
}
