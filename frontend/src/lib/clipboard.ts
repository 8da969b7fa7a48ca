/** Copy, paste and duplicate of a selection: pasted nodes get fresh ids, edges follow them. */
import { isEndNode, newEndId, newNodeId, type FlowEdge, type FlowNode } from './spec';

export interface Clip {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** The selected nodes and the edges whose both ends are selected. */
export function copySelection(nodes: FlowNode[], edges: FlowEdge[]): Clip | null {
  const picked = nodes.filter((n) => n.selected);
  if (!picked.length) return null;
  const ids = new Set(picked.map((n) => n.id));
  return {
    nodes: picked.map((n) => structuredClone(stripUi(n))),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => structuredClone(stripUi(e))),
  };
}

function stripUi<T extends { selected?: boolean; dragging?: boolean }>(item: T): T {
  const { selected: _s, dragging: _d, ...rest } = item;
  return rest as T;
}

/**
 * The clip as new nodes and edges: ids unique among `taken`, positions shifted by
 * `offset`, the pasted items selected (and only they, once merged by the caller).
 */
export function pasteClip(clip: Clip, taken: Iterable<string>, offset = { x: 40, y: 40 }): Clip {
  const used = new Set(taken);
  const ids = new Map<string, string>();
  const nodes = clip.nodes.map((node) => {
    const id = isEndNode(node.id) ? newEndId(used) : newNodeId(node.data.type, used);
    used.add(id);
    ids.set(node.id, id);
    return {
      ...structuredClone(node),
      id,
      selected: true,
      position: { x: node.position.x + offset.x, y: node.position.y + offset.y },
    };
  });
  const joins = new Map<string, string>();
  const edges = clip.edges.map((edge) => {
    const source = ids.get(edge.source)!;
    const target = ids.get(edge.target)!;
    const copy: FlowEdge = { ...structuredClone(edge), source, target, selected: false };
    const join = edge.data?.join;
    if (join) {
      if (!joins.has(join)) joins.set(join, `${join}-${source}`);
      copy.data = { ...copy.data, join: joins.get(join)! };
      copy.id = `${joins.get(join)!}:${source}->${target}`;
    } else {
      copy.id = `e:${source}:${edge.sourceHandle ?? ''}->${target}`;
    }
    return copy;
  });
  return { nodes, edges };
}
