import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type IsValidConnection,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import { useCallback, useMemo, type DragEvent } from 'react';
import { isEndNode, type FlowEdge, type FlowNode } from '../lib/spec';
import { useCatalog } from '../store/catalog';
import { editorStore } from '../store/editor';
import { useEditor } from '../store/hooks';
import { nodeTypes } from './nodes';
import { DRAG_MIME, END_TYPE } from './Palette';

/** Past this many nodes only the ones in view are rendered. */
export const VIRTUALISE_AFTER = 300;
const GRID: [number, number] = [20, 20];

const CATEGORY_COLOURS: Record<string, string> = {
  trigger: '#16a34a',
  flow: '#7c3aed',
  data: '#0284c7',
  integration: '#ea580c',
  code: '#475569',
  utility: '#a16207',
};

interface Props {
  onSelect(ids: string[]): void;
}

export function Canvas({ onSelect }: Props) {
  const nodes = useEditor((s) => s.nodes);
  const rawEdges = useEditor((s) => s.edges);
  const running = useEditor((s) => s.run?.nodes);
  const readOnly = useEditor((s) => s.scriptSource !== null);
  const types = useCatalog((s) => s.types);
  const { screenToFlowPosition } = useReactFlow();

  // Route edges carry their label; edges into a running node animate.
  const edges = useMemo(
    () =>
      rawEdges.map((e): FlowEdge => {
        const animated = running?.[e.target]?.status === 'running';
        if (!e.sourceHandle && !animated) return e;
        return { ...e, ...(e.sourceHandle ? { label: e.sourceHandle, className: `route-edge route-${e.sourceHandle}` } : {}), animated };
      }),
    [rawEdges, running],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(DRAG_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'move';
    }
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(DRAG_MIME);
      if (!type) return;
      event.preventDefault();
      const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      // the node's head lands under the pointer
      const position = { x: Math.round((at.x - 80) / GRID[0]) * GRID[0], y: Math.round((at.y - 20) / GRID[1]) * GRID[1] };
      if (type === END_TYPE) {
        editorStore.getState().addEndNode(position);
        return;
      }
      const entry = useCatalog.getState().types[type];
      if (entry) {
        const id = editorStore.getState().addNode(entry, position);
        onSelect([id]);
      }
    },
    [screenToFlowPosition, onSelect],
  );

  const isValidConnection: IsValidConnection = useCallback(
    (c) => c.source !== c.target && !isEndNode(c.source),
    [],
  );

  const onSelectionChange = useCallback(
    ({ nodes: picked }: OnSelectionChangeParams) => onSelect(picked.map((n) => n.id)),
    [onSelect],
  );

  const minimapColour = useCallback(
    (n: FlowNode) => (n.type === 'end' ? '#111827' : CATEGORY_COLOURS[types[n.data.type]?.category ?? ''] ?? '#94a3b8'),
    [types],
  );

  const store = editorStore.getState();
  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={store.onNodesChange}
        onEdgesChange={store.onEdgesChange}
        onConnect={store.onConnect}
        onNodeDragStart={store.beginDrag}
        onNodeDragStop={store.endDrag}
        onSelectionDragStart={store.beginDrag}
        onSelectionDragStop={store.endDrag}
        onSelectionChange={onSelectionChange}
        isValidConnection={isValidConnection}
        nodesConnectable={!readOnly}
        snapToGrid
        snapGrid={GRID}
        minZoom={0.05}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        onlyRenderVisibleElements={nodes.length > VIRTUALISE_AFTER}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={GRID[0]} />
        <MiniMap pannable zoomable nodeColor={minimapColour} />
        <Controls />
      </ReactFlow>
    </div>
  );
}
