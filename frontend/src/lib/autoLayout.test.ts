import { describe, expect, it } from 'vitest';
import { IF_ELSE_SPEC } from '../test/fixtures';
import { autoLayout } from './autoLayout';
import { specToFlow } from './spec';

describe('auto layout', () => {
  it('places every node left to right along the edges, on the grid, without overlaps', async () => {
    const { nodes, edges } = specToFlow(IF_ELSE_SPEC);
    const at = await autoLayout(nodes, edges);
    const x = (id: string) => at.get(id)!.x;
    expect(x('start')).toBeLessThan(x('check'));
    expect(x('check')).toBeLessThan(x('big'));
    expect(x('big')).toBe(x('small'));
    expect(at.get('big')!.y).not.toBe(at.get('small')!.y);
    for (const p of at.values()) expect([p.x % 20, p.y % 20]).toEqual([0, 0]);
  });
});
