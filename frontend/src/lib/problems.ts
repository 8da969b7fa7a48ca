/**
 * Server spec problems (422 `invalid_spec`, `details.problems[].loc`) pinned to the
 * node and config field they are about.
 *
 * `nodes[http1].config.url`         -> node http1, field `url`
 * `nodes[check].config.conditions[0].left` -> node check, field `conditions.0.left`
 * `nodes[http1].timeout`            -> node http1, field `@timeout` (not a config field)
 * `edges[1].routes.true`            -> the edge's source node, field `@routes.true`
 * anything else (`name`, `state...`) -> a workflow-level message
 */
import type { EdgeSpec, Problem, WorkflowSpec } from '../api/types';

export interface NodeIssue {
  field: string;
  message: string;
}

export interface MappedProblems {
  byNode: Record<string, NodeIssue[]>;
  general: string[];
}

const NODE_LOC = /^nodes\[([^\]]+)\](.*)$/;
const EDGE_LOC = /^edges\[(\d+)\](.*)$/;

/** `.conditions[0].left` -> `conditions.0.left` */
export function dottedPath(rest: string): string {
  return rest
    .replace(/\[([^\]]+)\]/g, '.$1')
    .replace(/^\./, '');
}

function edgeOwner(edge: EdgeSpec | undefined): string | null {
  if (!edge) return null;
  if ('source' in edge && typeof edge.source === 'string') return edge.source;
  if ('target' in edge && typeof edge.target === 'string') return edge.target;
  return null;
}

function describe(problem: Problem): string {
  return problem.hint ? `${problem.message} (${problem.hint})` : problem.message;
}

export function mapProblems(problems: Problem[], spec: WorkflowSpec): MappedProblems {
  const byNode: Record<string, NodeIssue[]> = {};
  const general: string[] = [];
  const ids = new Set(spec.nodes.map((n) => n.id));
  const add = (node: string, field: string, message: string) => {
    (byNode[node] ??= []).push({ field, message });
  };
  for (const problem of problems) {
    const loc = problem.loc ?? '';
    const node = NODE_LOC.exec(loc);
    if (node) {
      let id = node[1]!;
      if (!ids.has(id) && /^\d+$/.test(id)) id = spec.nodes[Number(id)]?.id ?? id;
      const rest = dottedPath(node[2] ?? '');
      if (ids.has(id)) {
        const field = rest.startsWith('config.') ? rest.slice(7) : rest === 'config' ? '' : `@${rest}`;
        add(id, field, describe(problem));
        continue;
      }
    }
    const edge = EDGE_LOC.exec(loc);
    if (edge) {
      const owner = edgeOwner(spec.edges[Number(edge[1])]);
      if (owner && ids.has(owner)) {
        add(owner, `@edges${edge[2] ? `.${dottedPath(edge[2])}` : ''}`, describe(problem));
        continue;
      }
    }
    general.push(loc ? `${loc}: ${describe(problem)}` : describe(problem));
  }
  return { byNode, general };
}

/** Issues of one node for one form field (exact path). */
export function issuesFor(issues: NodeIssue[] | undefined, field: string): string[] {
  return (issues ?? []).filter((i) => i.field === field).map((i) => i.message);
}
