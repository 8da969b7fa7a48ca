/** The node catalog (GET /api/nodes), loaded once per session. */
import { create } from 'zustand';
import type { NodeType } from '../api/types';

interface CatalogState {
  types: Record<string, NodeType>;
  list: NodeType[];
  setTypes(list: NodeType[]): void;
}

export const useCatalog = create<CatalogState>()((set) => ({
  types: {},
  list: [],
  setTypes(list) {
    set({ list, types: Object.fromEntries(list.map((t) => [t.type, t])) });
  },
}));

export const CATEGORY_ORDER = ['trigger', 'flow', 'data', 'integration', 'code', 'utility'];

export function categoryRank(category: string): number {
  const i = CATEGORY_ORDER.indexOf(category);
  return i < 0 ? CATEGORY_ORDER.length : i;
}

/** A glyph per icon name from the catalog (no icon font to ship). */
const ICONS: Record<string, string> = {
  'git-branch': '⋔',
  split: '⋔',
  globe: '⇄',
  timer: '◷',
  bug: '✱',
  variable: '𝑥',
  'table-properties': '▦',
  braces: '{}',
  code: '</>',
  merge: '⋈',
  play: '▶',
  workflow: '❐',
};

export function iconFor(name: string | undefined, category: string): string {
  if (name && ICONS[name]) return ICONS[name]!;
  return { trigger: '▶', flow: '⋔', data: '▦', integration: '⇄', code: '</>', utility: '✱' }[category] ?? '□';
}
