/** Credentials (never their secrets) and their types, loaded once per session and kept in step by the manager. */
import { create } from 'zustand';
import type { ApiClient } from '../api/client';
import type { Credential, CredentialType } from '../api/types';

interface CredentialsState {
  list: Credential[];
  types: CredentialType[];
  loaded: boolean;
  error: string | null;
  load(client: ApiClient, force?: boolean): Promise<void>;
  put(credential: Credential): void;
  drop(id: string): void;
}

export const useCredentials = create<CredentialsState>()((set, get) => ({
  list: [],
  types: [],
  loaded: false,
  error: null,
  async load(client, force = false) {
    if (get().loaded && !force) return;
    try {
      const [list, types] = await Promise.all([client.credentials(), client.credentialTypes()]);
      set({ list, types, loaded: true, error: null });
    } catch (exc) {
      set({ error: (exc as Error).message });
    }
  },
  put(credential) {
    const rest = get().list.filter((c) => c.id !== credential.id);
    set({ list: [...rest, credential].sort((a, b) => a.name.localeCompare(b.name)) });
  },
  drop(id) {
    set({ list: get().list.filter((c) => c.id !== id) });
  },
}));
