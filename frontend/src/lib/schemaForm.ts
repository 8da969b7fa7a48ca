/**
 * A node's config JSON Schema (pydantic output) turned into form fields, and the
 * checks the form runs as the user types. The server stays the judge: its 422
 * problems are shown next to the same fields (see problems.ts).
 */
import type { JsonSchema, JsonValue } from '../api/types';

export type FieldKind =
  | 'string'
  | 'text'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'any'
  | 'object'
  | 'map'
  | 'array'
  | 'json';

export interface FieldDesc {
  key: string;
  kind: FieldKind;
  title: string;
  description: string;
  required: boolean;
  nullable: boolean;
  default?: JsonValue;
  options?: JsonValue[];
  fields?: FieldDesc[];
  item?: FieldDesc;
  value?: FieldDesc;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

const MULTILINE = new Set(['code', 'body', 'expression', 'source_code', 'prompt']);

function resolve(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema {
  if (schema.$ref && depth < 20) {
    const name = schema.$ref.replace(/^#\/\$defs\//, '');
    const target = root.$defs?.[name];
    if (target) return resolve({ ...target, ...withoutRef(schema) }, root, depth + 1);
  }
  if (schema.allOf?.length === 1) return resolve({ ...schema.allOf[0], ...withoutKey(schema, 'allOf') }, root, depth + 1);
  return schema;
}

function withoutRef(schema: JsonSchema): JsonSchema {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}
function withoutKey(schema: JsonSchema, key: keyof JsonSchema): JsonSchema {
  const copy = { ...schema };
  delete copy[key];
  return copy;
}

function humanise(key: string): string {
  const words = key.replace(/_/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

/** One field from a property schema. */
export function describeField(key: string, raw: JsonSchema, root: JsonSchema, required = false): FieldDesc {
  let schema = resolve(raw, root);
  let nullable = false;
  if (schema.anyOf) {
    const options = schema.anyOf.map((s) => resolve(s, root));
    const nonNull = options.filter((s) => s.type !== 'null');
    nullable = nonNull.length < options.length;
    if (nonNull.length === 1) schema = { ...nonNull[0], ...withoutKey(schema, 'anyOf') };
  }
  const base: FieldDesc = {
    key,
    kind: 'any',
    title: schema.title ?? raw.title ?? humanise(key),
    description: schema.description ?? raw.description ?? '',
    required,
    nullable,
  };
  if (schema.default !== undefined) base.default = schema.default;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.enum) return { ...base, kind: 'enum', options: schema.enum };
  if (schema.anyOf || schema.oneOf) return { ...base, kind: 'json' };
  switch (type) {
    case 'string': {
      const field: FieldDesc = { ...base, kind: MULTILINE.has(key) ? 'text' : 'string' };
      if (schema.minLength !== undefined) field.minLength = schema.minLength;
      if (schema.maxLength !== undefined) field.maxLength = schema.maxLength;
      if (schema.pattern !== undefined) field.pattern = schema.pattern;
      return field;
    }
    case 'number':
    case 'integer': {
      const field: FieldDesc = { ...base, kind: type };
      const min = schema.minimum ?? schema.exclusiveMinimum;
      const max = schema.maximum ?? schema.exclusiveMaximum;
      if (min !== undefined) field.minimum = min;
      if (max !== undefined) field.maximum = max;
      return field;
    }
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'array': {
      if (!schema.items) return { ...base, kind: 'json' };
      return { ...base, kind: 'array', item: describeField('item', schema.items, root, true) };
    }
    case 'object': {
      if (schema.properties) return { ...base, kind: 'object', fields: describeObject(schema, root) };
      const extra = schema.additionalProperties;
      const value = typeof extra === 'object' ? describeField('value', extra, root, true) : undefined;
      return value ? { ...base, kind: 'map', value } : { ...base, kind: 'map' };
    }
    default:
      return base;
  }
}

/** The fields of an object schema, in the order the schema lists them. */
export function describeObject(schema: JsonSchema, root: JsonSchema = schema): FieldDesc[] {
  const resolved = resolve(schema, root);
  const required = new Set(resolved.required ?? []);
  return Object.entries(resolved.properties ?? {}).map(([key, prop]) =>
    describeField(key, prop, root, required.has(key)),
  );
}

/** What a text box for an untyped (`any`) field means: numbers, true/false, null and JSON are parsed; the rest is text. */
export function parseLiteral(text: string): JsonValue {
  const t = text.trim();
  if (t === '') return '';
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return JSON.parse(t) as JsonValue;
    } catch {
      return text;
    }
  }
  return text;
}

export function formatLiteral(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === '' || value === null;
}

/**
 * Messages keyed by dotted field path (`url`, `conditions.0.left`) for one node's
 * config. Checks what the schema says (required, type, enum, bounds, pattern); the
 * server adds the rest on save.
 */
export function validateConfig(fields: FieldDesc[], config: Record<string, unknown>, prefix = ''): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const path = prefix ? `${prefix}.${field.key}` : field.key;
    const value = config[field.key];
    const message = checkValue(field, value);
    if (message) errors[path] = message;
    else if (field.kind === 'object' && field.fields && isRecord(value)) {
      Object.assign(errors, validateConfig(field.fields, value, path));
    } else if (field.kind === 'array' && field.item && Array.isArray(value)) {
      value.forEach((item, i) => {
        const itemPath = `${path}.${i}`;
        const itemMessage = checkValue(field.item!, item);
        if (itemMessage) errors[itemPath] = itemMessage;
        else if (field.item!.kind === 'object' && field.item!.fields && isRecord(item)) {
          Object.assign(errors, validateConfig(field.item!.fields, item, itemPath));
        }
      });
    }
  }
  return errors;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkValue(field: FieldDesc, value: unknown): string | null {
  if (isEmpty(value)) {
    if (value === null && field.nullable) return null;
    if (field.required && field.default === undefined && field.kind !== 'any') return `${field.title} is required`;
    return null;
  }
  switch (field.kind) {
    case 'string':
    case 'text': {
      if (typeof value !== 'string') return `${field.title} must be text`;
      if (field.minLength !== undefined && value.length < field.minLength)
        return `${field.title} needs at least ${field.minLength} characters`;
      if (field.maxLength !== undefined && value.length > field.maxLength)
        return `${field.title} takes at most ${field.maxLength} characters`;
      if (field.pattern && !value.includes('{{') && !new RegExp(field.pattern).test(value))
        return `${field.title} does not have the expected form`;
      return null;
    }
    case 'number':
    case 'integer': {
      if (typeof value === 'string' && value.includes('{{')) return null;
      if (typeof value !== 'number' || Number.isNaN(value)) return `${field.title} must be a number`;
      if (field.kind === 'integer' && !Number.isInteger(value)) return `${field.title} must be a whole number`;
      if (field.minimum !== undefined && value < field.minimum) return `${field.title} must be at least ${field.minimum}`;
      if (field.maximum !== undefined && value > field.maximum) return `${field.title} must be at most ${field.maximum}`;
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : `${field.title} must be yes or no`;
    case 'enum':
      return field.options?.some((o) => o === value)
        ? null
        : `${field.title} must be one of ${(field.options ?? []).map((o) => String(o)).join(', ')}`;
    case 'object':
    case 'map':
      return isRecord(value) ? null : `${field.title} must be an object`;
    case 'array':
      return Array.isArray(value) ? null : `${field.title} must be a list`;
    default:
      return null;
  }
}

/** An empty value for a new list item or object property of this field. */
export function emptyValue(field: FieldDesc): JsonValue {
  if (field.default !== undefined) return structuredClone(field.default);
  switch (field.kind) {
    case 'object': {
      const out: Record<string, JsonValue> = {};
      for (const f of field.fields ?? []) if (f.required) out[f.key] = emptyValue(f);
      return out;
    }
    case 'map':
      return {};
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'enum':
      return field.options?.[0] ?? '';
    default:
      return '';
  }
}

/** A new node's config: its required fields, empty (the form then says what to fill in). */
export function initialConfig(schema: JsonSchema): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const field of describeObject(schema)) {
    if (field.required && field.default === undefined && (field.kind === 'map' || field.kind === 'array' || field.kind === 'object')) {
      out[field.key] = emptyValue(field);
    }
  }
  return out;
}
