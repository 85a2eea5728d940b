import { useCallback, useEffect, useState } from 'react';
import { isApiFailure, OperatorClient } from './hub-client';
import type { DeadLetter, DeadLetterPage, LagReport, QueueCounts, RedriveResult, ReplayRun } from './hub-types';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * What operators watch and fix: replays (progress, diff; start one), dead letters (browse, re-drive),
 * consumer and projection lag, the decide queues. Every call carries the operator key; without one
 * the page asks for it (checked by one read of the replays).
 */
export function OperationsPage({ operatorKey, onOperatorKey }: { operatorKey: string | undefined; onOperatorKey: (key: string) => void }) {
  if (!operatorKey) return <OperatorKeyForm onOperatorKey={onOperatorKey} />;
  const client = new OperatorClient(operatorKey);
  return (
    <>
      <h2 className="page-title">Operations</h2>
      <Replays client={client} />
      <DeadLetters client={client} />
      <div className="grid2">
        <Lag client={client} />
        <Queues client={client} />
      </div>
    </>
  );
}

function OperatorKeyForm({ onOperatorKey }: { onOperatorKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await new OperatorClient(key.trim()).get('/replays');
      onOperatorKey(key.trim());
    } catch (err) {
      setError(isApiFailure(err, 401, 403) ? 'This is not an operator key.' : message(err));
    }
  };
  return (
    <form className="card signin" onSubmit={(e) => void submit(e)}>
      <h2>Operations</h2>
      <p className="muted">The operations page needs an operator key (HUB_ADMIN_API_KEYS) or a token with the operator role.</p>
      <label htmlFor="operatorkey">Operator key</label>
      <input id="operatorkey" type="password" value={key} onChange={(e) => setKey(e.target.value)} required autoComplete="off" />
      {error && <div className="error">{error}</div>}
      <p>
        <button className="primary" type="submit">
          Open operations
        </button>
      </p>
    </form>
  );
}

/** Reads `load` now, on `refresh`, and every `pollMs` while `poll` says so. */
function usePolled<T>(load: () => Promise<T>, poll: (value: T | undefined) => boolean, pollMs: number) {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => {
        if (!live) return;
        setValue(v);
        setError(undefined);
      },
      (err: unknown) => live && setError(message(err)),
    );
    return () => {
      live = false;
    };
    // `load` is a new closure each render: `tick` decides when to read.
  }, [tick]);
  const polling = poll(value);
  useEffect(() => {
    if (!polling) return;
    const timer = setInterval(refresh, pollMs);
    return () => clearInterval(timer);
  }, [polling, pollMs, refresh]);
  return { value, error, refresh };
}

