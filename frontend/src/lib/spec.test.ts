import { describe, expect, it } from 'vitest';
import type { WorkflowSpec } from '../api/types';
import { IF_ELSE_SPEC } from '../test/fixtures';
import { flowToSpec, layout, newNodeId, SCRIPT_NODE, scriptToFlow, specToFlow } from './spec';

describe('spec <-> flow', () => {
  it('round-trips a workflow with an If/Else, labels, retry and state', () => {
    const graph = specToFlow(IF_ELSE_SPEC);
    expect(graph.nodes.map((n) => n.id)).toEqual(['start', 'check', 'big', 'small']);
    expect(flowToSpec(graph)).toEqual(IF_ELSE_SPEC);
  });

  it('draws each route as an edge leaving the handle named after the route', () => {
    const { edges, nodes } = specToFlow(IF_ELSE_SPEC);
    const routes = edges.filter((e) => e.source === 'check').map((e) => [e.sourceHandle, e.target]);
    expect(routes).toEqual([
      ['true', 'big'],
      ['false', 'small'],
    ]);
    expect(nodes.find((n) => n.id === 'check')?.data.router).toBe(true);
  });

  it('turns __end__ targets into virtual end nodes and back', () => {
    const spec: WorkflowSpec = {
      name: 'w',
      nodes: [
        { id: 'a', type: 'if_else', config: {}, ui: { position: { x: 0, y: 0 } } },
        { id: 'b', type: 'debug', config: {}, ui: { position: { x: 100, y: 0 } } },
      ],
      edges: [{ kind: 'conditional', source: 'a', routes: { true: 'b', false: '__end__' } }],
    };
    const graph = specToFlow(spec);
    const end = graph.nodes.find((n) => n.type === 'end');
    expect(end?.id).toBe('end:1');
    expect(graph.edges.find((e) => e.sourceHandle === 'false')?.target).toBe('end:1');
    const back = flowToSpec(graph);
    expect(back.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(back.edges).toEqual(spec.edges);
  });

  it('keeps join edges and a conditional default', () => {
    const spec: WorkflowSpec = {
      name: 'w',
      nodes: ['a', 'b', 'c', 's'].map((id, i) => ({ id, type: id === 's' ? 'switch' : 'debug', config: {}, ui: { position: { x: i, y: 0 } } })),
      edges: [
        { kind: 'join', sources: ['a', 'b'], target: 'c' },
        { kind: 'conditional', source: 's', routes: { x: 'a' }, default: 'b' },
      ],
    };
    expect(flowToSpec(specToFlow(spec))).toEqual(spec);
  });

  it('accepts edges written without kind and lays out nodes saved without a position', () => {
    const spec: WorkflowSpec = {
      name: 'w',
      nodes: [
        { id: 'a', type: 'debug' },
        { id: 'b', type: 'debug' },
      ],
      edges: [{ source: 'a', target: 'b' }],
    };
    const graph = specToFlow(spec);
    expect(graph.nodes.map((n) => n.position)).toEqual([
      { x: 0, y: 0 },
      { x: 260, y: 0 },
    ]);
    expect(flowToSpec(graph).edges).toEqual([{ kind: 'static', source: 'a', target: 'b' }]);
    expect(layout(spec).get('b')).toEqual({ x: 260, y: 0 });
  });

  it('drops an entry that points at a deleted node', () => {
    const graph = specToFlow({ ...IF_ELSE_SPEC, entry: 'start' });
    graph.nodes = graph.nodes.filter((n) => n.id !== 'start');
    expect(flowToSpec(graph).entry).toBeUndefined();
  });

  it('makes node ids that are valid and unique', () => {
    expect(newNodeId('if_else', [])).toBe('if_else');
    expect(newNodeId('if_else', ['if_else', 'if_else_2'])).toBe('if_else_3');
    expect(newNodeId('9 lives', [])).toBe('n_9_lives');
  });
});

describe('script versions', () => {
  // The shape functions' sandbox extracts from a LangGraph script (ScriptGraph).
  const graph = {
    nodes: [{ id: 'classify' }, { id: 'refund', ends: ['notify'] }, { id: 'reply' }, { id: 'notify' }],
    edges: [
      { source: '__start__', target: 'classify' },
      { source: 'reply', target: '__end__' },
      { source: 'notify', target: '__end__' },
    ],
    routes: [{ source: 'classify', name: 'route', targets: ['refund', 'reply'], path_map: { money: 'refund', other: 'reply' } }],
    entry: ['classify'],
    finish: ['notify', 'reply'],
    state: ['ticket', 'answer'],
  };

  it('draws nodes, routes by label, Command ends and one End node', () => {
    const flow = scriptToFlow(graph, 'support');
    expect(flow.nodes.map((n) => n.id)).toEqual(['classify', 'refund', 'reply', 'notify', 'end:1']);
    expect(flow.nodes[0]!.data).toMatchObject({ type: SCRIPT_NODE, router: true });
    expect(flow.edges.map((e) => [e.source, e.sourceHandle ?? null, e.target])).toEqual([
      ['reply', null, 'end:1'],
      ['notify', null, 'end:1'],
      ['classify', 'money', 'refund'],
      ['classify', 'other', 'reply'],
      ['refund', null, 'notify'],
    ]);
    expect(flow.edges.at(-1)!.className).toBe('command-edge');
    expect(Object.keys(flow.meta.state ?? {})).toEqual(['ticket', 'answer']);
    // laid out left to right along the routes
    expect(flow.nodes[1]!.position.x).toBeGreaterThan(flow.nodes[0]!.position.x);
  });

  it('uses the targets as handles when the script has no path map', () => {
    const flow = scriptToFlow({ nodes: [{ id: 'a' }, { id: 'b' }], routes: [{ source: 'a', targets: ['b', '__end__'], path_map: null }] });
    expect(flow.edges.map((e) => e.sourceHandle)).toEqual(['b', '__end__']);
  });
});
