/** A form generated from a node's config JSON Schema (fields from lib/schemaForm). */
import { useState } from 'react';
import type { JsonValue } from '../api/types';
import { emptyValue, formatLiteral, parseLiteral, type FieldDesc } from '../lib/schemaForm';

type Value = JsonValue | undefined;
type Obj = Record<string, JsonValue>;

interface FieldProps {
  field: FieldDesc;
  path: string;
  value: Value;
  errors: Record<string, string[]>;
  onChange(value: Value, path: string): void;
}

function asObject(value: Value): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

function Messages({ list, path }: { list: string[] | undefined; path: string }) {
  if (!list?.length) return null;
  return (
    <ul className="field-errors" data-testid={`error-${path}`}>
      {list.map((m, i) => (
        <li key={i}>{m}</li>
      ))}
    </ul>
  );
}

function Label({ field, htmlFor }: { field: FieldDesc; htmlFor: string }) {
  return (
    <label htmlFor={htmlFor} title={field.description}>
      {field.title}
      {field.required && field.default === undefined && <span className="required"> *</span>}
    </label>
  );
}

function inputId(path: string) {
  return `f-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

function JsonBox({ field, path, value, onChange, errors }: FieldProps) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <>
      <textarea
        id={inputId(path)}
        data-testid={`field-${path}`}
        className="json"
        rows={4}
        value={text}
        placeholder={field.default !== undefined ? JSON.stringify(field.default) : 'JSON'}
        onChange={(e) => {
          setText(e.target.value);
          if (!e.target.value.trim()) {
            setBad(null);
            onChange(undefined, path);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value) as JsonValue, path);
            setBad(null);
          } catch (exc) {
            setBad(`Not valid JSON yet: ${(exc as Error).message}`);
          }
        }}
      />
      <Messages list={[...(bad ? [bad] : []), ...(errors[path] ?? [])]} path={path} />
    </>
  );
}

function MapEditor({ field, path, value, onChange, errors }: FieldProps) {
  const entries = Object.entries(asObject(value));
  const set = (next: [string, JsonValue][]) => onChange(Object.fromEntries(next), path);
  return (
    <div className="map-editor" data-testid={`field-${path}`}>
      {entries.map(([key, v], i) => (
        <div className="map-row" key={i}>
          <input
            aria-label={`${field.title} key ${i + 1}`}
            data-testid={`field-${path}.key.${i}`}
            value={key}
            placeholder="key"
            onChange={(e) => set(entries.map((en, j) => (j === i ? [e.target.value, en[1]] : en)))}
          />
          <input
            aria-label={`${field.title} value ${i + 1}`}
            data-testid={`field-${path}.value.${i}`}
            value={formatLiteral(v)}
            placeholder="value or {{ template }}"
            onChange={(e) => {
              const parsed = field.value?.kind === 'string' ? e.target.value : parseLiteral(e.target.value);
              set(entries.map((en, j) => (j === i ? [en[0], parsed] : en)));
            }}
          />
          <button type="button" className="icon-button" aria-label="Remove" onClick={() => set(entries.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button
        type="button"
        className="small"
        data-testid={`add-${path}`}
        onClick={() => {
          let key = 'key';
          for (let n = 2; entries.some(([k]) => k === key); n += 1) key = `key${n}`;
          set([...entries, [key, '']]);
        }}
      >
        + Add
      </button>
      <Messages list={errors[path]} path={path} />
    </div>
  );
}

function ListEditor({ field, path, value, onChange, errors }: FieldProps) {
  const items = Array.isArray(value) ? value : [];
  const item = field.item!;
  return (
    <div className="list-editor" data-testid={`field-${path}`}>
      {items.map((v, i) => (
        <div className="list-item" key={i}>
          <div className="list-item-body">
            <FieldInput
              field={{ ...item, title: `${item.kind === 'object' ? item.title : field.title} ${i + 1}` }}
              path={`${path}.${i}`}
              value={v}
              errors={errors}
              onChange={(nv, p) => onChange(items.map((x, j) => (j === i ? (nv ?? null) : x)), p)}
            />
          </div>
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove item ${i + 1}`}
            onClick={() => onChange(items.filter((_, j) => j !== i), path)}
          >
            ×
          </button>
        </div>
      ))}
      <button type="button" className="small" data-testid={`add-${path}`} onClick={() => onChange([...items, emptyValue(item)], path)}>
        + Add {item.kind === 'object' ? item.title.toLowerCase() : 'item'}
      </button>
      <Messages list={errors[path]} path={path} />
    </div>
  );
}

