import { describe, expect, it } from 'vitest';
import { IF_ELSE_SPEC } from '../test/fixtures';
import { copySelection, pasteClip } from './clipboard';
import { flowToSpec, specToFlow } from './spec';

describe('copy and paste', () => {
  const graph = specToFlow(IF_ELSE_SPEC);
  const selected = graph.nodes.map((n) => ({ ...n, selected: ['check', 'big'].includes(n.id) }));

  it('copies the selected nodes and only the edges between them', () => {
    const clip = copySelection(selected, graph.edges)!;
    expect(clip.nodes.map((n) => n.id)).toEqual(['check', 'big']);
    expect(clip.edges.map((e) => [e.source, e.sourceHandle, e.target])).toEqual([['check', 'true', 'big']]);
    expect(copySelection(graph.nodes, graph.edges)).toBeNull();
  });

  it('pastes with new ids, remapped edges and an offset, leaving the original alone', () => {
    const clip = copySelection(selected, graph.edges)!;
    const taken = graph.nodes.map((n) => n.id);
    const pasted = pasteClip(clip, taken, { x: 40, y: 40 });
    expect(pasted.nodes.map((n) => n.id)).toEqual(['if_else', 'set_variable']);
    expect(pasted.nodes.every((n) => n.selected)).toBe(true);
    expect(pasted.nodes[0]!.position).toEqual({ x: 300, y: 40 });
    expect(pasted.edges.map((e) => [e.source, e.sourceHandle, e.target])).toEqual([['if_else', 'true', 'set_variable']]);
    // the pasted config is a copy, not shared
    pasted.nodes[0]!.data.config['combine'] = 'any';
    expect(graph.nodes[1]!.data.config['combine']).toBeUndefined();
    // and the whole graph still makes a valid spec: the pasted router keeps its route
    const spec = flowToSpec({ nodes: [...graph.nodes, ...pasted.nodes], edges: [...graph.edges, ...pasted.edges], meta: graph.meta });
    expect(spec.edges).toContainEqual({ kind: 'conditional', source: 'if_else', routes: { true: 'set_variable' } });
  });

  it('pastes twice without clashing', () => {
    const clip = copySelection(selected, graph.edges)!;
    const first = pasteClip(clip, graph.nodes.map((n) => n.id));
    const second = pasteClip(clip, [...graph.nodes, ...first.nodes].map((n) => n.id));
    const ids = [...graph.nodes, ...first.nodes, ...second.nodes].map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
