import { describe, expect, it } from 'vitest';
import { checkpoint, emptyHistory, HISTORY_LIMIT, redo, undo } from './history';

describe('history', () => {
  it('undoes and redoes in order', () => {
    let h = emptyHistory<number>();
    h = checkpoint(h, 1);
    h = checkpoint(h, 2);
    const u1 = undo(h, 3)!;
    expect(u1.value).toBe(2);
    const u2 = undo(u1.history, 2)!;
    expect(u2.value).toBe(1);
    expect(undo(u2.history, 1)).toBeNull();
    const r1 = redo(u2.history, 1)!;
    expect(r1.value).toBe(2);
    expect(redo(r1.history, 2)!.value).toBe(3);
  });

  it('coalesces changes that share a key into one step', () => {
    let h = emptyHistory<string>();
    h = checkpoint(h, 'a', 'field:url');
    h = checkpoint(h, 'ab', 'field:url');
    h = checkpoint(h, 'abc', 'field:url');
    expect(h.past).toEqual(['a']);
    h = checkpoint(h, 'abcd', 'field:method');
    expect(h.past).toEqual(['a', 'abcd']);
  });

  it('a new change after undo drops the redo stack, and undo ends a coalesced burst', () => {
    let h = emptyHistory<number>();
    h = checkpoint(h, 1, 'k');
    const u = undo(h, 2)!;
    expect(u.history.future).toEqual([2]);
    const h2 = checkpoint(u.history, 1, 'k');
    expect(h2.past).toEqual([1]);
    expect(h2.future).toEqual([]);
  });

  it('keeps at most HISTORY_LIMIT steps', () => {
    let h = emptyHistory<number>();
    for (let i = 0; i < HISTORY_LIMIT + 10; i += 1) h = checkpoint(h, i);
    expect(h.past.length).toBe(HISTORY_LIMIT);
    expect(h.past[0]).toBe(10);
  });
});
