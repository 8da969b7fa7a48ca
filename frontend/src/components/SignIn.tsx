import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '../api/client';

interface Props {
  message: string | null;
  onSignedIn(token: string): void;
}

/** Paste an API token; it is checked against the server before it is kept. */
export function SignIn({ message, onSignedIn }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(message);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Paste an API token first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await new ApiClient({ token: value }).version();
      onSignedIn(value);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 401) {
        setError(
          'This token was not accepted (401 unauthorized): it is unknown, revoked or expired. ' +
            'Check that it was copied whole; on the local stack the admin token is in ~/.orcheo/admin-token.',
        );
      } else if (exc instanceof ApiError && exc.status === 429) {
        setError('Too many wrong tokens from this browser: wait a minute and try again.');
      } else {
        setError(exc instanceof Error ? exc.message : String(exc));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form onSubmit={submit} className="signin-card">
        <h1>Orcheo</h1>
        <p>Paste an API token to sign in. It is kept for this browser tab only.</p>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          data-testid="token-input"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        {error && (
          <p className="error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy} data-testid="signin-button">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
