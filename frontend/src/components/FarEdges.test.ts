import { Position, type InternalNode } from '@xyflow/react';
import { describe, expect, it } from 'vitest';
import { farEdgePath } from './FarEdges';
import type { FlowNode } from '../lib/spec';

// A measured node as React Flow keeps it: absolute position, size, handle bounds.
function measured(id: string, x: number, y: number, source: { id: string | null; y: number }[]): InternalNode<FlowNode> {
  return {
    id,
    type: 'orcheo',
    position: { x, y },
    data: { type: 'set_variable', config: {} },
    measured: { width: 170, height: 50 },
    internals: {
      positionAbsolute: { x, y },
      z: 0,
      userNode: { id, position: { x, y }, data: { type: 'set_variable', config: {} } },
      handleBounds: {
        source: source.map((h) => ({ id: h.id, nodeId: id, type: 'source' as const, position: Position.Right, x: 166, y: h.y, width: 8, height: 8 })),
        target: [{ id: null, nodeId: id, type: 'target' as const, position: Position.Left, x: -4, y: 21, width: 8, height: 8 }],
      },
    },
  } as unknown as InternalNode<FlowNode>;
}

describe('far-out edges', () => {
  const router = measured('check', 0, 0, [
    { id: 'true', y: 30 },
    { id: 'false', y: 48 },
  ]);
  const next = measured('big', 300, 100, [{ id: null, y: 21 }]);

  it('start at the route handle they leave from and end at the target handle', () => {
    const d = farEdgePath({ id: 'e', source: 'check', sourceHandle: 'false', target: 'big' }, router, next);
    // from the false handle's outer edge (0 + 166 + 8, 0 + 48 + 4) to the target's (300 - 4, 100 + 21 + 4)
    expect(d.startsWith('M174,52 C')).toBe(true);
    expect(d.endsWith('296,125')).toBe(true);
  });

  it('draw nothing for an edge whose node is not measured yet', () => {
    expect(farEdgePath({ id: 'e', source: 'check', target: 'gone' }, router, undefined)).toBe('');
  });
});
