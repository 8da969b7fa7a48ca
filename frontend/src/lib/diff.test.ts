import { describe, expect, it } from 'vitest';
import type { WorkflowSpec } from '../api/types';
import { IF_ELSE_SPEC } from '../test/fixtures';
import { changedPaths, diffSpecs } from './diff';

describe('version diff', () => {
  it('lists nodes added, removed, changed (with paths) and moved, and edge changes', () => {
    const after: WorkflowSpec = structuredClone(IF_ELSE_SPEC);
    after.nodes = after.nodes.filter((n) => n.id !== 'small');
    after.nodes.push({ id: 'log', type: 'debug', config: {}, ui: { position: { x: 0, y: 0 } } });
    after.nodes[0]!.config = { values: { total: 1 } };
    after.nodes[1]!.ui = { position: { x: 999, y: 0 }, label: 'Big order?' };
    after.edges = [after.edges[0]!, { kind: 'conditional', source: 'check', routes: { true: 'big', false: 'log' } }];
    const diff = diffSpecs(IF_ELSE_SPEC, after);
    expect(diff.added).toEqual(['log']);
    expect(diff.removed).toEqual(['small']);
    expect(diff.changed).toEqual([{ id: 'start', paths: ['config.values.total'] }]);
    expect(diff.moved).toEqual(['check']);
    expect(diff.edgesAdded).toEqual(['check -[false]-> log']);
    expect(diff.edgesRemoved).toEqual(['check -[false]-> small']);
    expect(diff.summary).toBe('1 node added, 1 removed, 1 changed, 2 edge changes');
  });

  it('says so when nothing changed', () => {
    expect(diffSpecs(IF_ELSE_SPEC, structuredClone(IF_ELSE_SPEC)).summary).toBe('no changes');
  });

  it('reports a label change as a change', () => {
    expect(changedPaths({ label: 'a' }, { label: 'b' })).toEqual(['label']);
  });
});
