import { useStore } from 'zustand';
import { editorStore, type EditorState } from './editor';

export function useEditor<T>(selector: (state: EditorState) => T): T {
  return useStore(editorStore, selector);
}
