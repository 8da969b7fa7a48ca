import {
  Background,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore as useFlowStore,
  type IsValidConnection,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import { useCallback, useMemo, useState, type DragEvent } from 'react';
import { isEndNode, type FlowEdge, type FlowNode } from '../lib/spec';
import { useCatalog } from '../store/catalog';
import { editorStore } from '../store/editor';
import { useDecor } from '../store/decor';
import { useEditor } from '../store/hooks';
import { FarEdges } from './FarEdges';
import { FarContext, nodeTypes } from './nodes';
import { DRAG_MIME, END_TYPE } from './Palette';

/** Past this many nodes only the ones in view are rendered (unless zoomed far out), and the minimap starts hidden. */
export const VIRTUALISE_AFTER = 300;
/**
 * Below this zoom text is a few pixels high: nodes are drawn as coloured boxes (their
 * text hidden by CSS, `.lod-far`) and the dotted grid is left out. Painting glyphs and a
 * grid of dots 3 px apart was most of a frame's cost at 1,000 nodes (bench/README.md).
 */
export const FAR_ZOOM = 0.35;
const GRID: [number, number] = [20, 20];
const NO_EDGES: FlowEdge[] = [];

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
  const running = useDecor((s) => s.run?.nodes);
  const readOnly = useEditor((s) => s.scriptSource !== null);
  const types = useCatalog((s) => s.types);
  const far = useFlowStore((s) => s.transform[2] < FAR_ZOOM);
  const { screenToFlowPosition } = useReactFlow();
  const big = nodes.length > VIRTUALISE_AFTER;
  // null: the default for the size (hidden on big graphs, where it re-draws every node on each change)
  const [mapChoice, setMapChoice] = useState<boolean | null>(null);
  const showMap = mapChoice ?? !big;
  // a big workflow far out: its edges as one path (FarEdges), not one component each
  const farEdges = far && big;

  // Route edges carry their label (not when zoomed far out: unreadable, and measured on
  // every redraw); edges into a running node animate.
  const edges = useMemo(
    () =>
      rawEdges.map((e): FlowEdge => {
        const animated = running?.[e.target]?.status === 'running';
        if (!e.sourceHandle && !animated) return e;
        const route = e.sourceHandle ? { className: `route-edge route-${e.sourceHandle}`, ...(far ? {} : { label: e.sourceHandle }) } : {};
        return { ...e, ...route, animated };
      }),
    [rawEdges, running, far],
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
    <div className={`canvas${far ? ' lod-far' : ''}`} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <FarContext.Provider value={far}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={farEdges ? NO_EDGES : edges}
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
        // Far out (nearly) every node is in view: working out which are would cost more
        // on each frame than it saves.
        onlyRenderVisibleElements={big && !far}
        proOptions={{ hideAttribution: true }}
      >
        {farEdges && <FarEdges edges={rawEdges} />}
        {!far && <Background gap={GRID[0]} />}
        {showMap && <MiniMap pannable zoomable nodeColor={minimapColour} />}
        <Controls>
          <ControlButton onClick={() => setMapChoice(!showMap)} title={showMap ? 'Hide the minimap' : 'Show the minimap'} data-testid="toggle-minimap">
            {showMap ? '▣' : '□'}
          </ControlButton>
        </Controls>
      </ReactFlow>
      </FarContext.Provider>
    </div>
  );
}
