import { describe, expect, it } from 'vitest';
import type { Problem, WorkflowSpec } from '../api/types';
import { dottedPath, issuesFor, mapProblems } from './problems';

const spec: WorkflowSpec = {
  name: 'w',
  nodes: [
    { id: 'a', type: 'http_request', config: { method: 'XX' } },
    { id: 'b', type: 'if_else', config: {} },
  ],
  edges: [
    { source: 'a', target: 'b' },
    { source: 'b', routes: { true: 'zz' } },
  ],
};

// What the server answered for this spec (captured from POST /versions, 422 invalid_spec).
const problems: Problem[] = [
  { loc: 'nodes[a].config.method', message: "Input should be 'GET', 'POST'", code: 'invalid' },
  { loc: 'nodes[a].config.url', message: 'Field required', code: 'invalid' },
  { loc: 'edges[1].routes.true', message: "no node 'zz'", code: 'dangling_edge' },
  { loc: 'edges[1].routes', message: "route 'false' of node 'b' has no target", hint: 'add `false` to routes, or set `default`' },
  { loc: 'nodes[b].config.conditions[0].left', message: 'bad template' },
  { loc: 'nodes[1].timeout', message: 'must be > 0' },
  { loc: 'name', message: 'String should have at least 1 character' },
];

describe('server problems -> node and field', () => {
  const mapped = mapProblems(problems, spec);

  it('pins config problems to the node and the config field', () => {
    expect(issuesFor(mapped.byNode['a'], 'method')).toEqual(["Input should be 'GET', 'POST'"]);
    expect(issuesFor(mapped.byNode['a'], 'url')).toEqual(['Field required']);
    expect(issuesFor(mapped.byNode['b'], 'conditions.0.left')).toEqual(['bad template']);
  });

  it('pins edge problems to the edge source and node-level fields by index', () => {
    expect(mapped.byNode['b']!.map((i) => i.field)).toEqual([
      '@edges.routes.true',
      '@edges.routes',
      'conditions.0.left',
      '@timeout',
    ]);
    expect(mapped.byNode['b']![1]!.message).toContain('add `false` to routes');
  });

  it('keeps workflow-level problems apart', () => {
    expect(mapped.general).toEqual(['name: String should have at least 1 character']);
  });

  it('reads pydantic list locations as dotted paths', () => {
    expect(dottedPath('.config.cases[2].label')).toBe('config.cases.2.label');
  });
});
