/** The designer: palette, canvas, configuration / run / version panels, toolbar. Loaded lazily. */
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type ApiClient } from '../api/client';
import type { ExportDocument, JsonObject, Version, WorkflowSpec } from '../api/types';
import { followRun } from '../api/ws';
import { foldEvents } from '../lib/runState';
import { useCatalog } from '../store/catalog';
import { editorStore, type EditorState } from '../store/editor';
import { useEditor } from '../store/hooks';
import { Canvas } from './Canvas';
import { ConfigPanel } from './ConfigPanel';
import { CredentialsDialog } from './CredentialsManager';
import { END_TYPE, Palette } from './Palette';
import { RunPanel } from './RunPanel';
import { ShortcutHelp } from './ShortcutHelp';
import { TriggersPanel } from './TriggersPanel';
import { VersionPanel } from './VersionPanel';
import { WorkflowPanel } from './WorkflowPanel';

interface Props {
  client: ApiClient;
  workflowId: string;
  onClose(): void;
  onSignOut(): void;
}

type Tab = 'node' | 'triggers' | 'run' | 'versions';
type Notice = { kind: 'error' | 'info' | 'conflict'; text: string; details?: string[] } | null;

let dirtyCache: { nodes: unknown; edges: unknown; saved: unknown; value: boolean } | null = null;
/** isDirty, recomputed only when the graph or the saved spec changed (not on selection or runs). */
function selectDirty(s: EditorState): boolean {
  const c = dirtyCache;
  // A drag changes the nodes every frame: compare the whole spec again once it ends.
  if (c && s.dragKey !== null) return c.value;
  if (c && c.nodes === s.nodes && c.edges === s.edges && c.saved === s.savedSpec) return c.value;
  dirtyCache = { nodes: s.nodes, edges: s.edges, saved: s.savedSpec, value: s.isDirty() };
  return dirtyCache.value;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

function defaultInputs(spec: WorkflowSpec): string {
  const out: JsonObject = {};
  for (const [key, channel] of Object.entries(spec.state ?? {})) {
    if (channel['default'] !== undefined && channel['default'] !== null) out[key] = channel['default'];
  }
  return JSON.stringify(out, null, 2);
}

function download(name: string, data: unknown) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function EditorInner({ client, workflowId, onClose, onSignOut }: Props) {
  const workflow = useEditor((s) => s.workflow);
  const baseVersion = useEditor((s) => s.baseVersion);
  const canvasVersion = useEditor((s) => s.canvasVersion);
  const general = useEditor((s) => s.issues.general);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const nodeCount = useEditor((s) => s.nodes.length);
  const scriptSource = useEditor((s) => s.scriptSource);
  const readOnly = scriptSource !== null;
  const dirty = useEditor(selectDirty);
  const [selection, setSelection] = useState<string[]>([]);
  const [tab, setTab] = useState<Tab>('node');
  const [panelOpen, setPanelOpen] = useState(true);
  const [notice, setNotice] = useState<Notice>(null);
  const [loading, setLoading] = useState(true);
  const [saving, setSaving] = useState(false);
  const [help, setHelp] = useState(false);
  const [credentialsOpen, setCredentialsOpen] = useState(false);
  const [inputsText, setInputsText] = useState('{}');
  const [runBusy, setRunBusy] = useState(false);
  const [pickedStep, setPickedStep] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [title, setTitle] = useState('');
  const stopFollowing = useRef<(() => void) | null>(null);
  const importInput = useRef<HTMLInputElement>(null);
  const { fitView: fitViewNow, screenToFlowPosition } = useReactFlow();
  // React Flow queues a fit asked for on an empty canvas and runs it on the first node
  // dropped, which would move the view under the user's hand: fit only what exists.
  const fitView = useCallback(
    async (options?: { maxZoom?: number }) => (editorStore.getState().nodes.length ? fitViewNow(options) : false),
    [fitViewNow],
  );

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      // the catalog and the workflow in parallel: one round trip less before the canvas draws
      const [types, wf] = await Promise.all([useCatalog.getState().list.length ? null : client.nodes(), client.getWorkflow(workflowId)]);
      if (types) useCatalog.getState().setTypes(types);
      const version = wf.latest_version > 0 ? await client.getVersion(workflowId, wf.latest_version) : null;
      editorStore.getState().load(wf, version, version ? undefined : { name: wf.name, nodes: [], edges: [] });
      setTitle(wf.name);
      setInputsText(defaultInputs(editorStore.getState().spec()));
      setNotice(null);
      // queued: React Flow fits as soon as the nodes are measured, so a big workflow is
      // first drawn already fitted (far out: light nodes, edges as plain paths)
      void fitView({ maxZoom: 1.2 });
    } catch (exc) {
      setNotice({ kind: 'error', text: (exc as Error).message });
    } finally {
      setLoading(false);
    }
  }, [client, workflowId, fitView]);

  useEffect(() => {
    void reload();
    return () => stopFollowing.current?.();
  }, [reload]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (editorStore.getState().isDirty()) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  const save = useCallback(
    async (base: number = editorStore.getState().baseVersion): Promise<Version | null> => {
      const state = editorStore.getState();
      if (!state.workflow) return null;
      const spec = { ...state.spec(), name: state.workflow.name };
      setSaving(true);
      try {
        const version = await client.saveVersion(state.workflow.id, { spec, note: 'saved from the canvas', base_version: base });
        editorStore.getState().markSaved(version);
        setNotice({ kind: 'info', text: `Saved version ${version.number}.` });
        setRefreshKey((k) => k + 1);
        return version;
      } catch (exc) {
        if (exc instanceof ApiError && exc.status === 409) {
          setNotice({ kind: 'conflict', text: exc.message });
        } else if (exc instanceof ApiError && exc.code === 'invalid_spec') {
          editorStore.getState().setProblems(exc.problems, spec);
          const mapped = editorStore.getState().issues;
          const nodes = Object.keys(mapped.byNode);
          setNotice({
            kind: 'error',
            text: `Not saved: ${exc.problems.length} problem(s)${nodes.length ? ` on ${nodes.join(', ')}` : ''}. They are marked on the nodes.`,
            details: mapped.general,
          });
          if (nodes.length) {
            editorStore.getState().selectOnly([nodes[0]!]);
            setSelection([nodes[0]!]);
            setTab('node');
            setPanelOpen(true);
          }
        } else {
          setNotice({ kind: 'error', text: (exc as Error).message });
        }
        return null;
      } finally {
        setSaving(false);
      }
    },
    [client],
  );

  const makeLive = useCallback(async () => {
    let version = editorStore.getState().canvasVersion;
    if (editorStore.getState().isDirty() || version === null) {
      const saved = await save();
      if (!saved) return;
      version = saved.number;
    }
    const wf = editorStore.getState().workflow;
    if (!wf) return;
    try {
      if (wf.current_version !== version) editorStore.getState().setWorkflow(await client.promote(wf.id, version));
      setRefreshKey((k) => k + 1);
      setNotice({ kind: 'info', text: `Version ${version} is live: its triggers start runs.` });
    } catch (exc) {
      setNotice({ kind: 'error', text: (exc as Error).message });
    }
  }, [client, save]);

  const follow = useCallback(
    (runId: string, afterSeq = 0) => {
      stopFollowing.current?.();
      stopFollowing.current = followRun(
        { token: client.token, runId, afterSeq, fetchEvents: (id, after) => client.runEvents(id, after) },
        {
          onEvent: (event) => editorStore.getState().applyRunEvent(event),
          onEnd: () => setRefreshKey((k) => k + 1),
          onError: (message) => setNotice({ kind: 'error', text: `Live updates: ${message}` }),
        },
      );
    },
    [client],
  );

  const run = useCallback(async () => {
    let inputs: JsonObject;
    try {
      inputs = JSON.parse(inputsText || '{}') as JsonObject;
    } catch {
      setNotice({ kind: 'error', text: 'The run inputs are not valid JSON.' });
      return;
    }
    setRunBusy(true);
    try {
      let version = editorStore.getState().canvasVersion;
      if (editorStore.getState().isDirty() || version === null) {
        const saved = await save();
        if (!saved) return;
        version = saved.number;
      }
      const wf = editorStore.getState().workflow!;
      const started = await client.startRun(wf.id, { inputs, version });
      editorStore.getState().startRun(started.id);
      setPickedStep(null);
      setTab('run');
      setPanelOpen(true);
      follow(started.id);
    } catch (exc) {
      setNotice({ kind: 'error', text: (exc as Error).message });
    } finally {
      setRunBusy(false);
    }
  }, [client, inputsText, save, follow]);

  const viewRun = useCallback(
    async (runId: string) => {
      try {
        const detail = await client.getRun(runId);
        editorStore.getState().showRun(foldEvents(runId, detail.events, detail.status));
        setPickedStep(null);
        if (detail.status === 'queued' || detail.status === 'running') follow(runId, detail.events.at(-1)?.seq ?? 0);
      } catch (exc) {
        setNotice({ kind: 'error', text: (exc as Error).message });
      }
    },
    [client, follow],
  );

  const replay = useCallback(
    async (runId: string) => {
      try {
        const started = await client.replayRun(runId);
        editorStore.getState().startRun(started.id);
        setPickedStep(null);
        follow(started.id);
        setRefreshKey((k) => k + 1);
      } catch (exc) {
        setNotice({ kind: 'error', text: (exc as Error).message });
      }
    },
    [client, follow],
  );

  const rename = useCallback(
    async (name: string) => {
      const wf = editorStore.getState().workflow;
      if (!wf || !name.trim() || name.trim() === wf.name) {
        setTitle(wf?.name ?? '');
        return;
      }
      try {
        const updated = await client.updateWorkflow(wf.id, { revision: wf.revision, name: name.trim() });
        editorStore.getState().setWorkflow({ ...updated });
        setTitle(updated.name);
      } catch (exc) {
        setTitle(wf.name);
        setNotice({
          kind: 'error',
          text: exc instanceof ApiError && exc.status === 409 ? 'The workflow was changed elsewhere; reload, then rename it again.' : (exc as Error).message,
        });
      }
    },
    [client],
  );

  const openVersion = useCallback((version: Version) => {
    const wf = editorStore.getState().workflow;
    editorStore.getState().load(wf, version);
    setNotice({ kind: 'info', text: `Opened version ${version.number}. Saving makes it a new version.` });
  }, []);

  const restoreVersion = useCallback(
    async (version: Version) => {
      try {
        const wf = await client.promote(version.workflow_id, version.number);
        editorStore.getState().load(wf, version);
        setTitle(wf.name);
        setRefreshKey((k) => k + 1);
        setNotice({ kind: 'info', text: `Restored version ${version.number}: it is the one that runs now.` });
      } catch (exc) {
        setNotice({ kind: 'error', text: (exc as Error).message });
      }
    },
    [client],
  );

  const exportJson = useCallback(async () => {
    const wf = editorStore.getState().workflow;
    if (!wf) return;
    try {
      const doc = await client.exportWorkflow(wf.id);
      download(`${wf.id}.orcheo.json`, doc);
    } catch (exc) {
      setNotice({ kind: 'error', text: (exc as Error).message });
    }
  }, [client]);

  const importJson = useCallback(async (file: File) => {
    try {
      const doc = JSON.parse(await file.text()) as ExportDocument | WorkflowSpec;
      let spec: WorkflowSpec | undefined;
      if ('format' in doc && Array.isArray(doc['versions'])) {
        const versions = doc['versions'] as unknown as { number: number; spec: WorkflowSpec }[];
        const current = (doc['workflow'] as { current_version?: number } | undefined)?.current_version;
        spec = (versions.find((v) => v.number === current) ?? versions.at(-1))?.spec;
      } else if ('nodes' in doc && Array.isArray(doc.nodes)) spec = doc as WorkflowSpec;
      if (!spec) throw new Error('the file holds no workflow spec');
      editorStore.getState().replaceSpec(spec);
      setNotice({ kind: 'info', text: `Loaded ${file.name} onto the canvas (Ctrl+Z undoes it). Save to keep it.` });
      setTimeout(() => void fitView({ maxZoom: 1.2 }), 50);
    } catch (exc) {
      setNotice({ kind: 'error', text: `Cannot import ${file.name}: ${(exc as Error).message}` });
    }
  }, [fitView]);

  const tidyUp = useCallback(async () => {
    const { nodes, edges } = editorStore.getState();
    if (!nodes.length) return;
    const { autoLayout } = await import('../lib/autoLayout');
    editorStore.getState().moveNodes(await autoLayout(nodes, edges));
    setTimeout(() => void fitView({ maxZoom: 1.2 }), 50);
  }, [fitView]);

  const addAtCentre = useCallback(
    (type: string) => {
      const el = document.querySelector('.canvas');
      const box = el?.getBoundingClientRect();
      const at = screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 600) / 2, y: (box?.top ?? 0) + (box?.height ?? 400) / 2 });
      const position = { x: Math.round(at.x / 20) * 20, y: Math.round(at.y / 20) * 20 };
      if (type === END_TYPE) {
        editorStore.getState().addEndNode(position);
        return;
      }
      const entry = useCatalog.getState().types[type];
      if (entry) setSelection([editorStore.getState().addNode(entry, position)]);
    },
    [screenToFlowPosition],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === 's') {
        e.preventDefault();
        if (editorStore.getState().scriptSource === null) void save();
        return;
      }
      if (mod && key === 'enter') {
        e.preventDefault();
        void run();
        return;
      }
      if (isTyping(e.target)) return;
      // a dialog (credentials) has its own keys: Delete there must not delete nodes
      if (e.target instanceof HTMLElement && e.target.closest('.modal')) {
        if (key === 'escape') setCredentialsOpen(false);
        return;
      }
      const s = editorStore.getState();
      if (mod && key === 'z') {
        e.preventDefault();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (mod && key === 'y') {
        e.preventDefault();
        s.redo();
      } else if (mod && key === 'c') {
        s.copy();
      } else if (mod && key === 'v') {
        e.preventDefault();
        s.paste();
      } else if (mod && key === 'd') {
        e.preventDefault();
        s.duplicate();
      } else if (mod && key === 'a') {
        e.preventDefault();
        s.selectAll();
      } else if (key === 'delete' || key === 'backspace') {
        e.preventDefault();
        s.deleteSelected();
      } else if (e.key === '?') {
        setHelp((h) => !h);
      } else if (key === 'f' && !mod) {
        void fitView({ maxZoom: 1.2 });
      } else if (key === 'l' && !mod && e.shiftKey) {
        void tidyUp();
      } else if (key === 'escape') {
        setHelp(false);
        setCredentialsOpen(false);
        s.selectOnly([]);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save, run, fitView, tidyUp]);

  const onSelect = useCallback((ids: string[]) => {
    setSelection((prev) => (prev.length === ids.length && prev.every((id, i) => id === ids[i]) ? prev : ids));
    if (ids.length === 1) setPickedStep(ids[0]!);
  }, []);

  const selected = selection.length === 1 ? selection[0]! : null;

  return (
    <div className="editor">
      <header className="topbar">
        <button
          onClick={() => {
            if (!editorStore.getState().isDirty() || window.confirm('Leave without saving your changes?')) onClose();
          }}
          title="Back to the workflow list"
          data-testid="back"
        >
          ←
        </button>
        <input
          className="title-input"
          aria-label="Workflow name"
          data-testid="workflow-title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          onBlur={() => void rename(title)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
          }}
        />
        <span className="muted small" data-testid="version-label">
          {canvasVersion ? `v${canvasVersion}` : 'not saved'}
          {workflow?.current_version && workflow.current_version !== canvasVersion ? ` · v${workflow.current_version} runs on triggers` : ''}
          {dirty ? ' · unsaved changes' : ''}
        </span>
        <div className="spacer" />
        <button onClick={() => editorStore.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
          ↶
        </button>
        <button onClick={() => editorStore.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
          ↷
        </button>
        <button onClick={() => void tidyUp()} disabled={nodeCount === 0} title="Lay the workflow out left to right (Ctrl+Z undoes it)" data-testid="tidy">
          Tidy up
        </button>
        <button onClick={() => void exportJson()} disabled={!baseVersion} data-testid="export">
          Export JSON
        </button>
        <button onClick={() => importInput.current?.click()} disabled={readOnly} data-testid="import-canvas">
          Import JSON
        </button>
        <input
          ref={importInput}
          type="file"
          hidden
          accept="application/json,.json"
          data-testid="import-canvas-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void importJson(file);
            e.target.value = '';
          }}
        />
        <button
          className="primary"
          onClick={() => void save()}
          disabled={saving || loading || readOnly}
          title={readOnly ? 'This version is a Python script: edit and save it in code' : 'Save a new version (Ctrl+S)'}
          data-testid="save"
        >
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button onClick={() => void run()} disabled={runBusy || loading || nodeCount === 0} data-testid="run-toolbar">
          ▶ Run
        </button>
        <button onClick={() => setCredentialsOpen(true)} title="API keys and passwords for the nodes" data-testid="open-credentials">
          Credentials
        </button>
        <button onClick={() => setHelp(true)} title="Keyboard shortcuts (?)" data-testid="help">
          ?
        </button>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      {notice && (
        <div className={`banner ${notice.kind === 'info' ? 'info' : 'error'}`} role="status" data-testid="notice">
          <span>{notice.text}</span>
          {notice.details?.map((d) => (
            <div key={d} className="small">
              {d}
            </div>
          ))}
          {notice.kind === 'conflict' && (
            <span className="row-actions">
              <button onClick={() => void reload()} data-testid="conflict-reload">
                Reload (lose my changes)
              </button>
              <button
                onClick={async () => {
                  const wf = await client.getWorkflow(workflowId);
                  void save(wf.latest_version);
                }}
              >
                Save mine on top
              </button>
            </span>
          )}
          <button className="icon-button" aria-label="Dismiss" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      )}
      {readOnly && (
        <div className="banner info" data-testid="script-banner">
          Version {canvasVersion} is a LangGraph script: the canvas draws its graph, runs it and shows each step, and the
          script is edited in code. Open a canvas version from the Versions tab to design here.
        </div>
      )}
      {general.length > 0 && !notice && (
        <div className="banner error">
          {general.map((g) => (
            <div key={g}>{g}</div>
          ))}
        </div>
      )}
      <div className="workspace">
        {!readOnly && <Palette onAdd={addAtCentre} />}
        <Canvas onSelect={onSelect} />
        <aside className={`side ${panelOpen ? 'open' : 'closed'}`}>
          <div className="tabs">
            <button className={tab === 'node' ? 'active' : ''} onClick={() => { setTab('node'); setPanelOpen(true); }} data-testid="tab-node">
              Node
            </button>
            <button className={tab === 'triggers' ? 'active' : ''} onClick={() => { setTab('triggers'); setPanelOpen(true); }} data-testid="tab-triggers">
              Triggers
            </button>
            <button className={tab === 'run' ? 'active' : ''} onClick={() => { setTab('run'); setPanelOpen(true); }} data-testid="tab-run">
              Run
            </button>
            <button className={tab === 'versions' ? 'active' : ''} onClick={() => { setTab('versions'); setPanelOpen(true); }} data-testid="tab-versions">
              Versions
            </button>
            <button className="icon-button" onClick={() => setPanelOpen((o) => !o)} title={panelOpen ? 'Collapse' : 'Expand'} data-testid="toggle-panel">
              {panelOpen ? '»' : '«'}
            </button>
          </div>
          {panelOpen && (
            <div className="side-body">
              {tab === 'node' &&
                (selected ? (
                  <ConfigPanel nodeId={selected} client={client} />
                ) : selection.length > 1 ? (
                  <p className="muted">{`${selection.length} nodes selected: Delete removes them, Ctrl+D duplicates them.`}</p>
                ) : (
                  readOnly ? (
                    <div data-testid="script-source">
                      <h3>Script (v{canvasVersion})</h3>
                      <pre className="json-view script-source">{scriptSource}</pre>
                    </div>
                  ) : (
                    <>
                      <p className="muted small">Select a node to configure it. Drag nodes in from the palette on the left.</p>
                      <WorkflowPanel />
                    </>
                  )
                ))}
              {tab === 'triggers' && workflow && (
                <TriggersPanel client={client} workflow={workflow} canvasVersion={canvasVersion} dirty={dirty} refreshKey={refreshKey} onMakeLive={makeLive} />
              )}
              {tab === 'run' && workflow && (
                <RunPanel
                  client={client}
                  workflowId={workflow.id}
                  inputsText={inputsText}
                  setInputsText={setInputsText}
                  busy={runBusy}
                  onRun={() => void run()}
                  onView={(id) => void viewRun(id)}
                  onReplay={(id) => void replay(id)}
                  selectedNode={pickedStep}
                  onPickNode={setPickedStep}
                  refreshKey={refreshKey}
                />
              )}
              {tab === 'versions' && workflow && (
                <VersionPanel client={client} workflow={workflow} refreshKey={refreshKey} onOpen={openVersion} onRestore={restoreVersion} canvasVersion={canvasVersion} dirty={dirty} />
              )}
            </div>
          )}
        </aside>
      </div>
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      {credentialsOpen && <CredentialsDialog client={client} workflowId={workflow?.id} onClose={() => setCredentialsOpen(false)} />}
      {loading && <div className="loading overlay">Loading…</div>}
    </div>
  );
}

export default function Editor(props: Props) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}
