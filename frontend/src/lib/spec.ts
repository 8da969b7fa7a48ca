/**
 * WorkflowSpec <-> React Flow nodes and edges. Pure functions: the store and the tests
 * use them, nothing here touches React.
 *
 * - A spec node becomes a React Flow node of type `orcheo` (id = spec id).
 * - A static edge becomes one edge; a conditional edge one edge per route, leaving the
 *   router from the handle named after the route label; a join edge one edge per source
 *   sharing `data.join`.
 * - `__end__` targets become virtual `end` nodes (ids `end:<n>`, never saved as nodes),
 *   so a route that ends the run can be drawn.
 * - Everything the canvas does not edit (state, triggers, settings, retry, credentials,
 *   ...) is carried through unchanged.
 */
import type { Edge, Node } from '@xyflow/react';
import type {
  ConditionalEdgeSpec,
  EdgeSpec,
  JoinEdgeSpec,
  JsonObject,
  NodeSpec,
  Position,
  StaticEdgeSpec,
  WorkflowSpec,
} from '../api/types';
import { KNOWN_ROUTERS, routeLabels } from './routes';

export const END = '__end__';
export const END_PREFIX = 'end:';

export type NodeExtra = Omit<NodeSpec, 'id' | 'type' | 'config' | 'ui'>;

export interface OrcheoNodeData extends Record<string, unknown> {
  type: string;
  config: JsonObject;
  label?: string;
  extra?: NodeExtra;
  router?: boolean;
}

export type FlowNode = Node<OrcheoNodeData>;

export interface FlowEdgeData extends Record<string, unknown> {
  join?: string;
}
export type FlowEdge = Edge<FlowEdgeData>;

/** The parts of the spec that are not nodes and edges, kept as they were loaded. */
export type SpecMeta = Omit<WorkflowSpec, 'nodes' | 'edges'>;

export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
  meta: SpecMeta;
}

export function isEndNode(id: string): boolean {
  return id.startsWith(END_PREFIX);
}

function isEndTarget(target: string): boolean {
  return target === END || target === 'END';
}

export function edgeKind(edge: EdgeSpec): 'static' | 'conditional' | 'join' {
  if (edge.kind) return edge.kind;
  if ('routes' in edge) return 'conditional';
  if ('sources' in edge) return 'join';
  return 'static';
}

export function edgeId(source: string, handle: string | null | undefined, target: string): string {
  return `e:${source}:${handle ?? ''}->${target}`;
}

export function specToFlow(spec: WorkflowSpec, isRouter: (type: string) => boolean = defaultIsRouter): FlowGraph {
  const { nodes: specNodes, edges: specEdges, ...meta } = spec;
  const nodes: FlowNode[] = [];
  const edges: FlowEdge[] = [];
  const positions = layout(spec);
  for (const node of specNodes ?? []) {
    const { id, type, config, ui, ...extra } = node;
    const data: OrcheoNodeData = { type, config: config ?? {} };
    if (ui?.label) data.label = ui.label;
    if (Object.keys(extra).length) data.extra = extra;
    if (isRouter(type)) data.router = true;
    nodes.push({
      id,
      type: 'orcheo',
      position: ui?.position ?? positions.get(id) ?? { x: 0, y: 0 },
      data,
    });
  }
  let ends = 0;
  const endNode = (near: string): string => {
    ends += 1;
    const id = `${END_PREFIX}${ends}`;
    const from = nodes.find((n) => n.id === near)?.position ?? { x: 0, y: 0 };
    nodes.push({ id, type: 'end', position: { x: from.x + 260, y: from.y + 60 * ends }, data: { type: END, config: {} } });
    return id;
  };
  let joins = 0;
  for (const edge of specEdges ?? []) {
    const kind = edgeKind(edge);
    if (kind === 'static') {
      const { source, target } = edge as StaticEdgeSpec;
      const to = isEndTarget(target) ? endNode(source) : target;
      edges.push({ id: edgeId(source, null, to), source, target: to });
    } else if (kind === 'conditional') {
      const cond = edge as ConditionalEdgeSpec;
      const router = nodes.find((n) => n.id === cond.source);
      if (router) router.data = { ...router.data, router: true };
      for (const [label, target] of Object.entries(cond.routes)) {
        const to = isEndTarget(target) ? endNode(cond.source) : target;
        edges.push({ id: edgeId(cond.source, label, to), source: cond.source, sourceHandle: label, target: to });
      }
      if (cond.default && router) {
        router.data = { ...router.data, extra: { ...router.data.extra, routeDefault: cond.default } as NodeExtra };
      }
    } else {
      const join = edge as JoinEdgeSpec;
      joins += 1;
      const group = `join${joins}`;
      for (const source of join.sources) {
        edges.push({ id: `${group}:${source}->${join.target}`, source, target: join.target, data: { join: group } });
      }
    }
  }
  return { nodes, edges, meta };
}