function ObjectFields({ fields, path, value, onChange, errors }: Omit<FieldProps, 'field'> & { fields: FieldDesc[] }) {
  const obj = asObject(value);
  return (
    <>
      {fields.map((f) => {
        const p = path ? `${path}.${f.key}` : f.key;
        return (
          <FieldInput
            key={f.key}
            field={f}
            path={p}
            value={obj[f.key]}
            errors={errors}
            onChange={(nv, changedPath) => {
              const next = { ...obj };
              if (nv === undefined) delete next[f.key];
              else next[f.key] = nv;
              onChange(next, changedPath);
            }}
          />
        );
      })}
    </>
  );
}

export function FieldInput(props: FieldProps) {
  const { field, path, value, onChange, errors } = props;
  const id = inputId(path);
  const placeholder = field.default !== undefined && field.default !== null ? formatLiteral(field.default) : '';
  const common = { id, 'data-testid': `field-${path}`, 'aria-invalid': Boolean(errors[path]?.length) };
  let control;
  switch (field.kind) {
    case 'object':
      return (
        <fieldset className="object-field">
          <legend title={field.description}>{field.title}</legend>
          <ObjectFields fields={field.fields ?? []} path={path} value={value} errors={errors} onChange={(v, p) => onChange(v, p)} />
          <Messages list={errors[path]} path={path} />
        </fieldset>
      );
    case 'map':
      control = <MapEditor {...props} />;
      break;
    case 'array':
      control = <ListEditor {...props} />;
      break;
    case 'json':
      control = <JsonBox {...props} />;
      break;
    case 'boolean':
      control = (
        <input
          {...common}
          type="checkbox"
          checked={typeof value === 'boolean' ? value : field.default === true}
          onChange={(e) => onChange(e.target.checked, path)}
        />
      );
      break;
    case 'enum':
      control = (
        <select
          {...common}
          value={value === undefined ? '' : formatLiteral(value)}
          onChange={(e) => {
            const option = field.options?.find((o) => formatLiteral(o) === e.target.value);
            onChange(e.target.value === '' ? undefined : option, path);
          }}
        >
          <option value="">{field.default !== undefined ? `default (${formatLiteral(field.default)})` : 'choose…'}</option>
          {field.options?.map((o) => (
            <option key={formatLiteral(o)} value={formatLiteral(o)}>
              {formatLiteral(o)}
            </option>
          ))}
        </select>
      );
      break;
    case 'text':
      control = (
        <textarea
          {...common}
          rows={field.key === 'code' ? 8 : 3}
          className={field.key === 'code' ? 'code' : undefined}
          value={typeof value === 'string' ? value : formatLiteral(value)}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value, path)}
        />
      );
      break;
    case 'number':
    case 'integer':
      control = (
        <input
          {...common}
          inputMode="decimal"
          value={formatLiteral(value)}
          placeholder={placeholder}
          onChange={(e) => {
            const t = e.target.value.trim();
            onChange(t === '' ? undefined : /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : e.target.value, path);
          }}
        />
      );
      break;
    case 'string':
      control = (
        <input
          {...common}
          value={typeof value === 'string' ? value : formatLiteral(value)}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value, path)}
        />
      );
      break;
    default:
      control = (
        <input
          {...common}
          value={formatLiteral(value)}
          placeholder={placeholder || 'value or {{ template }}'}
          onChange={(e) => onChange(e.target.value === '' ? undefined : parseLiteral(e.target.value), path)}
        />
      );
  }
  const selfValidated = field.kind === 'map' || field.kind === 'array' || field.kind === 'json';
  return (
    <div className={`field kind-${field.kind}`}>
      <Label field={field} htmlFor={id} />
      {control}
      {field.description && <p className="hint">{field.description}</p>}
      {!selfValidated && <Messages list={errors[path]} path={path} />}
    </div>
  );
}

interface FormProps {
  fields: FieldDesc[];
  value: Record<string, JsonValue>;
  errors: Record<string, string[]>;
  /** The new config and the path of the field that changed (one undo step per field). */
  onChange(value: Record<string, JsonValue>, path: string): void;
}

export function SchemaForm({ fields, value, errors, onChange }: FormProps) {
  return (
    <div className="schema-form">
      <ObjectFields fields={fields} path="" value={value} errors={errors} onChange={(v, p) => onChange(asObject(v), p)} />
    </div>
  );
}
