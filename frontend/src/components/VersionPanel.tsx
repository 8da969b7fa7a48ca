import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { Version, Workflow } from '../api/types';
import { diffSpecs } from '../lib/diff';

interface Props {
  client: ApiClient;
  workflow: Workflow;
  refreshKey: number;
  onOpen(version: Version): void;
  onRestore(version: Version): Promise<void>;
  canvasVersion: number | null;
  dirty: boolean;
}

/** Every saved version, newest first, with what changed from the one before. */
export function VersionPanel({ client, workflow, refreshKey, onOpen, onRestore, canvasVersion, dirty }: Props) {
  const [versions, setVersions] = useState<Version[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setVersions(await client.listVersions(workflow.id));
    } catch (exc) {
      setError((exc as Error).message);
    }
  }, [client, workflow.id]);

  useEffect(() => {
    void load();
  }, [load, refreshKey, workflow.current_version]);

  const rows = useMemo(
    () =>
      versions
        .map((v, i) => ({ version: v, diff: i > 0 && v.kind === 'spec' && versions[i - 1]!.kind === 'spec' ? diffSpecs(versions[i - 1]!.spec, v.spec) : null }))
        .reverse(),
    [versions],
  );

  return (
    <div className="version-panel" data-testid="version-panel">
      {error && <p className="error">{error}</p>}
      {rows.length === 0 && <p className="muted">Nothing saved yet. Save to create version 1.</p>}
      <ol className="versions">
        {rows.map(({ version, diff }) => (
          <li key={version.number} data-testid={`version-${version.number}`}>
            <div className="version-line">
              <strong>v{version.number}</strong>
              {workflow.current_version === version.number && <span className="badge">current</span>}
              <span className="muted small">{new Date(version.created_at * 1000).toLocaleString()}</span>
            </div>
            {version.kind === 'script' && <span className="badge">Python script</span>}
            {version.note && <div className="small">{version.note}</div>}
            <div className="muted small">{diff ? diff.summary : version.number === 1 ? 'first version' : ''}</div>
            {diff && (diff.added.length > 0 || diff.removed.length > 0 || diff.changed.length > 0) && (
              <ul className="diff small">
                {diff.added.map((id) => (
                  <li key={`a${id}`} className="added">+ {id}</li>
                ))}
                {diff.removed.map((id) => (
                  <li key={`r${id}`} className="removed">− {id}</li>
                ))}
                {diff.changed.map((c) => (
                  <li key={`c${c.id}`} className="changed">
                    ~ {c.id}: {c.paths.join(', ')}
                  </li>
                ))}
              </ul>
            )}
            <div className="row-actions">
              <button className="small" onClick={() => onOpen(version)}>
                Open
              </button>
              <button
                className="small"
                data-testid={`restore-${version.number}`}
                disabled={workflow.current_version === version.number && canvasVersion === version.number && !dirty}
                title="Make this the version that runs, and open it"
                onClick={() => void onRestore(version)}
              >
                Restore
              </button>
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
