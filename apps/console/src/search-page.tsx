import { useState } from 'react';
import { customerHref } from './routes';
import { isApiFailure, type HubClient } from './hub-client';
import type { CustomerSummary } from './hub-types';
import { channelLook, searchParams, type SearchKind } from './timeline-model';

const KINDS: { kind: SearchKind; label: string }[] = [
  { kind: 'auto', label: 'Any identity' },
  { kind: 'phone', label: 'Phone' },
  { kind: 'email', label: 'Email' },
  { kind: 'handle', label: 'Handle (platform:id)' },
  { kind: 'external', label: 'External id (system:id)' },
  { kind: 'text', label: 'Order id / words' },
];

/** Customers by any identity (a phone in any format, an email, a handle), or by words of their timeline (an order id). */
export function SearchPage({ client }: { client: HubClient }) {
  const [text, setText] = useState('');
  const [kind, setKind] = useState<SearchKind>('auto');
  const [region, setRegion] = useState('');
  const [results, setResults] = useState<CustomerSummary[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const search = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const params = searchParams(kind, text, region.trim().toUpperCase() || undefined);
    try {
      if (params['identity'] !== undefined) {
        // The identity alone: the one customer holding it (404 when nobody does).
        setResults([await client.get<CustomerSummary>('/customers', params)]);
      } else {
        setResults((await client.get<{ customers: CustomerSummary[] }>('/customers', { ...params, limit: '50' })).customers);
      }
    } catch (err) {
      if (isApiFailure(err, 404)) setResults([]);
      else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form className="card row" onSubmit={(e) => void search(e)} role="search">
        <input
          className="grow"
          aria-label="Search"
          placeholder="(415) 555-0188 · ana@example.com · telegram:4242 · order #1234"
          value={text}
          onChange={(e) => setText(e.target.value)}
          required
        />
        <select aria-label="Search by" value={kind} onChange={(e) => setKind(e.target.value as SearchKind)}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
        <input
          aria-label="Phone region"
          placeholder="region (e.g. US)"
          size={12}
          value={region}
          onChange={(e) => setRegion(e.target.value)}
        />
        <button className="primary" type="submit" disabled={busy}>
          Search
        </button>
      </form>
      {error && <div className="error">{error}</div>}
      {results && (
        <section className="card" aria-label="Results">
          <h2>{results.length === 0 ? 'No customer found' : `${results.length} customer${results.length === 1 ? '' : 's'}`}</h2>
          <ul className="results">
            {results.map((c) => (
              <li key={c.customerId}>
                <a href={customerHref(c.customerId)} data-testid="result">
                  <strong>{c.customerId}</strong>
                </a>{' '}
                <span className="muted">
                  {c.interactions} interaction{c.interactions === 1 ? '' : 's'} · last{' '}
                  {c.lastSeenAt ? new Date(c.lastSeenAt).toLocaleString() : '—'}
                </span>
                <div>
                  {c.channels.map((ch) => (
                    <span className="pill" key={ch}>
                      {channelLook(ch).icon} {channelLook(ch).label}
                    </span>
                  ))}
                  {c.identities.map((i) => (
                    <span className="pill" key={`${i.kind}:${i.namespace ?? ''}:${i.value}`}>
                      {i.kind}: {i.namespace ? `${i.namespace}:` : ''}
                      {i.value}
                    </span>
                  ))}
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
