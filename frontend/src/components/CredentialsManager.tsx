/**
 * Credentials: list, create, edit, test, delete. A secret is typed once into a password
 * field, sent to the server and forgotten: afterwards the canvas only has the server's
 * masked preview (`ghp_…5678`). Used as a page (from the workflow list) and as a dialog
 * in the editor, where "new credential" fills a node's slot.
 */
import { useEffect, useMemo, useState } from 'react';
import { ApiError, type ApiClient } from '../api/client';
import type { Credential, CredentialTestResult } from '../api/types';
import { createBody, secretFields, updateSecret, type CredentialForm, type FormErrors } from '../lib/credentials';
import { useCredentials } from '../store/credentials';

interface Props {
  client: ApiClient;
  /** Offer "only this workflow" as a scope. */
  workflowId?: string;
  /** Types the new credential may have (a node slot's); all when unset. */
  onlyTypes?: string[];
  onCreated?(credential: Credential): void;
}

const emptyForm = (type: string): CredentialForm => ({ name: '', type, scope: 'global', secret: {}, settings: {} });

function serverErrors(exc: unknown): { errors: FormErrors; message: string } {
  if (exc instanceof ApiError) {
    const field = exc.details['field'];
    return { errors: typeof field === 'string' ? { [field]: exc.message } : {}, message: exc.message };
  }
  return { errors: {}, message: (exc as Error).message };
}

