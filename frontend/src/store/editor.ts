/**
 * The designer's state: the graph being edited, its undo history, the clipboard, the
 * server's problems pinned to nodes, and the run being watched. Created with zustand's
 * vanilla `createStore` so tests make a fresh one each; every rule lives in lib/.
 */
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from '@xyflow/react';
import { createStore } from 'zustand/vanilla';
import type { JsonValue, NodeType, RunEvent, Version, Workflow, WorkflowSpec } from '../api/types';
import { copySelection, pasteClip, type Clip } from '../lib/clipboard';
import { checkpoint, emptyHistory, redo, undo, type History } from '../lib/history';
import { mapProblems, type MappedProblems } from '../lib/problems';
import { routeLabels } from '../lib/routes';
import { applyEvent, emptyRunView, type RunView } from '../lib/runState';
import { initialConfig } from '../lib/schemaForm';
import {
  edgeId,
  flowToSpec,
  isEndNode,
  newEndId,
  newNodeId,
  scriptToFlow,
  specToFlow,
  type ScriptGraph,
  type FlowEdge,
  type FlowNode,
  type NodeExtra,
  type OrcheoNodeData,
  type SpecMeta,
} from '../lib/spec';
import type { Problem } from '../api/types';

export interface Snapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
  meta: SpecMeta;
}

export interface EditorState {
  workflow: Workflow | null;
  /** The version the draft was loaded from or last saved as (0: none yet). */
  baseVersion: number;
  /** The saved version the canvas shows (what Run runs when nothing is unsaved). */
  canvasVersion: number | null;
  savedSpec: WorkflowSpec | null;
  nodes: FlowNode[];
  edges: FlowEdge[];
  meta: SpecMeta;
  history: History<Snapshot>;
  clipboard: Clip | null;
  pasteCount: number;
  dragKey: string | null;
  issues: MappedProblems;
  run: RunView | null;
  /** Set when the canvas shows a LangGraph script version: drawn read-only (moves only). */
  scriptSource: string | null;

  load(workflow: Workflow | null, version: Version | null, spec?: WorkflowSpec): void;
  markSaved(version: Version): void;
  setWorkflow(workflow: Workflow): void;
  /** Put another spec on the canvas (an imported file, an older version) as one undoable step. */
  replaceSpec(spec: WorkflowSpec): void;
  spec(): WorkflowSpec;
  isDirty(): boolean;

