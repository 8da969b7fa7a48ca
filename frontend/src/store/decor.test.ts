import { describe, expect, it } from 'vitest';
import type { Version } from '../api/types';
import { IF_ELSE_SPEC } from '../test/fixtures';
import { mirrorDecor } from './decor';
import { createEditorStore } from './editor';

const version: Version = { workflow_id: 'w', number: 1, kind: 'spec', spec: IF_ELSE_SPEC, note: '', created_at: 0 };

describe('decor store (what the nodes draw besides the graph)', () => {
  it('follows runs and problems but does not change while a node is dragged', () => {
    const editor = createEditorStore();
    editor.getState().load(null, version);
    const decor = mirrorDecor(editor);
    let changes = 0;
    decor.subscribe(() => (changes += 1));

    editor.getState().beginDrag();
    for (let x = 1; x <= 30; x += 1) editor.getState().onNodesChange([{ type: 'position', id: 'start', position: { x, y: 0 }, dragging: true }]);
    editor.getState().endDrag();
    expect(changes).toBe(0);

    editor.getState().startRun('r1');
    expect(decor.getState().run?.runId).toBe('r1');
    editor.getState().setProblems([{ loc: 'nodes[check].config.conditions', message: 'required' }], editor.getState().spec());
    expect(Object.keys(decor.getState().issues.byNode)).toEqual(['check']);
    expect(changes).toBe(2);
  });
});

describe('credential slots on nodes', () => {
  it('binds and unbinds a credential as one undoable step, saved in the spec', () => {
    const editor = createEditorStore();
    editor.getState().load(null, version);
    editor.getState().setCredential('start', 'auth', 'cred_1');
    expect(editor.getState().spec().nodes[0]!.credentials).toEqual({ auth: 'cred_1' });
    expect(editor.getState().isDirty()).toBe(true);
    editor.getState().setCredential('start', 'auth', null);
    expect(editor.getState().spec().nodes[0]).not.toHaveProperty('credentials');
    // the node's other extras (retry) are kept
    editor.getState().setCredential('small', 'auth', 'github');
    expect(editor.getState().spec().nodes[3]).toMatchObject({ retry: { max_attempts: 2 }, credentials: { auth: 'github' } });
    editor.getState().undo();
    expect(editor.getState().spec().nodes[3]!.credentials).toBeUndefined();
    expect(editor.getState().spec().nodes[3]!.retry).toEqual({ max_attempts: 2 });
  });
});
