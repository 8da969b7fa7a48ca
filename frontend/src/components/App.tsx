import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient, type ApiError } from '../api/client';
import { clearToken, loadToken, saveToken } from '../session';
import { CredentialsManager } from './CredentialsManager';
import { SignIn } from './SignIn';
import { WorkflowList } from './WorkflowList';

// The editor (React Flow and everything under it) is its own chunk: the list and the
// sign-in page load without it.
const Editor = lazy(() => import('./Editor'));

function currentRoute(): { workflowId: string | null; credentials: boolean } {
  const match = /^#\/w\/(.+)$/.exec(window.location.hash);
  return { workflowId: match ? decodeURIComponent(match[1]!) : null, credentials: window.location.hash === '#/credentials' };
}

export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken());
  const [signInMessage, setSignInMessage] = useState<string | null>(null);
  const [route, setRoute] = useState(currentRoute);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const signOut = useCallback((message: string | null = null) => {
    clearToken();
    setToken(null);
    setSignInMessage(message);
  }, []);

  const client = useMemo(
    () =>
      token
        ? new ApiClient({
            token,
            onUnauthorized: (error: ApiError) =>
              signOut(`The server no longer accepts this token (401: ${error.message}). Sign in with a valid token.`),
          })
        : null,
    [token, signOut],
  );

  if (!client) {
    return (
      <SignIn
        message={signInMessage}
        onSignedIn={(value) => {
          saveToken(value);
          setSignInMessage(null);
          setToken(value);
        }}
      />
    );
  }

  const open = (id: string | null) => {
    window.location.hash = id ? `#/w/${encodeURIComponent(id)}` : '#/';
  };

  return (
    <div className="app">
      {route.workflowId ? (
        <Suspense fallback={<div className="loading">Loading the editor…</div>}>
          <Editor client={client} workflowId={route.workflowId} onClose={() => open(null)} onSignOut={() => signOut()} />
        </Suspense>
      ) : route.credentials ? (
        <main className="list-page">
          <header className="topbar">
            <button onClick={() => open(null)} title="Back to the workflow list" data-testid="back">
              ←
            </button>
            <h1>Credentials</h1>
            <div className="spacer" />
            <button onClick={() => signOut()}>Sign out</button>
          </header>
          <CredentialsManager client={client} />
        </main>
      ) : (
        <WorkflowList
          client={client}
          onOpen={open}
          onCredentials={() => {
            window.location.hash = '#/credentials';
          }}
          onSignOut={() => signOut()}
        />
      )}
    </div>
  );
}