function Replays({ client }: { client: OperatorClient }) {
  const { value, error, refresh } = usePolled(
    () => client.get<{ replays: ReplayRun[] }>('/replays'),
    (v) => v?.replays.some((r) => r.state === 'running') ?? false,
    1_000,
  );
  const [confirming, setConfirming] = useState(false);
  const [tenantId, setTenantId] = useState('');
  const [takeover, setTakeover] = useState(false);
  const [startError, setStartError] = useState<string>();
  const start = async () => {
    setStartError(undefined);
    try {
      await client.post('/replays', { ...(tenantId.trim() ? { tenantId: tenantId.trim() } : {}), diff: true, takeover });
      setConfirming(false);
      refresh();
    } catch (err) {
      setStartError(message(err));
    }
  };
  return (
    <section className="card" aria-label="Replays">
      <div className="row">
        <h2 className="grow">Replays</h2>
        <button onClick={refresh}>Refresh</button>
        {!confirming && (
          <button className="primary" onClick={() => setConfirming(true)}>
            Start a replay…
          </button>
        )}
      </div>
      {confirming && (
        <div className="confirm row">
          <span>Rebuild the timeline read model side by side and compare it with the live one</span>
          <input
            aria-label="Replay tenant"
            placeholder="tenant (empty: all)"
            value={tenantId}
            onChange={(e) => setTenantId(e.target.value)}
          />
          <label>
            <input type="checkbox" checked={takeover} onChange={(e) => setTakeover(e.target.checked)} /> take over when it matches
          </label>
          <button className="primary" onClick={() => void start()}>
            Confirm: start
          </button>
          <button onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      )}
      {(startError ?? error) && <div className="error">{startError ?? error}</div>}
      {value && value.replays.length === 0 && <p className="muted">No replay has been started over the API.</p>}
      {value && value.replays.length > 0 && (
        <table className="ops">
          <thead>
            <tr>
              <th>Started</th>
              <th>By</th>
              <th>Scope</th>
              <th>State</th>
              <th>Progress</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {value.replays.map((r) => (
              <tr key={r.id} data-testid="replay">
                <td>{new Date(r.startedAt).toLocaleString()}</td>
                <td>{r.requestedBy ?? '—'}</td>
                <td>
                  {r.options.tenantId ?? 'all tenants'}
                  {r.options.takeover ? ' · takeover' : ''}
                </td>
                <td>
                  <span className={`pill ${r.state === 'succeeded' ? 'good' : r.state === 'failed' ? 'bad' : 'warn'}`}>{r.state}</span>{' '}
                  {r.stage}
                </td>
                <td>
                  {r.progress ? (
                    <>
                      <progress max={100} value={r.progress.percent} /> {r.progress.percent.toFixed(0)}% · {r.progress.eventsDone}/
                      {r.progress.eventsTotal} events
                      {r.state === 'running' && r.progress.etaSeconds !== null ? ` · ${r.progress.etaSeconds}s left` : ''}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{replayResult(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function replayResult(r: ReplayRun): string {
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  if (!r.report) return '—';
  const parts = [`${r.report.rebuild.events} events rebuilt in ${r.report.rebuild.seconds.toFixed(1)} s`];
  const d = r.report.diff;
  if (d)
    parts.push(
      d.customers === 0
        ? `no difference (${d.compared.live} entries compared)`
        : `${d.customers} customers differ: ${d.missing} missing, ${d.extra} extra, ${d.changed} changed`,
    );
  if (r.report.takeover) parts.push('taken over');
  return parts.join(' · ');
}

function DeadLetters({ client }: { client: OperatorClient }) {
  const [filter, setFilter] = useState({ topic: '', reason: '', tenant: '' });
  const [applied, setApplied] = useState(filter);
  const [before, setBefore] = useState<string>();
  const { value, error, refresh } = usePolled(
    () => client.get<DeadLetterPage>('/admin/v1/dead-letters', { ...applied, limit: '50', before }),
    () => false,
    0,
  );
  useEffect(refresh, [applied, before, refresh]);
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [confirmAll, setConfirmAll] = useState(false);
  const redrive = async (body: object) => {
    setBusy(true);
    setDone(undefined);
    try {
      const r = await client.post<RedriveResult>('/admin/v1/dead-letters/redrive', body);
      setDone(
        `Re-driven: ${r.redriven.length}` +
          (r.gone.length > 0 ? ` · ${r.gone.length} no longer on their topic (past its retention)` : '') +
          (r.changed.length > 0 ? ` · ${r.changed.length} changed on their topic (left alone)` : ''),
      );
      refresh();
    } catch (err) {
      setDone(`Re-drive failed: ${message(err)}`);
    } finally {
      setBusy(false);
      setConfirmAll(false);
    }
  };
  return (
    <section className="card" aria-label="Dead letters">
      <div className="row">
        <h2 className="grow">Dead letters {value && <span className="muted">· {value.topic}</span>}</h2>
        <button onClick={refresh}>Refresh</button>
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setBefore(undefined);
          setApplied(filter);
        }}
      >
        <input
          aria-label="Source topic"
          placeholder="source topic"
          value={filter.topic}
          onChange={(e) => setFilter({ ...filter, topic: e.target.value })}
        />
        <input
          aria-label="Reason"
          placeholder="code or reason"
          value={filter.reason}
          onChange={(e) => setFilter({ ...filter, reason: e.target.value })}
        />
        <input
          aria-label="Tenant"
          placeholder="tenant"
          value={filter.tenant}
          onChange={(e) => setFilter({ ...filter, tenant: e.target.value })}
        />
        <button type="submit">Filter</button>
        {applied.topic &&
          (confirmAll ? (
            <>
              <button className="primary" disabled={busy} onClick={() => void redrive({ topic: applied.topic })} type="button">
                Confirm: re-drive every dead letter of {applied.topic}
              </button>
              <button type="button" onClick={() => setConfirmAll(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirmAll(true)}>
              Re-drive all of {applied.topic}…
            </button>
          ))}
      </form>
      {done && (
        <div className="notice" role="status">
          {done}
        </div>
      )}
      {error && <div className="error">{error}</div>}
      {value && value.deadLetters.length === 0 && (
        <p className="muted">No dead letter{applied.topic || applied.reason || applied.tenant ? ' matches' : ''}.</p>
      )}
      {value && value.deadLetters.length > 0 && (
        <table className="ops">
          <thead>
            <tr>
              <th>When</th>
              <th>Reason</th>
              <th>From</th>
              <th>Tenant · channel</th>
              <th>What it holds</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {value.deadLetters.map((d) => (
              <DeadLetterRow
                key={`${d.partition}:${d.offset}`}
                d={d}
                busy={busy}
                onRedrive={() => void redrive({ partition: d.partition, offset: d.offset })}
              />
            ))}
          </tbody>
        </table>
      )}
      {value?.nextBefore && (
        <p>
          <button onClick={() => setBefore(value.nextBefore!)}>Older</button>
        </p>
      )}
    </section>
  );
}

function DeadLetterRow({ d, busy, onRedrive }: { d: DeadLetter; busy: boolean; onRedrive: () => void }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <tr data-testid="dead-letter">
      <td>
        {new Date(d.at).toLocaleString()}
        <div className="muted">
          #{d.partition}:{d.offset}
        </div>
      </td>
      <td>
        <strong>{d.code ?? '—'}</strong>
        <div>{d.reason}</div>
      </td>
      <td>{d.source ? `${d.source.topic} #${d.source.partition ?? '?'}:${d.source.offset ?? '?'}` : 'a webhook delivery'}</td>
      <td>
        {d.tenantId ?? '—'}
        {d.channel ? ` · ${d.channel}` : ''}
        {d.eventType ? <div className="muted">{d.eventType}</div> : null}
      </td>
      <td>
        <details>
          <summary>{d.key ?? 'no key'}</summary>
          <pre className="body">{JSON.stringify(d.body, null, 2)}</pre>
        </details>
      </td>
      <td>
        {!d.redrive.possible ? (
          <span className="muted" title={d.redrive.why}>
            cannot re-drive
          </span>
        ) : confirming ? (
          <>
            <button className="primary" disabled={busy} onClick={onRedrive}>
              Confirm re-drive
            </button>
            <button onClick={() => setConfirming(false)}>Cancel</button>
          </>
        ) : (
          <button onClick={() => setConfirming(true)}>Re-drive…</button>
        )}
      </td>
    </tr>
  );
}

function Lag({ client }: { client: OperatorClient }) {
  const { value, error, refresh } = usePolled(
    () => client.get<LagReport>('/admin/v1/lag'),
    () => true,
    5_000,
  );
  return (
    <section className="card" aria-label="Lag">
      <div className="row">
        <h2 className="grow">Lag</h2>
        <button onClick={refresh}>Refresh</button>
      </div>
      {error && <div className="error">{error}</div>}
      {value && (
        <>
          <p data-testid="projection-lag">
            Projection <code>{value.projection.projection}</code>: checkpoint {value.projection.checkpoint ?? 'none'} of head{' '}
            {value.projection.head} · <strong>{value.projection.behind}</strong> positions behind
          </p>
          <table className="ops">
            <thead>
              <tr>
                <th>Consumer group</th>
                <th>Topic</th>
                <th>Lag</th>
                <th>Per partition</th>
              </tr>
            </thead>
            <tbody>
              {value.groups.map((g) => (
                <tr key={g.groupId} data-testid="group-lag">
                  <td>{g.groupId}</td>
                  <td>{g.topic}</td>
                  {'error' in g ? (
                    <td colSpan={2} className="muted">
                      {g.error}
                    </td>
                  ) : (
                    <>
                      <td>
                        <strong>{g.lag}</strong>
                      </td>
                      <td className="muted">{g.partitions.map((p) => `${p.partition}:${p.lag}`).join(' ')}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'];

function Queues({ client }: { client: OperatorClient }) {
  const { value, error, refresh } = usePolled(
    () => client.get<QueueCounts>('/admin/v1/queues'),
    () => true,
    5_000,
  );
  return (
    <section className="card" aria-label="Queues">
      <div className="row">
        <h2 className="grow">Queues</h2>
        <button onClick={refresh}>Refresh</button>
      </div>
      {error && <div className="error">{error}</div>}
      {value && (
        <table className="ops">
          <thead>
            <tr>
              <th>Queue</th>
              {STATES.map((s) => (
                <th key={s}>{s}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {value.queues.map((q) => (
              <tr key={q.name}>
                <td>{q.name}</td>
                {STATES.map((s) => (
                  <td key={s}>{q.counts[s] ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
