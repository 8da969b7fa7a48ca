import { describe, expect, it } from 'vitest';
import type { Version } from '../api/types';
import { IF_ELSE_SPEC, SET_VARIABLE_TYPE, SWITCH_TYPE } from '../test/fixtures';
import { createEditorStore } from './editor';

const version: Version = { workflow_id: 'w', number: 1, kind: 'spec', spec: IF_ELSE_SPEC, note: '', created_at: 0 };

function loaded() {
  const store = createEditorStore();
  store.getState().load(null, version);
  return store;
}

describe('editor store', () => {
  it('loads a version clean and becomes dirty on a change', () => {
    const store = loaded();
    expect(store.getState().isDirty()).toBe(false);
    expect(store.getState().spec()).toEqual(IF_ELSE_SPEC);
    store.getState().addNode(SET_VARIABLE_TYPE, { x: 0, y: 300 });
    expect(store.getState().isDirty()).toBe(true);
    expect(store.getState().spec().nodes.at(-1)).toMatchObject({ id: 'set_variable', config: { values: {} } });
  });

  it('makes one drag one undo step', () => {
    const store = loaded();
    const s = store.getState();
    s.beginDrag();
    for (let x = 1; x <= 20; x += 1) {
      store.getState().onNodesChange([{ type: 'position', id: 'start', position: { x, y: 0 }, dragging: true }]);
    }
    store.getState().endDrag();
    expect(store.getState().nodes[0]!.position.x).toBe(20);
    store.getState().undo();
    expect(store.getState().nodes[0]!.position.x).toBe(0);
    expect(store.getState().canUndo()).toBe(false);
    store.getState().redo();
    expect(store.getState().nodes[0]!.position.x).toBe(20);
  });

  it('makes typing in one field one step, selection changes none', () => {
    const store = loaded();
    for (const text of ['b', 'bi', 'big']) store.getState().updateConfig('big', { values: { size: text } }, 'values');
    store.getState().onNodesChange([{ type: 'select', id: 'big', selected: true }]);
    expect(store.getState().history.past.length).toBe(1);
    store.getState().undo();
    expect(store.getState().nodes.find((n) => n.id === 'big')!.data.config).toEqual({ values: { size: 'big' } });
  });

  it('pastes as one step with new ids; duplicate too; delete removes attached edges', () => {
    const store = loaded();
    store.getState().selectOnly(['check', 'big']);
    expect(store.getState().copy()).toBe(true);
    store.getState().paste();
    const ids = store.getState().nodes.map((n) => n.id);
    expect(ids).toEqual(['start', 'check', 'big', 'small', 'if_else', 'set_variable']);
    expect(store.getState().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['if_else', 'set_variable']);
    store.getState().undo();
    expect(store.getState().nodes.length).toBe(4);
    store.getState().redo();
    store.getState().duplicate();
    expect(store.getState().nodes.length).toBe(8);
    store.getState().selectOnly(['check']);
    store.getState().deleteSelected();
    expect(store.getState().edges.some((e) => e.source === 'check' || e.target === 'check')).toBe(false);
    store.getState().undo();
    expect(store.getState().edges.filter((e) => e.source === 'check').length).toBe(2);
  });

  it('connects a route to one target: drawing it again moves it', () => {
    const store = loaded();
    store.getState().onConnect({ source: 'check', sourceHandle: 'true', target: 'small', targetHandle: null });
    const routes = store.getState().spec().edges.find((e) => 'routes' in e);
    expect(routes).toEqual({ kind: 'conditional', source: 'check', routes: { true: 'small', false: 'small' } });
    store.getState().onConnect({ source: 'check', sourceHandle: null, target: 'check', targetHandle: null });
    expect(store.getState().history.past.length).toBe(1);
  });

  it('drops the edge of a Switch case that was removed from its config', () => {
    const store = createEditorStore();
    store.getState().load(null, null);
    store.getState().addNode(SWITCH_TYPE, { x: 0, y: 0 });
    store.getState().addNode(SET_VARIABLE_TYPE, { x: 200, y: 0 });
    store.getState().updateConfig('switch', { cases: [{ label: 'vip' }] });
    store.getState().onConnect({ source: 'switch', sourceHandle: 'vip', target: 'set_variable', targetHandle: null });
    store.getState().onConnect({ source: 'switch', sourceHandle: 'default', target: 'set_variable', targetHandle: null });
    store.getState().updateConfig('switch', { cases: [] });
    expect(store.getState().edges.map((e) => e.sourceHandle)).toEqual(['default']);
  });

  it('pins server problems to nodes and clears them on save', () => {
    const store = loaded();
    store.getState().setProblems([{ loc: 'nodes[big].config.values', message: 'Field required' }], IF_ELSE_SPEC);
    expect(store.getState().issues.byNode['big']).toEqual([{ field: 'values', message: 'Field required' }]);
    store.getState().markSaved({ ...version, number: 2 });
    expect(store.getState().issues.byNode).toEqual({});
    expect(store.getState().baseVersion).toBe(2);
  });

  it('folds run events for the run being watched only', () => {
    const store = loaded();
    store.getState().startRun('r1');
    const base = { workflow_id: 'w', attempt: 1, ts: 1 };
    store.getState().applyRunEvent({ ...base, run_id: 'r1', seq: 1, type: 'node.started', node: 'start', data: {} });
    store.getState().applyRunEvent({ ...base, run_id: 'other', seq: 2, type: 'node.succeeded', node: 'start', data: {} });
    expect(store.getState().run!.nodes['start']!.status).toBe('running');
  });
});

describe('a script version on the canvas', () => {
  const script: Version = {
    workflow_id: 'w',
    number: 3,
    kind: 'script',
    spec: { nodes: [{ id: 'a' }, { id: 'b' }], edges: [{ source: 'a', target: 'b' }] } as unknown as Version['spec'],
    source: 'graph = ...',
    note: '',
    created_at: 0,
  };

  it('is drawn read-only: nodes move, nothing else changes, never dirty', () => {
    const store = createEditorStore();
    store.getState().load(null, script);
    expect(store.getState().scriptSource).toBe('graph = ...');
    expect(store.getState().nodes.map((n) => n.id)).toEqual(['a', 'b']);
    store.getState().addNode(SET_VARIABLE_TYPE, { x: 0, y: 0 });
    store.getState().selectOnly(['a']);
    store.getState().deleteSelected();
    expect(store.getState().nodes.length).toBe(2);
    store.getState().beginDrag();
    store.getState().onNodesChange([{ type: 'position', id: 'a', position: { x: 50, y: 50 }, dragging: true }]);
    expect(store.getState().nodes[0]!.position).toEqual({ x: 50, y: 50 });
    expect(store.getState().isDirty()).toBe(false);
  });
});
