/** A node's credential slots (e.g. http_request's `auth`): pick a credential, or create one here. */
import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/client';
import type { JsonObject, NodeType } from '../api/types';
import { credentialSlots, findCredential, pickable, slotTypes } from '../lib/credentials';
import { useCredentials } from '../store/credentials';
import { editorStore } from '../store/editor';
import { CredentialsDialog } from './CredentialsManager';

interface Props {
  client: ApiClient;
  workflowId: string | undefined;
  nodeId: string;
  entry: NodeType;
  config: JsonObject;
  bound: Record<string, string>;
}

export function CredentialPicker({ client, workflowId, nodeId, entry, config, bound }: Props) {
  const { list, loaded, load } = useCredentials();
  const [creating, setCreating] = useState<string | null>(null);
  useEffect(() => {
    void load(client);
  }, [client, load]);
  const slots = credentialSlots(entry);
  if (!slots.length) return null;

  return (
    <div className="credential-slots" data-testid="credential-slots">
      <h3>Credentials</h3>
      {slots.map((slot) => {
        const types = slotTypes(entry, config);
        const ref = bound[slot];
        const current = findCredential(list, ref);
        const options = pickable(list, types.length ? types : entry.credential_types, workflowId);
        const wrongType = current && types.length > 0 && !types.includes(current.type);
        return (
          <div className="field" key={slot}>
            <label htmlFor={`cred-slot-${slot}`}>
              {slot} <span className="muted small">({(types.length ? types : entry.credential_types).join(' or ')})</span>
            </label>
            <div className="inline-form">
              <select
                id={`cred-slot-${slot}`}
                data-testid={`cred-slot-${slot}`}
                value={current?.id ?? ref ?? ''}
                onChange={(e) => editorStore.getState().setCredential(nodeId, slot, e.target.value || null)}
              >
                <option value="">— none —</option>
                {options.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.preview})
                  </option>
                ))}
                {ref && !options.some((c) => c.id === current?.id) && <option value={current?.id ?? ref}>{current ? `${current.name} (${current.preview})` : `${ref} (not on this server)`}</option>}
              </select>
              <button className="small" onClick={() => setCreating(slot)} data-testid={`cred-new-${slot}`} title="Create a credential and use it here">
                + New
              </button>
            </div>
            {entry.type === 'http_request' && !types.length && (
              <p className="hint">Set Auth to bearer, basic or api_key to sign requests with a credential.</p>
            )}
            {types.length > 0 && !ref && <p className="hint warn-text" data-testid={`cred-missing-${slot}`}>⚠ Auth is {String(config['auth'])}: choose a credential.</p>}
            {wrongType && <p className="hint warn-text">⚠ {current.name} is a {current.type} credential; auth {String(config['auth'])} needs {types.join(' or ')}.</p>}
            {loaded && ref && !current && <p className="hint warn-text">⚠ No credential “{ref}” on this server: runs will fail until one exists.</p>}
          </div>
        );
      })}
      {creating && (
        <CredentialsDialog
          client={client}
          workflowId={workflowId}
          onlyTypes={slotTypes(entry, config).length ? slotTypes(entry, config) : entry.credential_types}
          onClose={() => setCreating(null)}
          onCreated={(c) => {
            editorStore.getState().setCredential(nodeId, creating, c.id);
            setCreating(null);
          }}
        />
      )}
    </div>
  );
}
