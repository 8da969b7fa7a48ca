/**
 * Undo/redo as snapshots of the graph taken *before* each change.
 *
 * `checkpoint` is called before a change is applied. A `key` coalesces a burst of
 * changes into one step: typing in one config field, or the many position updates of
 * one drag, each record only their first snapshot. Undo and redo clear the key.
 */
export interface History<T> {
  past: T[];
  future: T[];
  lastKey: string | null;
}

export const HISTORY_LIMIT = 200;

export function emptyHistory<T>(): History<T> {
  return { past: [], future: [], lastKey: null };
}

export function checkpoint<T>(history: History<T>, current: T, key: string | null = null): History<T> {
  if (key !== null && key === history.lastKey) return history;
  const past = [...history.past, current];
  if (past.length > HISTORY_LIMIT) past.splice(0, past.length - HISTORY_LIMIT);
  return { past, future: [], lastKey: key };
}

export function undo<T>(history: History<T>, current: T): { history: History<T>; value: T } | null {
  if (!history.past.length) return null;
  const value = history.past[history.past.length - 1]!;
  return {
    history: { past: history.past.slice(0, -1), future: [current, ...history.future], lastKey: null },
    value,
  };
}

export function redo<T>(history: History<T>, current: T): { history: History<T>; value: T } | null {
  if (!history.future.length) return null;
  const value = history.future[0]!;
  return {
    history: { past: [...history.past, current], future: history.future.slice(1), lastKey: null },
    value,
  };
}