export function CredentialsManager({ client, workflowId, onlyTypes, onCreated }: Props) {
  const { list, types, loaded, error, load, put, drop } = useCredentials();
  const offered = useMemo(() => types.filter((t) => !onlyTypes || onlyTypes.includes(t.type)), [types, onlyTypes]);
  const [form, setForm] = useState<CredentialForm>(() => emptyForm(onlyTypes?.[0] ?? 'http_bearer'));
  const [editing, setEditing] = useState<Credential | null>(null);
  const [errors, setErrors] = useState<FormErrors>({});
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [tests, setTests] = useState<Record<string, CredentialTestResult | string>>({});
  const [extraField, setExtraField] = useState('');

  useEffect(() => {
    void load(client, true);
  }, [client, load]);
  useEffect(() => {
    if (offered.length && !offered.some((t) => t.type === form.type)) setForm((f) => ({ ...f, type: offered[0]!.type }));
  }, [offered, form.type]);

  const type = types.find((t) => t.type === form.type);
  const fields = secretFields(type, form);

  const reset = () => {
    setForm(emptyForm(form.type));
    setEditing(null);
    setErrors({});
  };

  const submit = async () => {
    setMessage(null);
    setBusy(true);
    try {
      if (editing) {
        const { secret, errors: bad } = updateSecret(type, form);
        if (Object.keys(bad).length) return setErrors(bad);
        const settings = Object.fromEntries(Object.entries(form.settings).filter(([, v]) => v !== ''));
        const saved = await client.updateCredential(editing.id, {
          revision: editing.revision,
          ...(form.name.trim() && form.name.trim() !== editing.name ? { name: form.name.trim() } : {}),
          ...(form.scope !== editing.scope ? { scope: form.scope } : {}),
          ...(secret ? { secret } : {}),
          settings,
        });
        put(saved);
        setMessage({ kind: 'info', text: `Saved “${saved.name}”${secret ? ': the new secret is stored, shown from now on as ' + saved.preview : ''}.` });
        reset();
      } else {
        const { body, errors: bad } = createBody(type, form);
        if (!body) return setErrors(bad);
        const created = await client.createCredential(body);
        put(created);
        setMessage({ kind: 'info', text: `Created “${created.name}”. Its secret is stored in the vault and shown from now on only as ${created.preview}.` });
        reset();
        onCreated?.(created);
      }
    } catch (exc) {
      const { errors: bad, message: text } = serverErrors(exc);
      setErrors(bad);
      setMessage({ kind: 'error', text: exc instanceof ApiError && exc.status === 409 ? `${text} (reload the list if it changed elsewhere)` : text });
    } finally {
      setBusy(false);
    }
  };

  const startEdit = (c: Credential) => {
    setEditing(c);
    setErrors({});
    setForm({ name: c.name, type: c.type, scope: c.scope, secret: {}, settings: { ...c.settings } });
  };

  const remove = async (c: Credential) => {
    if (!window.confirm(`Delete the credential “${c.name}”? Runs of nodes that use it will fail.`)) return;
    try {
      await client.deleteCredential(c.id);
      drop(c.id);
      if (editing?.id === c.id) reset();
    } catch (exc) {
      setMessage({ kind: 'error', text: (exc as Error).message });
    }
  };

  const test = async (c: Credential) => {
    setTests((t) => ({ ...t, [c.id]: 'testing…' }));
    try {
      const result = await client.testCredential(c.id);
      setTests((t) => ({ ...t, [c.id]: result }));
    } catch (exc) {
      setTests((t) => ({ ...t, [c.id]: (exc as Error).message }));
    }
  };

  const fieldError = (key: string) =>
    errors[key] ? (
      <ul className="field-errors" data-testid={`cred-error-${key}`}>
        <li>{errors[key]}</li>
      </ul>
    ) : null;

  return (
    <div className="credentials" data-testid="credentials">
      {message && (
        <p className={`banner ${message.kind}`} role="status" data-testid="cred-message">
          {message.text}
        </p>
      )}
      {error && <p className="banner error">{error}</p>}
      <table className="workflows cred-table" data-testid="cred-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Secret</th>
            <th>Scope</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((c) => {
            const result = tests[c.id];
            const testable = types.find((t) => t.type === c.type)?.testable;
            return (
              <tr key={c.id} data-testid={`cred-row-${c.name}`}>
                <td>
                  <strong>{c.name}</strong>
                  <div className="muted small">{c.id}</div>
                </td>
                <td>{c.type}</td>
                <td>
                  <code data-testid={`cred-preview-${c.name}`} title={`fields: ${c.fields.join(', ')}`}>
                    {c.preview}
                  </code>
                </td>
                <td className="small">{c.scope}</td>
                <td>
                  <span className="row-actions">
                    {testable && (
                      <button className="small" onClick={() => void test(c)} data-testid={`cred-test-${c.name}`} title="Send one request signed with it to its test URL">
                        Test
                      </button>
                    )}
                    <button className="small" onClick={() => startEdit(c)} data-testid={`cred-edit-${c.name}`}>
                      Edit
                    </button>
                    <button className="small danger" onClick={() => void remove(c)} data-testid={`cred-delete-${c.name}`}>
                      Delete
                    </button>
                  </span>
                  {result && (
                    <div className={`small ${typeof result !== 'string' && result.ok ? 'ok-text' : typeof result === 'string' && result === 'testing…' ? 'muted' : 'error'}`} data-testid={`cred-test-result-${c.name}`}>
                      {typeof result === 'string' ? result : `${result.ok ? '✓' : '✗'} ${result.message} (${Math.round(result.duration * 1000)} ms)`}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
          {loaded && list.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No credentials yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>

      <form
        className="cred-form"
        data-testid="cred-form"
        autoComplete="off"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h3>{editing ? `Edit “${editing.name}”` : 'New credential'}</h3>
        <div className="field">
          <label htmlFor="cred-type">Type</label>
          <select id="cred-type" data-testid="cred-type" value={form.type} disabled={Boolean(editing)} onChange={(e) => setForm({ ...emptyForm(e.target.value), name: form.name, scope: form.scope })}>
            {(editing ? types : offered).map((t) => (
              <option key={t.type} value={t.type}>
                {t.type}
              </option>
            ))}
          </select>
          {type && <p className="hint">{type.description}</p>}
        </div>
        <div className="field">
          <label htmlFor="cred-name">Name</label>
          <input id="cred-name" data-testid="cred-name" value={form.name} placeholder="e.g. github-token" onChange={(e) => setForm({ ...form, name: e.target.value })} />
          {fieldError('name')}
        </div>
        {fields.map((field) => (
          <div className="field" key={field}>
            <label htmlFor={`cred-secret-${field}`}>
              {field} <span className="muted small">(secret)</span>
            </label>
            <input
              id={`cred-secret-${field}`}
              data-testid={`cred-secret-${field}`}
              type="password"
              autoComplete="new-password"
              value={form.secret[field] ?? ''}
              placeholder={editing ? `stored (${editing.preview}); type to replace` : ''}
              onChange={(e) => setForm({ ...form, secret: { ...form.secret, [field]: e.target.value } })}
            />
            {fieldError(`secret.${field}`)}
          </div>
        ))}
        {type?.any_secret_fields && (
          <div className="inline-form">
            <input aria-label="Secret field name" data-testid="cred-new-field" placeholder="secret field name" value={extraField} onChange={(e) => setExtraField(e.target.value)} />
            <button
              type="button"
              className="small"
              onClick={() => {
                if (extraField.trim()) setForm({ ...form, secret: { ...form.secret, [extraField.trim()]: '' } });
                setExtraField('');
              }}
            >
              + field
            </button>
          </div>
        )}
        {fieldError('secret')}
        {type?.settings.map((key) => (
          <div className="field" key={key}>
            <label htmlFor={`cred-setting-${key}`}>
              {key}
              {type.required_settings.includes(key) && <span className="required"> *</span>}
            </label>
            <input
              id={`cred-setting-${key}`}
              data-testid={`cred-setting-${key}`}
              value={form.settings[key] ?? ''}
              placeholder={type.setting_defaults[key] ?? (key === 'test_url' ? 'https://api.example.com/me (for Test)' : '')}
              onChange={(e) => setForm({ ...form, settings: { ...form.settings, [key]: e.target.value } })}
            />
            {fieldError(`settings.${key}`)}
          </div>
        ))}
        <div className="field">
          <label htmlFor="cred-scope">Usable by</label>
          <select id="cred-scope" data-testid="cred-scope" value={form.scope} onChange={(e) => setForm({ ...form, scope: e.target.value })}>
            <option value="global">every workflow</option>
            {workflowId && <option value={`workflow:${workflowId}`}>only this workflow</option>}
            {form.scope !== 'global' && form.scope !== `workflow:${workflowId}` && <option value={form.scope}>{form.scope}</option>}
          </select>
          {fieldError('scope')}
        </div>
        <p className="hint">The secret goes to the server's vault and is never shown again: only a masked preview.</p>
        <span className="row-actions">
          <button type="submit" className="primary" disabled={busy} data-testid="cred-save">
            {editing ? 'Save changes' : 'Create credential'}
          </button>
          {editing && (
            <button type="button" onClick={reset}>
              Cancel
            </button>
          )}
        </span>
      </form>
    </div>
  );
}

/** The manager as a dialog over the editor. */
export function CredentialsDialog({ onClose, ...props }: Props & { onClose(): void }) {
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal wide" role="dialog" aria-label="Credentials" data-testid="credentials-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="config-head">
          <h2>Credentials</h2>
          <button className="icon-button" aria-label="Close" onClick={onClose} data-testid="credentials-close">
            ×
          </button>
        </div>
        <CredentialsManager {...props} />
      </div>
    </div>
  );
}
