import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, type ApiClient } from '../api/client';
import type { ExportDocument, Workflow } from '../api/types';
import { TEMPLATES, specFromTemplate, templateNodeTypes, type Template } from '../lib/templates';

interface Props {
  client: ApiClient;
  onOpen(id: string): void;
  onCredentials(): void;
  onSignOut(): void;
}

function when(ts: number): string {
  return new Date(ts * 1000).toLocaleString();
}

export function WorkflowList({ client, onOpen, onCredentials, onSignOut }: Props) {
  const [items, setItems] = useState<Workflow[]>([]);
  const [query, setQuery] = useState('');
  const [name, setName] = useState('');
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [loading, setLoading] = useState(true);
  const fileInput = useRef<HTMLInputElement>(null);

  const refresh = useCallback(async () => {
    try {
      const page = await client.listWorkflows(query);
      setItems(page.items);
    } catch (exc) {
      setMessage({ kind: 'error', text: String((exc as Error).message) });
    } finally {
      setLoading(false);
    }
  }, [client, query]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const title = name.trim();
    if (!title) return;
    try {
      const wf = await client.createWorkflow({ name: title });
      setName('');
      onOpen(wf.id);
    } catch (exc) {
      setMessage({ kind: 'error', text: (exc as Error).message });
    }
  };

  const fromTemplate = async (template: Template) => {
    try {
      const spec = specFromTemplate(template);
      const wf = await client.createWorkflow({ name: spec.name, description: spec.description ?? '', spec });
      onOpen(wf.id);
    } catch (exc) {
      const problems = exc instanceof ApiError ? exc.problems.map((p) => `${p.loc}: ${p.message}`) : [];
      setMessage({ kind: 'error', text: [`Cannot start from “${template.name}”: ${(exc as Error).message}`, ...problems].join('\n') });
    }
  };

  const rename = async (wf: Workflow, newName: string) => {
    setRenaming(null);
    if (!newName.trim() || newName === wf.name) return;
    try {
      await client.updateWorkflow(wf.id, { revision: wf.revision, name: newName.trim() });
      await refresh();
    } catch (exc) {
      const text =
        exc instanceof ApiError && exc.status === 409
          ? `"${wf.name}" was changed elsewhere meanwhile; the list is reloaded, rename it again.`
          : (exc as Error).message;
      setMessage({ kind: 'error', text });
      await refresh();
    }
  };

  const remove = async (wf: Workflow) => {
    if (!window.confirm(`Delete "${wf.name}" and all its versions? Runs stay in the history.`)) return;
    try {
      await client.deleteWorkflow(wf.id);
      setMessage({ kind: 'info', text: `Deleted "${wf.name}".` });
      await refresh();
    } catch (exc) {
      setMessage({ kind: 'error', text: (exc as Error).message });
    }
  };

  const importFile = async (file: File) => {
    let document: ExportDocument;
    try {
      document = JSON.parse(await file.text()) as ExportDocument;
    } catch {
      setMessage({ kind: 'error', text: `${file.name} is not a JSON file.` });
      return;
    }
    try {
      let wf: Workflow;
      try {
        wf = await client.importWorkflow(document);
      } catch (exc) {
        // The exported id is taken (re-importing into the same server): import a copy.
        if (!(exc instanceof ApiError && exc.status === 409)) throw exc;
        const base = String((document['workflow'] as { id?: string } | undefined)?.id ?? 'imported').slice(0, 80);
        wf = await client.importWorkflow(document, `${base}-copy-${Date.now().toString(36).slice(-5)}`);
      }
      setMessage({ kind: 'info', text: `Imported "${wf.name}" with ${wf.latest_version} version(s).` });
      await refresh();
    } catch (exc) {
      const problems = exc instanceof ApiError ? exc.problems.map((p) => `${p.loc}: ${p.message}`) : [];
      setMessage({ kind: 'error', text: [(exc as Error).message, ...problems].join('\n') });
    }
  };

  return (
    <main className="list-page">
      <header className="topbar">
        <h1>Orcheo workflows</h1>
        <div className="spacer" />
        <button onClick={onCredentials} data-testid="credentials-button">
          Credentials
        </button>
        <button onClick={() => fileInput.current?.click()} data-testid="import-button">
          Import JSON…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void importFile(file);
            e.target.value = '';
          }}
        />
        <button onClick={onSignOut}>Sign out</button>
      </header>
      {message && (
        <p className={message.kind === 'error' ? 'banner error' : 'banner info'} role="status" data-testid="list-message">
          {message.text}
        </p>
      )}
      <section className="list-tools">
        <form onSubmit={create} className="inline-form">
          <input
            placeholder="New workflow name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="new-workflow-name"
          />
          <button type="submit" data-testid="create-workflow">
            Create
          </button>
        </form>
        <input
          type="search"
          placeholder="Search name, description, tags"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          aria-label="Search workflows"
        />
      </section>
      <details className="templates" data-testid="template-gallery" open={!loading && items.length === 0}>
        <summary>Start from a template</summary>
        <div className="template-grid">
          {TEMPLATES.map((t) => (
            <article className="template-card" key={t.id} data-testid={`template-${t.id}`}>
              <h3>{t.name}</h3>
              <p className="small">{t.description}</p>
              <p className="muted small">
                {templateNodeTypes(t).join(' · ')}
                {(t.spec.triggers ?? []).map((tr) => ` · ${String(tr['type'])} trigger`).join('')}
              </p>
              <button className="small primary" onClick={() => void fromTemplate(t)} data-testid={`use-template-${t.id}`}>
                Use this template
              </button>
            </article>
          ))}
        </div>
      </details>
      {loading ? (
        <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p className="muted">No workflows yet: create one above, or import a JSON export.</p>
      ) : (
        <table className="workflows" data-testid="workflow-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Version</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((wf) => (
              <tr key={wf.id} data-testid={`workflow-row-${wf.id}`}>
                <td>
                  {renaming?.id === wf.id ? (
                    <input
                      autoFocus
                      value={renaming.name}
                      aria-label="New name"
                      onChange={(e) => setRenaming({ id: wf.id, name: e.target.value })}
                      onBlur={() => void rename(wf, renaming.name)}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter') void rename(wf, renaming.name);
                        if (e.key === 'Escape') setRenaming(null);
                      }}
                    />
                  ) : (
                    <a href={`#/w/${encodeURIComponent(wf.id)}`} className="wf-name">
                      {wf.name}
                    </a>
                  )}
                  <div className="muted small">{wf.id}</div>
                </td>
                <td>
                  {wf.current_version ?? '—'}
                  {wf.latest_version !== wf.current_version && wf.latest_version > 0 ? ` (latest ${wf.latest_version})` : ''}
                </td>
                <td>{when(wf.updated_at)}</td>
                <td className="row-actions">
                  <button onClick={() => onOpen(wf.id)}>Open</button>
                  <button onClick={() => setRenaming({ id: wf.id, name: wf.name })}>Rename</button>
                  <button className="danger" onClick={() => void remove(wf)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