export function defaultIsRouter(type: string): boolean {
  return KNOWN_ROUTERS.has(type);
}

export function flowToSpec(graph: FlowGraph): WorkflowSpec {
  const { nodes, edges, meta } = graph;
  const specNodes: NodeSpec[] = [];
  const routers = new Set<string>();
  const defaults = new Map<string, string>();
  for (const node of nodes) {
    if (isEndNode(node.id) || node.type === 'end') continue;
    const { type, config, label, extra, router } = node.data;
    const { routeDefault, ...rest } = (extra ?? {}) as NodeExtra & { routeDefault?: string };
    if (router || routeLabels(type, config) !== null) routers.add(node.id);
    if (routeDefault) defaults.set(node.id, routeDefault);
    const ui: NonNullable<NodeSpec['ui']> = { position: roundPosition(node.position) };
    if (label) ui.label = label;
    specNodes.push({ id: node.id, type, config, ...rest, ui });
  }
  const target = (id: string) => (isEndNode(id) ? END : id);
  const specEdges: EdgeSpec[] = [];
  const conditional = new Map<string, ConditionalEdgeSpec>();
  const joins = new Map<string, JoinEdgeSpec>();
  for (const edge of edges) {
    const join = edge.data?.join;
    if (join) {
      const existing = joins.get(join);
      if (existing) existing.sources.push(edge.source);
      else {
        const spec: JoinEdgeSpec = { kind: 'join', sources: [edge.source], target: target(edge.target) };
        joins.set(join, spec);
        specEdges.push(spec);
      }
    } else if (routers.has(edge.source) && edge.sourceHandle) {
      let cond = conditional.get(edge.source);
      if (!cond) {
        cond = { kind: 'conditional', source: edge.source, routes: {} };
        const def = defaults.get(edge.source);
        if (def) cond.default = def;
        conditional.set(edge.source, cond);
        specEdges.push(cond);
      }
      cond.routes[edge.sourceHandle] = target(edge.target);
    } else {
      specEdges.push({ kind: 'static', source: edge.source, target: target(edge.target) });
    }
  }
  const spec: WorkflowSpec = { ...meta, name: meta.name || 'untitled', nodes: specNodes, edges: specEdges };
  if (spec.entry && !specNodes.some((n) => n.id === spec.entry)) delete spec.entry;
  return spec;
}

function roundPosition(position: Position): Position {
  return { x: Math.round(position.x), y: Math.round(position.y) };
}

/** Positions for nodes saved without one (e.g. a spec written by hand): layers left to right. */
export function layout(spec: WorkflowSpec): Map<string, Position> {
  const ids = (spec.nodes ?? []).map((n) => n.id);
  const next = new Map<string, string[]>(ids.map((id) => [id, []]));
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  const link = (a: string, b: string) => {
    if (!next.has(a) || !next.has(b)) return;
    next.get(a)!.push(b);
    indegree.set(b, (indegree.get(b) ?? 0) + 1);
  };
  for (const edge of spec.edges ?? []) {
    const kind = edgeKind(edge);
    if (kind === 'static') link((edge as StaticEdgeSpec).source, (edge as StaticEdgeSpec).target);
    else if (kind === 'conditional') {
      const c = edge as ConditionalEdgeSpec;
      Object.values(c.routes).forEach((t) => link(c.source, t));
    } else {
      const j = edge as JoinEdgeSpec;
      j.sources.forEach((s) => link(s, j.target));
    }
  }
  const layer = new Map<string, number>();
  const queue = ids.filter((id) => (indegree.get(id) ?? 0) === 0);
  if (spec.entry && !queue.includes(spec.entry) && next.has(spec.entry)) queue.unshift(spec.entry);
  queue.forEach((id) => layer.set(id, 0));
  while (queue.length) {
    const id = queue.shift()!;
    for (const to of next.get(id) ?? []) {
      if (!layer.has(to)) {
        layer.set(to, (layer.get(id) ?? 0) + 1);
        queue.push(to);
      }
    }
  }
  const rows = new Map<number, number>();
  const out = new Map<string, Position>();
  for (const id of ids) {
    const col = layer.get(id) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    out.set(id, { x: col * 260, y: row * 140 });
  }
  return out;
}

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** A fresh node id derived from the type: `if_else`, `if_else_2`, ... */
export function newNodeId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  let base = type.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 56) || 'node';
  if (!ID_PATTERN.test(base)) base = `n_${base}`;
  if (!used.has(base)) return base;
  for (let i = 2; ; i += 1) {
    const id = `${base}_${i}`;
    if (!used.has(id)) return id;
  }
}

