/**
 * What is drawn on the nodes besides the graph (run status, server problems), mirrored
 * from the editor store into a store of its own. Every node subscribes to it; it changes
 * when a run event or a save answer arrives, never while a node is dragged, so the
 * per-frame store updates of a drag do not call 1,000 node selectors.
 */
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { MappedProblems } from '../lib/problems';
import type { RunView } from '../lib/runState';
import type { EditorStore } from './editor';
import { editorStore } from './editor';

export interface Decor {
  run: RunView | null;
  issues: MappedProblems;
}

/** A store that follows `source`'s `run` and `issues` (one listener, one comparison per change). */
export function mirrorDecor(source: EditorStore) {
  const { run, issues } = source.getState();
  const decor = createStore<Decor>()(() => ({ run, issues }));
  source.subscribe((s) => {
    const d = decor.getState();
    if (s.run !== d.run || s.issues !== d.issues) decor.setState({ run: s.run, issues: s.issues });
  });
  return decor;
}

export const decorStore = mirrorDecor(editorStore);

export function useDecor<T>(selector: (state: Decor) => T): T {
  return useStore(decorStore, selector);
}
