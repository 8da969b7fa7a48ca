/** Structural diff of two specs: what a user wants to know before restoring a version. */
import type { EdgeSpec, NodeSpec, WorkflowSpec } from '../api/types';
import { edgeKind } from './spec';

export interface NodeChange {
  id: string;
  paths: string[];
}

export interface SpecDiff {
  added: string[];
  removed: string[];
  changed: NodeChange[];
  moved: string[];
  edgesAdded: string[];
  edgesRemoved: string[];
  summary: string;
}

/** Paths under which `a` and `b` differ (`config.url`, `config.values.greeting`, ...). */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (Object.is(a, b)) return [];
  const objA = a !== null && typeof a === 'object';
  const objB = b !== null && typeof b === 'object';
  if (!objA || !objB || Array.isArray(a) !== Array.isArray(b)) return [prefix || '.'];
  if (Array.isArray(a) && Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '.'];
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  return keys.flatMap((k) => changedPaths(ra[k], rb[k], prefix ? `${prefix}.${k}` : k));
}

function comparable(node: NodeSpec): Omit<NodeSpec, 'ui'> & { label?: string | null } {
  const { ui, ...rest } = node;
  return { ...rest, config: rest.config ?? {}, label: ui?.label ?? null };
}

export function edgeKeys(edge: EdgeSpec): string[] {
  const kind = edgeKind(edge);
  if (kind === 'conditional' && 'routes' in edge) {
    return Object.entries(edge.routes).map(([label, target]) => `${edge.source} -[${label}]-> ${target}`);
  }
  if (kind === 'join' && 'sources' in edge) return [`${edge.sources.join(' + ')} -> ${edge.target}`];
  const s = edge as { source: string; target: string };
  return [`${s.source} -> ${s.target}`];
}

export function diffSpecs(before: WorkflowSpec, after: WorkflowSpec): SpecDiff {
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const added = [...now.keys()].filter((id) => !old.has(id));
  const removed = [...old.keys()].filter((id) => !now.has(id));
  const changed: NodeChange[] = [];
  const moved: string[] = [];
  for (const [id, node] of now) {
    const prev = old.get(id);
    if (!prev) continue;
    const paths = changedPaths(comparable(prev), comparable(node));
    if (paths.length) changed.push({ id, paths });
    const p = prev.ui?.position;
    const q = node.ui?.position;
    if ((p?.x ?? 0) !== (q?.x ?? 0) || (p?.y ?? 0) !== (q?.y ?? 0)) moved.push(id);
  }
  const ea = new Set(before.edges.flatMap(edgeKeys));
  const eb = new Set(after.edges.flatMap(edgeKeys));
  const edgesAdded = [...eb].filter((k) => !ea.has(k));
  const edgesRemoved = [...ea].filter((k) => !eb.has(k));
  const parts: string[] = [];
  if (added.length) parts.push(`${added.length} node${added.length > 1 ? 's' : ''} added`);
  if (removed.length) parts.push(`${removed.length} removed`);
  if (changed.length) parts.push(`${changed.length} changed`);
  if (edgesAdded.length || edgesRemoved.length) parts.push(`${edgesAdded.length + edgesRemoved.length} edge changes`);
  return { added, removed, changed, moved, edgesAdded, edgesRemoved, summary: parts.join(', ') || 'no changes' };
}
