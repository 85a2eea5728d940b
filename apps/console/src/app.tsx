import { useCallback, useEffect, useState } from 'react';
import { HubClient, isApiFailure, OperatorClient, operatorKeyOf, type Session } from './hub-client';
import { CustomerPage } from './customer-page';
import { OperationsPage } from './operations-page';
import { SearchPage } from './search-page';
import { WorkItemsPage } from './work-items-page';
import { routeOf, type Route } from './routes';

const SESSION_KEY = 'hub-console-session';

function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [route, setRoute] = useState<Route>(() => routeOf(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(SESSION_KEY);
    setSession(undefined);
  }, []);

  if (!session) {
    return (
      <SignIn
        onSignedIn={(s) => {
          sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
          setSession(s);
        }}
      />
    );
  }
  const client = new HubClient(session);
  const operator = session.tenantId === '';
  const addOperatorKey = (operatorKey: string) => {
    const s = { ...session, operatorKey };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    setSession(s);
  };
  return (
    <>
      <header className="top">
        <span className="brand">Interaction Hub</span>
        {!operator && <a href="#/">Search customers</a>}
        {!operator && <a href="#/work-items">Work items</a>}
        <a href="#/operations">Operations</a>
        <span className="spacer" />
        <span className="muted" data-testid="tenant">
          {operator ? 'operator' : `tenant ${session.tenantId}`}
        </span>
        <button onClick={signOut}>Sign out</button>
      </header>
      <main>
        {operator || route.page === 'operations' ? (
          <OperationsPage operatorKey={operatorKeyOf(session)} onOperatorKey={addOperatorKey} />
        ) : route.page === 'work-items' ? (
          <WorkItemsPage client={client} />
        ) : route.page === 'customer' ? (
          <CustomerPage key={route.customerId} client={client} customerId={route.customerId} tab={route.tab} />
        ) : (
          <SearchPage client={client} />
        )}
      </main>
    </>
  );
}

/**
 * Sign in with a tenant API key (`hub keys create`) or an OpenID Connect access token (both go as the
 * bearer; the query API tells them apart): checked by one read of the tenant's customers. With the
 * tenant left empty, an operator key (or a token with the operator role): checked by one read of the
 * replays, and the console shows the Operations page only.
 */
function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [tenantId, setTenantId] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const session = { tenantId: tenantId.trim(), apiKey: apiKey.trim() };
    try {
      if (session.tenantId === '') await new OperatorClient(session.apiKey).get('/replays');
      else await new HubClient(session).get('/customers', { limit: '1' });
      onSignedIn(session);
    } catch (err) {
      setError(
        isApiFailure(err, 401, 403, 404)
          ? session.tenantId === ''
            ? 'This is not an operator key: leave the tenant empty only to sign in as an operator.'
            : 'This key or token does not open this tenant.'
          : String((err as Error).message),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card signin" onSubmit={(e) => void submit(e)}>
      <h2>Interaction Hub console</h2>
      <p className="muted">
        Sign in with your tenant&apos;s API key, or an access token from your organisation&apos;s sign-in. Operators: leave the tenant empty
        and give an operator key.
      </p>
      <label htmlFor="tenant">Tenant</label>
      <input id="tenant" value={tenantId} onChange={(e) => setTenantId(e.target.value)} autoComplete="organization" />
      <label htmlFor="apikey">API key or access token</label>
      <input
        id="apikey"
        type="password"
        value={apiKey}
        onChange={(e) => setApiKey(e.target.value)}
        required
        autoComplete="current-password"
      />
      {error && <div className="error">{error}</div>}
      <p>
        <button className="primary" type="submit" disabled={busy}>
          Sign in
        </button>
      </p>
    </form>
  );
}
