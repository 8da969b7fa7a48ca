/** Shapes of the Orcheo HTTP API (docs/api.md); only the fields the canvas reads. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Position {
  x: number;
  y: number;
}

export interface NodeSpec {
  id: string;
  type: string;
  config?: JsonObject;
  credentials?: Record<string, string>;
  retry?: JsonObject | null;
  timeout?: number | null;
  ui?: { position?: Position | null; label?: string | null };
}

export interface StaticEdgeSpec {
  kind?: 'static';
  source: string;
  target: string;
}
export interface ConditionalEdgeSpec {
  kind?: 'conditional';
  source: string;
  routes: Record<string, string>;
  default?: string | null;
}
export interface JoinEdgeSpec {
  kind?: 'join';
  sources: string[];
  target: string;
}
export type EdgeSpec = StaticEdgeSpec | ConditionalEdgeSpec | JoinEdgeSpec;

export interface WorkflowSpec {
  schema_version?: 1;
  id?: string | null;
  name: string;
  description?: string;
  entry?: string | null;
  nodes: NodeSpec[];
  edges: EdgeSpec[];
  state?: Record<string, JsonObject>;
  triggers?: JsonObject[];
  settings?: JsonObject;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: JsonValue;
  enum?: JsonValue[];
  const?: JsonValue;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}

export interface NodeType {
  type: string;
  display_name: string;
  category: string;
  icon: string;
  description: string;
  credential_types: string[];
  output_description: string;
  is_router: boolean;
  config_schema: JsonSchema;
}

export interface Workflow {
  id: string;
  name: string;
  description: string;
  tags: string[];
  current_version: number | null;
  latest_version: number;
  archived: boolean;
  revision: number;
  created_at: number;
  updated_at: number;
}

export interface Version {
  workflow_id: string;
  number: number;
  kind: 'spec' | 'script' | string;
  spec: WorkflowSpec;
  source?: string | null;
  note: string;
  created_at: number;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface RunEvent {
  run_id: string;
  workflow_id: string;
  seq: number;
  type: string;
  node: string | null;
  attempt: number | null;
  data: JsonObject;
  ts: number;
}

export interface Run {
  id: string;
  workflow_id: string;
  version: number;
  status: RunStatus;
  inputs: JsonObject;
  state: JsonObject | null;
  error: JsonObject | null;
  debug: boolean;
  trigger: string;
  replay_of: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration: number | null;
  last_seq: number;
}

export interface RunDetail extends Run {
  events: RunEvent[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Problem {
  loc: string;
  message: string;
  code?: string;
  severity?: string;
  hint?: string;
}

export interface ExportDocument {
  format: string;
  [key: string]: JsonValue;
}

// ------------------------------------------------------------------ credentials

export interface Credential {
  id: string;
  name: string;
  type: string;
  scope: string;
  /** A masked preview of the main secret field, e.g. `ghp_…5678`: the secret itself is never returned. */
  preview: string;
  fields: string[];
  settings: Record<string, string>;
  revision: number;
  created_at: number;
  updated_at: number;
}

export interface CredentialType {
  type: string;
  description: string;
  secret_fields: string[];
  optional_secret_fields: string[];
  any_secret_fields: boolean;
  settings: string[];
  required_settings: string[];
  setting_defaults: Record<string, string>;
  testable: boolean;
}

export interface CredentialTestResult {
  ok: boolean;
  status: number | null;
  message: string;
  url: string;
  duration: number;
}

// ------------------------------------------------------------------ triggers

export interface FireTime {
  unix: number;
  /** ISO 8601 in the trigger's time zone. */
  at: string;
}

/** A trigger of the workflow's current version with the server's state (GET /triggers). */
export interface TriggerState {
  id: string;
  type: 'manual' | 'webhook' | 'cron' | string;
  config: JsonObject;
  paused: boolean | null;
  schedule_id: string | null;
  scheduled: boolean;
  description: string | null;
  next_fire_times: FireTime[];
  last_run_id: string | null;
  skipped_fires: number;
  url_path: string | null;
  secret: { set: boolean; shown: boolean; previews: string[]; created_at?: number } | null;
}

export interface WebhookSecret {
  secret: string;
  preview: string;
  created_at: number;
  previous_valid_until: number | null;
}
