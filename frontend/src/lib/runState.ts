/** A run's events folded into what the canvas shows: each node's status, input, output, error, duration. */
import type { JsonObject, JsonValue, RunEvent, RunStatus } from '../api/types';

export type NodeRunStatus = 'running' | 'succeeded' | 'failed' | 'retrying';

export interface NodeRun {
  status: NodeRunStatus;
  attempts: number;
  input?: JsonValue;
  output?: JsonValue;
  error?: JsonValue;
  duration?: number;
  startedAt?: number;
}

export interface RunView {
  runId: string;
  status: RunStatus;
  lastSeq: number;
  nodes: Record<string, NodeRun>;
  /** Node ids in the order they first started (the step viewer's order). */
  order: string[];
  state?: JsonValue;
  error?: JsonValue;
  duration?: number;
}

export function emptyRunView(runId: string, status: RunStatus = 'queued'): RunView {
  return { runId, status, lastSeq: 0, nodes: {}, order: [] };
}

const RUN_OUTCOME: Record<string, RunStatus> = {
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};

export function applyEvent(view: RunView, event: RunEvent): RunView {
  if (event.seq <= view.lastSeq) return view;
  const next: RunView = { ...view, lastSeq: event.seq };
  const data: JsonObject = event.data ?? {};
  const node = event.node;
  if (event.type === 'run.started') next.status = 'running';
  else if (event.type in RUN_OUTCOME) {
    next.status = RUN_OUTCOME[event.type]!;
    if (data['state'] !== undefined) next.state = data['state'];
    if (data['error'] !== undefined) next.error = data['error'];
    if (typeof data['duration'] === 'number') next.duration = data['duration'];
    if (next.status === 'cancelled' && isInterrupted(data['error'])) next.status = 'interrupted';
    // A node still marked running when the run ended did not finish.
    const nodes = { ...next.nodes };
    for (const [id, run] of Object.entries(nodes)) {
      if (run.status === 'running' || run.status === 'retrying') nodes[id] = { ...run, status: 'failed' };
    }
    next.nodes = nodes;
  } else if (node) {
    const prev = next.nodes[node];
    let entry: NodeRun | undefined;
    if (event.type === 'node.started') {
      entry = { ...prev, status: 'running', attempts: event.attempt ?? (prev?.attempts ?? 0) + 1, startedAt: event.ts };
      if (data['input'] !== undefined) entry.input = data['input'];
      delete entry.error;
    } else if (event.type === 'node.succeeded') {
      entry = { attempts: 1, ...prev, status: 'succeeded' };
      if (data['output'] !== undefined) entry.output = data['output'];
      if (typeof data['duration'] === 'number') entry.duration = data['duration'];
    } else if (event.type === 'node.failed') {
      entry = { attempts: 1, ...prev, status: 'failed', error: data['error'] ?? data };
      if (typeof data['duration'] === 'number') entry.duration = data['duration'];
    } else if (event.type === 'node.retrying') {
      entry = { attempts: 1, ...prev, status: 'retrying', error: data['error'] ?? data };
    }
    if (entry) {
      next.nodes = { ...next.nodes, [node]: entry };
      if (!next.order.includes(node)) next.order = [...next.order, node];
    }
  }
  return next;
}

function isInterrupted(error: JsonValue | undefined): boolean {
  return typeof error === 'object' && error !== null && !Array.isArray(error) && error['code'] === 'interrupted';
}

export function foldEvents(runId: string, events: RunEvent[], status: RunStatus = 'queued'): RunView {
  return events.reduce(applyEvent, emptyRunView(runId, status));
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