export function newEndId(taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let i = 1; ; i += 1) {
    const id = `${END_PREFIX}${i}`;
    if (!used.has(id)) return id;
  }
}

export function isValidNodeId(id: string): boolean {
  return ID_PATTERN.test(id);
}

// ------------------------------------------------------------------ script versions

/** A LangGraph script version's graph as the server extracts it (VersionOut.spec of a `script`). */
export interface ScriptGraph {
  nodes?: { id: string; ends?: string[] }[];
  edges?: { source: string; target: string; join?: boolean }[];
  routes?: { source: string; name?: string; targets?: string[] | null; path_map?: Record<string, string> | null }[];
  entry?: string[];
  finish?: string[];
  state?: string[];
}

/** Node type of a node defined in Python: drawn, run and watched, but edited in code. */
export const SCRIPT_NODE = '__script__';
const START = '__start__';

/**
 * A script's graph, drawn read-only: its nodes, static and join edges, conditional
 * routes (one handle per path-map label, or per possible target when the script names
 * them without a map) and `Command` destinations (dashed). `__end__` becomes one End node.
 */
export function scriptToFlow(graph: ScriptGraph, name = 'script'): FlowGraph {
  const ids = (graph.nodes ?? []).map((n) => n.id).filter((id) => id !== START && !isEndTarget(id));
  const known = new Set(ids);
  const drawn: StaticEdgeSpec[] = [];
  const edges: FlowEdge[] = [];
  let end: string | null = null;
  const target = (t: string): string | null => {
    if (isEndTarget(t)) return (end ??= `${END_PREFIX}1`);
    return known.has(t) ? t : null;
  };
  const add = (source: string, t: string, handle: string | null, extra: Partial<FlowEdge> = {}) => {
    const to = target(t);
    if (!known.has(source) || !to) return;
    const id = `${edgeId(source, handle, to)}${extra.className ? ':cmd' : ''}`;
    if (edges.some((e) => e.id === id)) return;
    edges.push({ id, source, target: to, ...(handle ? { sourceHandle: handle } : {}), ...extra });
    if (known.has(to)) drawn.push({ source, target: to });
  };
  for (const e of graph.edges ?? []) add(e.source, e.target, null, e.join ? { data: { join: `join:${e.target}` } } : {});
  const routers = new Set<string>();
  for (const r of graph.routes ?? []) {
    const pairs = r.path_map ? Object.entries(r.path_map) : (r.targets ?? []).map((t) => [t, t] as [string, string]);
    for (const [label, t] of pairs) {
      add(r.source, t, label);
      routers.add(r.source);
    }
  }
  for (const n of graph.nodes ?? []) {
    for (const t of n.ends ?? []) add(n.id, t, null, { className: 'command-edge', animated: false });
  }
  const positions = layout({ name, nodes: ids.map((id) => ({ id, type: SCRIPT_NODE })), edges: drawn });
  const nodes: FlowNode[] = ids.map((id) => ({
    id,
    type: 'orcheo',
    position: positions.get(id) ?? { x: 0, y: 0 },
    data: { type: SCRIPT_NODE, config: {}, ...(routers.has(id) ? { router: true } : {}) },
  }));
  if (end) {
    const right = Math.max(0, ...nodes.map((n) => n.position.x)) + 260;
    nodes.push({ id: end, type: 'end', position: { x: right, y: 0 }, data: { type: END, config: {} } });
  }
  const state = Object.fromEntries((graph.state ?? []).map((key) => [key, {}]));
  return { nodes, edges, meta: { name, state } };
}
