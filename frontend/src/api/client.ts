/** The HTTP client for /api: bearer auth, JSON bodies, one error type. */
import type {
  Credential,
  CredentialTestResult,
  CredentialType,
  ExportDocument,
  FireTime,
  TriggerState,
  WebhookSecret,
  NodeType,
  Page,
  Problem,
  Run,
  RunDetail,
  RunEvent,
  Version,
  Workflow,
  WorkflowSpec,
  JsonObject,
} from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The spec problems of a 422 `invalid_spec` answer (empty for any other error). */
  get problems(): Problem[] {
    const problems = this.details['problems'];
    return Array.isArray(problems) ? (problems as Problem[]) : [];
  }
}

export interface ApiClientOptions {
  baseUrl?: string;
  token: string;
  fetchImpl?: typeof fetch;
  /** Called on every 401, so the app can send the user back to sign-in. */
  onUnauthorized?: (error: ApiError) => void;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly token: string;
  private readonly fetchImpl: typeof fetch;
  private readonly onUnauthorized: ((error: ApiError) => void) | undefined;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl ?? '';
    this.token = options.token;
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
    this.onUnauthorized = options.onUnauthorized;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let answer: Response;
    try {
      answer = await this.fetchImpl(`${this.baseUrl}/api${path}`, init);
    } catch (exc) {
      throw new ApiError(0, 'network_error', `cannot reach the Orcheo server (${String(exc)})`);
    }
    const text = await answer.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!answer.ok) {
      const err = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)
        ?.error;
      const error = new ApiError(
        answer.status,
        err?.code ?? `http_${answer.status}`,
        err?.message ?? `${method} ${path} failed with status ${answer.status}`,
        err?.details ?? {},
      );
      if (answer.status === 401) this.onUnauthorized?.(error);
      throw error;
    }
    return data as T;
  }

  // ---------------------------------------------------------------- system
  version(): Promise<{ version: string; api: string }> {
    return this.request('GET', '/version');
  }
  nodes(): Promise<NodeType[]> {
    return this.request('GET', '/nodes');
  }

  // ---------------------------------------------------------------- workflows
  listWorkflows(q = ''): Promise<Page<Workflow>> {
    const query = new URLSearchParams({ limit: '100' });
    if (q) query.set('q', q);
    return this.request('GET', `/workflows?${query.toString()}`);
  }
  getWorkflow(id: string): Promise<Workflow> {
    return this.request('GET', `/workflows/${enc(id)}`);
  }
  createWorkflow(body: { name: string; description?: string; spec?: WorkflowSpec }): Promise<Workflow> {
    return this.request('POST', '/workflows', body);
  }
  updateWorkflow(id: string, body: { revision: number; name?: string; description?: string }): Promise<Workflow> {
    return this.request('PATCH', `/workflows/${enc(id)}`, body);
  }
  deleteWorkflow(id: string): Promise<void> {
    return this.request('DELETE', `/workflows/${enc(id)}`);
  }
  listVersions(id: string): Promise<Version[]> {
    return this.request('GET', `/workflows/${enc(id)}/versions`);
  }
  getVersion(id: string, n: number): Promise<Version> {
    return this.request('GET', `/workflows/${enc(id)}/versions/${n}`);
  }
  saveVersion(id: string, body: { spec: WorkflowSpec; note?: string; base_version?: number }): Promise<Version> {
    return this.request('POST', `/workflows/${enc(id)}/versions`, body);
  }
  promote(id: string, version: number): Promise<Workflow> {
    return this.request('POST', `/workflows/${enc(id)}/promote`, { version });
  }
  exportWorkflow(id: string): Promise<ExportDocument> {
    return this.request('GET', `/workflows/${enc(id)}/export`);
  }
  importWorkflow(document: ExportDocument, workflowId?: string): Promise<Workflow> {
    return this.request('POST', '/workflows/import', workflowId ? { document, workflow_id: workflowId } : { document });
  }

  // ---------------------------------------------------------------- runs
  startRun(id: string, body: { inputs: JsonObject; version?: number; debug?: boolean }): Promise<Run> {
    return this.request('POST', `/workflows/${enc(id)}/runs`, body);
  }
  listRuns(workflowId: string, limit = 50): Promise<Page<Run>> {
    return this.request('GET', `/runs?workflow_id=${enc(workflowId)}&limit=${limit}`);
  }
  getRun(id: string): Promise<RunDetail> {
    return this.request('GET', `/runs/${enc(id)}`);
  }
  runEvents(id: string, afterSeq: number): Promise<RunEvent[]> {
    return this.request('GET', `/runs/${enc(id)}/events?after_seq=${afterSeq}`);
  }
  cancelRun(id: string): Promise<Run> {
    return this.request('POST', `/runs/${enc(id)}/cancel`, {});
  }
  replayRun(id: string, fromStep?: number): Promise<Run> {
    return this.request('POST', `/runs/${enc(id)}/replay`, fromStep === undefined ? {} : { from_step: fromStep });
  }

  // ---------------------------------------------------------------- triggers
  triggers(workflowId: string): Promise<TriggerState[]> {
    return this.request('GET', `/workflows/${enc(workflowId)}/triggers`);
  }
  nextFires(workflowId: string, triggerId: string, count = 5): Promise<FireTime[]> {
    return this.request('GET', `/workflows/${enc(workflowId)}/triggers/${enc(triggerId)}/next?count=${count}`);
  }
  pauseTrigger(workflowId: string, triggerId: string): Promise<TriggerState> {
    return this.request('POST', `/workflows/${enc(workflowId)}/triggers/${enc(triggerId)}/pause`, {});
  }
  resumeTrigger(workflowId: string, triggerId: string): Promise<TriggerState> {
    return this.request('POST', `/workflows/${enc(workflowId)}/triggers/${enc(triggerId)}/resume`, {});
  }
  /** The webhook's signing secret, answered once; afterwards a 409 (rotate instead). */
  webhookSecret(workflowId: string, triggerId: string): Promise<WebhookSecret> {
    return this.request('GET', `/workflows/${enc(workflowId)}/triggers/${enc(triggerId)}/secret`);
  }
  rotateWebhookSecret(workflowId: string, triggerId: string, graceSeconds = 0): Promise<WebhookSecret> {
    return this.request('POST', `/workflows/${enc(workflowId)}/triggers/${enc(triggerId)}/secret`, { grace_seconds: graceSeconds });
  }

  // ---------------------------------------------------------------- credentials
  credentials(): Promise<Credential[]> {
    return this.request('GET', '/credentials');
  }
  credentialTypes(): Promise<CredentialType[]> {
    return this.request('GET', '/credentials/types');
  }
  createCredential(body: {
    name: string;
    type: string;
    secret: Record<string, string>;
    settings?: Record<string, string>;
    scope?: string;
  }): Promise<Credential> {
    return this.request('POST', '/credentials', body);
  }
  updateCredential(
    id: string,
    body: { revision: number; name?: string; scope?: string; secret?: Record<string, string>; settings?: Record<string, string> },
  ): Promise<Credential> {
    return this.request('PATCH', `/credentials/${enc(id)}`, body);
  }
  deleteCredential(id: string): Promise<void> {
    return this.request('DELETE', `/credentials/${enc(id)}`);
  }
  testCredential(id: string, body: { url?: string; method?: string } = {}): Promise<CredentialTestResult> {
    return this.request('POST', `/credentials/${enc(id)}/test`, body);
  }
}

function enc(value: string): string {
  return encodeURIComponent(value);
}