  onNodesChange(changes: NodeChange<FlowNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  onConnect(connection: Connection): void;
  beginDrag(): void;
  endDrag(): void;

  addNode(nodeType: Pick<NodeType, 'type' | 'is_router' | 'config_schema'>, position: { x: number; y: number }): string;
  addEndNode(position: { x: number; y: number }): string;
  updateConfig(id: string, config: Record<string, JsonValue>, key?: string): void;
  setLabel(id: string, label: string): void;
  /** Bind a credential (id or name) to one of a node's slots; null unbinds it. */
  setCredential(id: string, slot: string, ref: string | null): void;
  /** Change workflow-level parts of the spec (state channels, description); `key` coalesces typing. */
  updateMeta(patch: Partial<SpecMeta>, key?: string): void;
  /** Move nodes to new positions as one undoable step (auto layout). */
  moveNodes(positions: Map<string, { x: number; y: number }>): void;
  selectOnly(ids: string[]): void;
  selectAll(): void;
  deleteSelected(): void;
  copy(): boolean;
  paste(): void;
  duplicate(): void;
  undo(): void;
  redo(): void;
  canUndo(): boolean;
  canRedo(): boolean;

  setProblems(problems: Problem[], spec: WorkflowSpec): void;
  clearProblems(): void;

  startRun(runId: string): void;
  showRun(view: RunView): void;
  applyRunEvent(event: RunEvent): void;
  clearRun(): void;
}

const NO_ISSUES: MappedProblems = { byNode: {}, general: [] };

export function createEditorStore() {
  return createStore<EditorState>()((set, get) => {
    const snap = (): Snapshot => ({ nodes: get().nodes, edges: get().edges, meta: get().meta });
    /** Take an undo snapshot of the graph as it is now, then apply `change`. */
    const commit = (key: string | null, change: (s: EditorState) => Partial<EditorState>) => {
      const state = get();
      // A script is edited in code: on its drawing only moving nodes around is allowed.
      if (state.scriptSource !== null && !(key?.startsWith('drag:') || key?.startsWith('nudge:'))) return;
      const history = checkpoint(state.history, snap(), key);
      set({ ...change(state), history });
    };
    let dragCounter = 0;

    return {
      workflow: null,
      baseVersion: 0,
      canvasVersion: null,
      savedSpec: null,
      nodes: [],
      edges: [],
      meta: { name: 'untitled' },
      history: emptyHistory<Snapshot>(),
      clipboard: null,
      pasteCount: 0,
      dragKey: null,
      issues: NO_ISSUES,
      run: null,
      scriptSource: null,

      load(workflow, version, spec) {
        const source: WorkflowSpec = spec ?? version?.spec ?? { name: workflow?.name ?? 'untitled', nodes: [], edges: [] };
        const script = !spec && version?.kind === 'script';
        const graph = script ? scriptToFlow(version.spec as ScriptGraph, workflow?.name) : specToFlow(source);
        set({
          workflow,
          // Saving is against the newest version even when an older one is on the canvas.
          baseVersion: workflow?.latest_version ?? version?.number ?? 0,
          canvasVersion: version?.number ?? null,
          nodes: graph.nodes,
          edges: graph.edges,
          meta: graph.meta,
          history: emptyHistory<Snapshot>(),
          issues: NO_ISSUES,
          run: null,
          pasteCount: 0,
          scriptSource: script ? (version.source ?? '') : null,
        });
        set({ savedSpec: version ? get().spec() : null });
      },
      markSaved(version) {
        const workflow = get().workflow;
        set({
          baseVersion: version.number,
          canvasVersion: version.number,
          savedSpec: get().spec(),
          issues: NO_ISSUES,
          workflow: workflow
            ? { ...workflow, latest_version: version.number, current_version: workflow.current_version ?? version.number }
            : workflow,
        });
      },
      setWorkflow(workflow) {
        set({ workflow, meta: { ...get().meta, name: workflow.name } });
      },
      replaceSpec(spec) {
        const graph = specToFlow(spec);
        const name = get().meta.name;
        commit(null, () => ({ nodes: graph.nodes, edges: graph.edges, meta: { ...graph.meta, name }, issues: NO_ISSUES }));
      },
      spec() {
        const { nodes, edges, meta } = get();
        return flowToSpec({ nodes, edges, meta });
      },
      isDirty() {
        if (get().scriptSource !== null) return false;
        const saved = get().savedSpec;
        if (!saved) return get().nodes.length > 0;
        return JSON.stringify(saved) !== JSON.stringify(get().spec());
      },

      onNodesChange(changes) {
        const structural = changes.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace');
        const moves = changes.filter((c) => c.type === 'position' && c.position);
        const apply = (s: EditorState) => ({ nodes: applyNodeChanges(changes, s.nodes) });
        if (structural) commit(null, apply);
        else if (moves.length) {
          const key = get().dragKey ?? `nudge:${moves.map((c) => ('id' in c ? c.id : '')).join(',')}`;
          commit(key, apply);
        } else set(apply(get()));
      },
      onEdgesChange(changes) {
        const structural = changes.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace');
        const apply = (s: EditorState) => ({ edges: applyEdgeChanges(changes, s.edges) });
        if (structural) commit(null, apply);
        else set(apply(get()));
      },
      onConnect(connection) {
        const { source, target } = connection;
        if (!source || !target || source === target || isEndNode(source)) return;
        const handle = connection.sourceHandle ?? null;
        commit(null, (s) => {
          // A route has one target: drawing it again moves it.
          const kept = handle ? s.edges.filter((e) => !(e.source === source && e.sourceHandle === handle)) : s.edges;
          const id = edgeId(source, handle, target);
          if (kept.some((e) => e.id === id)) return { edges: kept };
          const edge: FlowEdge = { id, source, target, ...(handle ? { sourceHandle: handle } : {}) };
          return { edges: [...kept, edge] };
        });
      },
      beginDrag() {
        dragCounter += 1;
        set({ dragKey: `drag:${dragCounter}` });
      },
      endDrag() {
        set({ dragKey: null });
      },

      addNode(nodeType, position) {
        const id = newNodeId(nodeType.type, get().nodes.map((n) => n.id));
        const data: OrcheoNodeData = { type: nodeType.type, config: initialConfig(nodeType.config_schema) };
        if (nodeType.is_router) data.router = true;
        commit(null, (s) => ({
          nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), { id, type: 'orcheo', position, data, selected: true }],
        }));
        return id;
      },
      addEndNode(position) {
        const id = newEndId(get().nodes.map((n) => n.id));
        commit(null, (s) => ({ nodes: [...s.nodes, { id, type: 'end', position, data: { type: '__end__', config: {} } }] }));
        return id;
      },
      updateConfig(id, config, key) {
        commit(key ? `config:${id}:${key}` : null, (s) => {
          const nodes = s.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, config } } : n));
          // Routes that no longer exist (a renamed or removed Switch case) lose their edge.
          const node = nodes.find((n) => n.id === id);
          const labels = node ? routeLabels(node.data.type, config) : null;
          const edges = labels
            ? s.edges.filter((e) => e.source !== id || !e.sourceHandle || labels.includes(e.sourceHandle))
            : s.edges;
          return { nodes, edges };
        });
      },
      setLabel(id, label) {
        commit(`label:${id}`, (s) => ({
          nodes: s.nodes.map((n) => {
            if (n.id !== id) return n;
            const data = { ...n.data };
            if (label) data.label = label;
            else delete data.label;
            return { ...n, data };
          }),
        }));
      },
      setCredential(id, slot, ref) {
        commit(null, (s) => ({
          nodes: s.nodes.map((n) => {
            if (n.id !== id) return n;
            const credentials = { ...(n.data.extra?.credentials ?? {}) };
            if (ref) credentials[slot] = ref;
            else delete credentials[slot];
            const extra: NodeExtra = { ...n.data.extra };
            if (Object.keys(credentials).length) extra.credentials = credentials;
            else delete extra.credentials;
            const { extra: _old, ...rest } = n.data;
            return { ...n, data: Object.keys(extra).length ? { ...rest, extra } : rest };
          }),
        }));
      },
      updateMeta(patch, key) {
        commit(key ? `meta:${key}` : null, (s) => ({ meta: { ...s.meta, ...patch } }));
      },
      moveNodes(positions) {
        commit(get().scriptSource !== null ? `nudge:layout:${Date.now()}` : null, (s) => ({
          nodes: s.nodes.map((n) => {
            const p = positions.get(n.id);
            return p ? { ...n, position: p } : n;
          }),
        }));
      },
      selectOnly(ids) {
        const wanted = new Set(ids);
        set((s) => ({
          nodes: s.nodes.map((n) => (Boolean(n.selected) === wanted.has(n.id) ? n : { ...n, selected: wanted.has(n.id) })),
          edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
        }));
      },
      selectAll() {
        set((s) => ({ nodes: s.nodes.map((n) => (n.selected ? n : { ...n, selected: true })) }));
      },
      deleteSelected() {
        const { nodes, edges } = get();
        const gone = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
        const edgesLeft = edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
        if (!gone.size && edgesLeft.length === edges.length) return;
        commit(null, () => ({ nodes: nodes.filter((n) => !gone.has(n.id)), edges: edgesLeft }));
      },
      copy() {
        const clip = copySelection(get().nodes, get().edges);
        if (clip) set({ clipboard: clip, pasteCount: 0 });
        return clip !== null;
      },
      paste() {
        const { clipboard, pasteCount } = get();
        if (!clipboard) return;
        const step = 40 * (pasteCount + 1);
        const pasted = pasteClip(clipboard, get().nodes.map((n) => n.id), { x: step, y: step });
        commit(null, (s) => ({
          nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted.nodes],
          edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...pasted.edges],
          pasteCount: pasteCount + 1,
        }));
      },
      duplicate() {
        const clip = copySelection(get().nodes, get().edges);
        if (!clip) return;
        const pasted = pasteClip(clip, get().nodes.map((n) => n.id));
        commit(null, (s) => ({
          nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted.nodes],
          edges: [...s.edges, ...pasted.edges],
        }));
      },
      undo() {
        const result = undo(get().history, snap());
        if (result) set({ ...result.value, history: result.history });
      },
      redo() {
        const result = redo(get().history, snap());
        if (result) set({ ...result.value, history: result.history });
      },
      canUndo() {
        return get().history.past.length > 0;
      },
      canRedo() {
        return get().history.future.length > 0;
      },

      setProblems(problems, spec) {
        set({ issues: mapProblems(problems, spec) });
      },
      clearProblems() {
        set({ issues: NO_ISSUES });
      },

      startRun(runId) {
        set({ run: emptyRunView(runId) });
      },
      showRun(view) {
        set({ run: view });
      },
      applyRunEvent(event) {
        const run = get().run;
        if (!run || run.runId !== event.run_id) return;
        const next = applyEvent(run, event);
        if (next !== run) set({ run: next });
      },
      clearRun() {
        set({ run: null });
      },
    };
  });
}

export type EditorStore = ReturnType<typeof createEditorStore>;

export const editorStore = createEditorStore();
