import { useEffect, useMemo, useState } from 'react';
import { isApiFailure, type HubClient } from './hub-client';
import type { CustomerLookup, CustomerState, MergeAnswer, NbaDecision, TimelineEntry } from './hub-types';
import { customerHref, type CustomerTab } from './routes';
import { SatisfactionChart } from './satisfaction-chart';
import { asOfStops, CHANNEL_LOOK, channelLook, entryLine, groupByConversation, money, withEntries } from './timeline-model';

const PAGE = '500';

type Filters = { channel: string; direction: string; q: string };
const NO_FILTERS: Filters = { channel: '', direction: '', q: '' };

/** One customer: the 360° view and the next best action beside the live cross-channel timeline; or its merge proposals. */
export function CustomerPage({ client, customerId, tab }: { client: HubClient; customerId: string; tab: CustomerTab }) {
  const path = `/customers/${encodeURIComponent(customerId)}`;
  const [customer, setCustomer] = useState<CustomerLookup>();
  const [error, setError] = useState<string>();
  /** Bumped by every live entry and every merge: what is derived from the stream is read again. */
  const [tick, setTick] = useState(0);

  useEffect(() => {
    client
      .get<CustomerLookup>(path)
      .then(setCustomer, (err: Error) => setError(isApiFailure(err, 404) ? 'No such customer.' : err.message));
  }, [client.session, path, tick]);

  return (
    <>
      <div className="row">
        <h1 className="grow" style={{ fontSize: 20, margin: '4px 0 12px' }}>
          Customer <span data-testid="customer-id">{customerId}</span>
        </h1>
      </div>
      <nav className="tabs">
        <a href={customerHref(customerId)} className={tab === 'overview' ? 'active' : ''}>
          360° and timeline
        </a>
        <a href={customerHref(customerId, 'merges')} className={tab === 'merges' ? 'active' : ''}>
          Merge proposals{customer && customer.state.mergeProposals.length > 0 ? ` (${customer.state.mergeProposals.length})` : ''}
        </a>
      </nav>
      {error && <div className="error">{error}</div>}
      {customer?.state.mergedInto && (
        <div className="card">
          Merged into <a href={customerHref(customer.state.mergedInto)}>{customer.state.mergedInto}</a>.
        </div>
      )}
      {customer && tab === 'merges' && <MergeProposals client={client} customer={customer} onMerged={() => setTick((t) => t + 1)} />}
      {customer && tab === 'overview' && (
        <Overview client={client} customer={customer} path={path} onLive={() => setTick((t) => t + 1)} tick={tick} />
      )}
    </>
  );
}

function Overview({
  client,
  customer,
  path,
  onLive,
  tick,
}: {
  client: HubClient;
  customer: CustomerLookup;
  path: string;
  onLive: () => void;
  tick: number;
}) {
  const customerId = customer.customerId;
  const [all, setAll] = useState<TimelineEntry[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [live, setLive] = useState(false);
  const [position, setPosition] = useState<number | null>(null);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [view, setView] = useState<TimelineEntry[]>();
  const [stateAt, setStateAt] = useState<CustomerState | null>();
  const [nba, setNba] = useState<{ current: NbaDecision | null; history: NbaDecision[] }>();
  const [error, setError] = useState<string>();

  const stops = useMemo(() => asOfStops(all), [all]);
  const asOf = position === null ? undefined : stops[position];
  const filtered = filters.channel !== '' || filters.direction !== '' || filters.q !== '';

  // Live first, then what came before (the stream's own advice): an entry projected in between is
  // in one or the other, and withEntries keeps each once.
  useEffect(() => {
    const abort = new AbortController();
    let read = false;
    void client.follow(
      customerId,
      (entry) => {
        setAll((es) => withEntries(es, [entry]));
        setFresh((f) => new Set([...f, entry.eventId]));
        onLive();
      },
      (open) => {
        setLive(open);
        if (open && !read) {
          read = true;
          client.get<{ entries: TimelineEntry[] }>(`${path}/timeline`, { limit: PAGE }).then(
            (t) => setAll((es) => withEntries(t.entries, es)),
            (err: Error) => setError(err.message),
          );
        }
      },
      abort.signal,
    );
    return () => abort.abort();
  }, [client.session, customerId]);

  // As of a moment, or filtered: the query API answers; live and unfiltered: the entries as they come.
  useEffect(() => {
    if (!filtered && asOf === undefined) {
      setView(undefined);
      return;
    }
    let current = true;
    client
      .get<{ entries: TimelineEntry[] }>(`${path}/timeline`, {
        limit: PAGE,
        ...(filters.channel ? { channel: filters.channel } : {}),
        ...(filters.direction ? { direction: filters.direction } : {}),
        ...(filters.q ? { q: filters.q } : {}),
        ...(asOf ? { asOf } : {}),
      })
      .then(
        (t) => current && setView(t.entries),
        (err: Error) => current && setError(err.message),
      );
    return () => {
      current = false;
    };
  }, [client.session, path, asOf, filters, filtered, asOf === undefined ? all : undefined]);

  // The state folded from the stream as of the moment (or now).
  useEffect(() => {
    if (asOf === undefined) {
      setStateAt(customer.state);
      return;
    }
    let current = true;
    client.get<{ state: CustomerState }>(`${path}/state`, { asOf }).then(
      (s) => current && setStateAt(s.state),
      (err: Error) => current && (isApiFailure(err, 404) ? setStateAt(null) : setError(err.message)),
    );
    return () => {
      current = false;
    };
  }, [client.session, path, asOf, customer]);

  useEffect(() => {
    client.get<{ current: NbaDecision | null; history: NbaDecision[] }>(`${path}/next-best-actions`).then(setNba, () => setNba(undefined));
  }, [client.session, path, tick]);

  const entries = view ?? all;
  const groups = groupByConversation(entries);
  return (
    <div className="grid">
      <div>
        {stateAt === null ? (
          <div className="card muted">Nothing was recorded about this customer by then.</div>
        ) : (
          stateAt && <Profile customer={customer} state={stateAt} asOf={asOf} />
        )}
        <NextBestAction nba={nba} />
        <Decisions nba={nba} />
      </div>
      <section className="card" aria-label="Timeline">
        <div className="row" style={{ marginBottom: 10 }}>
          <h2 className="grow" style={{ margin: 0 }}>
            Timeline{' '}
            <span className="muted">
              ({entries.length} entries in {groups.length} conversations)
            </span>
          </h2>
          <span className={`live ${live && asOf === undefined ? 'on' : 'off'}`} data-testid="live">
            {asOf !== undefined ? 'Paused (as of)' : live ? 'Live' : 'Connecting…'}
          </span>
        </div>
        <div className="asof">
          <label htmlFor="asof">As of</label>
          <input
            id="asof"
            type="range"
            min={0}
            max={stops.length}
            value={position ?? stops.length}
            onChange={(e) => {
              const p = Number(e.target.value);
              setPosition(p >= stops.length ? null : p);
            }}
          />
          <span data-testid="asof-label" style={{ minWidth: 190 }}>
            {asOf === undefined ? 'now (live)' : new Date(asOf).toLocaleString()}
          </span>
        </div>
        <form className="row" style={{ margin: '10px 0' }} onSubmit={(e) => e.preventDefault()}>
          <select aria-label="Channel" value={filters.channel} onChange={(e) => setFilters({ ...filters, channel: e.target.value })}>
            <option value="">All channels</option>
            {Object.entries(CHANNEL_LOOK).map(([id, look]) => (
              <option key={id} value={id}>
                {look.label}
              </option>
            ))}
          </select>
          <select aria-label="Direction" value={filters.direction} onChange={(e) => setFilters({ ...filters, direction: e.target.value })}>
            <option value="">Both directions</option>
            <option value="inbound">Inbound</option>
            <option value="outbound">Outbound</option>
          </select>
          <input
            aria-label="Words"
            placeholder="words…"
            className="grow"
            defaultValue=""
            onKeyDown={(e) => e.key === 'Enter' && setFilters({ ...filters, q: e.currentTarget.value.trim() })}
          />
        </form>
        {error && <div className="error">{error}</div>}
        {groups.length === 0 && <p className="muted">No entries.</p>}
        {groups.map((g) => (
          <article className="conversation" key={g.key} data-testid="conversation" data-channel={g.channel}>
            <header>
              <span className="channel-icon" aria-hidden>
                {channelLook(g.channel).icon}
              </span>
              <strong>{channelLook(g.channel).label}</strong>
              <span className="muted grow">{g.threadId ? `thread ${g.threadId}` : 'no thread'}</span>
              <span className="muted">
                {g.entries.length} · last {new Date(g.lastAt).toLocaleString()}
              </span>
            </header>
            {g.entries.map((e) => (
              <div
                className={`entry ${e.direction}${fresh.has(e.eventId) ? ' fresh' : ''}`}
                key={e.eventId}
                data-testid="entry"
                data-event-id={e.eventId}
              >
                <time dateTime={e.occurredAt}>{new Date(e.occurredAt).toLocaleString()}</time>
                <span className="dir" title={e.direction}>
                  {e.direction === 'inbound' ? '←' : '→'}
                </span>
                <span className="grow">
                  {entryLine(e) ?? <span className="muted">({e.kind})</span>}
                  {e.textSignals?.map((s) => (
                    <span className="pill warn" key={s} style={{ marginLeft: 6 }}>
                      {s}
                    </span>
                  ))}
                </span>
              </div>
            ))}
          </article>
        ))}
      </section>
    </div>
  );
}

const QUADRANT_TONE: Record<string, string> = { champion: 'good', low_value_happy: 'good', at_risk: 'bad', low_value_unhappy: 'warn' };
const RISK_TONE: Record<string, string> = { low: 'good', medium: 'warn', high: 'bad' };

/** The 360° view: who (identities), may we contact them (consent), what they are worth, how they feel, whether they are leaving. */
function Profile({ customer, state, asOf }: { customer: CustomerLookup; state: CustomerState; asOf: string | undefined }) {
  const revenue = Object.entries(state.value.revenue).filter(
    (e): e is [string, { gross: number; refunded: number; net: number }] => e[1] !== undefined,
  );
  const signals = Object.entries(state.textSignals).filter(([, s]) => s !== undefined);
  return (
    <section className="card" aria-label="Customer 360">
      <h2>360° view {asOf && <span className="pill warn">as of {new Date(asOf).toLocaleString()}</span>}</h2>
      <dl className="kv">
        <dt>Status</dt>
        <dd>{state.status}</dd>
        <dt>Interactions</dt>
        <dd>
          {state.engagement.total} ({state.engagement.inbound} inbound)
        </dd>
        <dt>Preferred</dt>
        <dd>{state.preferredChannel ? channelLook(state.preferredChannel).label : '—'}</dd>
        <dt>Quadrant</dt>
        <dd>
          <span className={`pill ${QUADRANT_TONE[customer.quadrant] ?? ''}`} data-testid="quadrant">
            {customer.quadrant.replace(/_/g, ' ')}
          </span>
          {asOf && <span className="muted"> (now)</span>}
        </dd>
        <dt>Churn risk</dt>
        <dd>
          <span className={`pill ${RISK_TONE[customer.churnRisk.level] ?? ''}`}>{customer.churnRisk.level}</span>
          {customer.churnRisk.reasons.map((r) => (
            <span className="pill" key={r}>
              {r.replace(/_/g, ' ')}
            </span>
          ))}
          {asOf && <span className="muted"> (now)</span>}
        </dd>
      </dl>
      <h3>Identities</h3>
      <div data-testid="identities">
        {state.identities.length === 0 && <span className="muted">none</span>}
        {state.identities.map((i) => (
          <span className="pill" key={`${i.kind}:${i.namespace ?? ''}:${i.value}`}>
            {i.kind}: {i.namespace ? `${i.namespace}:` : ''}
            {i.value}
          </span>
        ))}
      </div>
      <h3>Consent per channel</h3>
      <div>
        {Object.keys(state.engagement.byChannel).length === 0 && Object.keys(state.consent).length === 0 && (
          <span className="muted">no channel yet</span>
        )}
        {[...new Set([...Object.keys(state.engagement.byChannel), ...Object.keys(state.consent)])].sort().map((ch) => {
          const status = state.consent[ch] ?? 'unknown';
          return (
            <span className={`pill ${status === 'opted_in' ? 'good' : status === 'opted_out' ? 'bad' : ''}`} key={ch}>
              {channelLook(ch).icon} {channelLook(ch).label}: {status.replace(/_/g, ' ')}
            </span>
          );
        })}
      </div>
      <h3>Value</h3>
      <div>
        {state.value.orders} order{state.value.orders === 1 ? '' : 's'}
        {revenue.map(([currency, t]) => (
          <span key={currency}>
            {' '}
            · net {money(t.net, currency)} <span className="muted">(refunded {money(t.refunded, currency)})</span>
          </span>
        ))}
      </div>
      {customer.profitability && (
        <div data-testid="profitability">
          cost to serve {money(customer.profitability.costToServe, customer.profitability.currency)} · profit{' '}
          <span className={customer.profitability.profit < 0 ? 'error' : ''}>
            {money(customer.profitability.profit, customer.profitability.currency)}
          </span>
        </div>
      )}
      <h3>Satisfaction</h3>
      <SatisfactionChart answers={state.satisfaction.answers} trend={state.satisfaction.trend} />
      <h3>Churn signals in their words</h3>
      <div>
        {signals.length === 0 && <span className="muted">none</span>}
        {signals.map(([signal, seen]) => (
          <span className="pill warn" key={signal}>
            {signal} ×{seen!.count}
          </span>
        ))}
      </div>
    </section>
  );
}

/** The decision the NBA worker recorded last, and why (its rule, its reason, the facts it read). */
function NextBestAction({ nba }: { nba: { current: NbaDecision | null; history: NbaDecision[] } | undefined }) {
  const d = nba?.current;
  return (
    <section className="card" aria-label="Next best action">
      <h2>Next best action</h2>
      {!d && <p className="muted">No decision recorded yet.</p>}
      {d && (
        <>
          <div className="nba-action" data-testid="nba-action">
            {d.action.code.replace(/_/g, ' ')}
            {d.action.channel && <span className="pill">via {channelLook(d.action.channel).label}</span>}
          </div>
          <p>{d.action.detail}</p>
          <p>
            <strong>Why:</strong> <span data-testid="nba-reason">{d.explanation.reason}</span>
          </p>
          <p className="muted">
            rule {d.explanation.ruleId} · {d.strategyVersion} · {d.contactMode} · decided {new Date(d.decidedAt).toLocaleString()} ·{' '}
            {nba.history.length} decision
            {nba.history.length === 1 ? '' : 's'} so far
          </p>
          {Object.keys(d.explanation.inputs).length > 0 && (
            <table className="inputs">
              <tbody>
                {Object.entries(d.explanation.inputs).map(([k, v]) => (
                  <tr key={k}>
                    <td className="muted">{k}</td>
                    <td>{String(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

const OUTCOME_LOOK: Record<string, string> = { accepted: 'good', declined: 'bad', no_response: 'warn' };
const SEND_LOOK: Record<string, string> = { sent: 'good', failed_permanent: 'bad', skipped: 'warn', in_doubt: 'warn' };

/** Every decision, latest first: what was decided, what the sender did with it, and what became of it (the customer's choice). */
function Decisions({ nba }: { nba: { current: NbaDecision | null; history: NbaDecision[] } | undefined }) {
  if (!nba || nba.history.length === 0) return null;
  return (
    <section className="card" aria-label="Decisions">
      <h2>Decisions and outcomes</h2>
      <table className="ops">
        <tbody>
          {nba.history.slice(0, 20).map((d) => (
            <tr key={d.decisionId} data-testid="decision" data-outcome={d.outcome?.outcome ?? 'open'}>
              <td className="muted">{new Date(d.decidedAt).toLocaleString()}</td>
              <td>
                {d.action.code.replace(/_/g, ' ')}
                {d.action.channel && <span className="muted"> · {channelLook(d.action.channel).label}</span>}
              </td>
              <td data-testid="decision-sends">
                {(d.sends ?? []).map((send) => (
                  <span
                    key={send.channel}
                    className={`pill ${SEND_LOOK[send.state] ?? ''}`}
                    title={[send.provider, send.providerMessageId, send.errorCode, send.errorMessage].filter(Boolean).join(' · ')}
                  >
                    {send.state.replace(/_/g, ' ')}
                    {send.skipReason ? `: ${send.skipReason.replace(/_/g, ' ')}` : ''}
                    {send.delivery ? ` · ${send.delivery.status}` : ''}
                  </span>
                ))}
                {d.contactMode !== 'none' && (d.sends ?? []).length === 0 && <span className="muted">not sent by the hub</span>}
              </td>
              <td>
                {d.outcome ? (
                  <span
                    className={`pill ${OUTCOME_LOOK[d.outcome.outcome] ?? ''}`}
                    title={`${d.outcome.source}, ${new Date(d.outcome.at).toLocaleString()}`}
                  >
                    {d.outcome.outcome.replace(/_/g, ' ')} <span className="muted">({d.outcome.source})</span>
                  </span>
                ) : (
                  <span className="muted">{d.contactMode === 'none' ? '—' : 'no answer yet'}</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {nba.history.length > 20 && <p className="muted">and {nba.history.length - 20} earlier</p>}
    </section>
  );
}

/**
 * Merges the policy only proposed, for a person to decide: approve (the merge command on
 * `agent_confirmed` evidence) or reject, saying why (the pair is then not proposed again).
 */
function MergeProposals({ client, customer, onMerged }: { client: HubClient; customer: CustomerLookup; onMerged: () => void }) {
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string>();
  const [others, setOthers] = useState<Record<string, CustomerLookup>>({});
  const proposals = customer.state.mergeProposals;
  // Who the other customer is (identities, channels): what a person decides on.
  useEffect(() => {
    for (const p of proposals) {
      client.get<CustomerLookup>(`/customers/${encodeURIComponent(p.otherId)}`).then(
        (c) => setOthers((o) => ({ ...o, [p.otherId]: c })),
        () => undefined,
      );
    }
  }, [client.session, proposals.map((p) => p.otherId).join(',')]);
  const decide = async (proposalId: string, verb: 'approve' | 'reject') => {
    setBusy(proposalId);
    try {
      const path = `/customers/${encodeURIComponent(customer.customerId)}/merge-proposals/${encodeURIComponent(proposalId)}/${verb}`;
      const r = await client.post<MergeAnswer>(path, verb === 'reject' ? { reason: reasons[proposalId]?.trim() } : {});
      setAnswers((a) => ({ ...a, [proposalId]: `${r.outcome}: ${r.reason}` }));
      onMerged();
    } catch (err) {
      setAnswers((a) => ({
        ...a,
        [proposalId]: isApiFailure(err, 403) ? 'This key may not decide merges (it needs the write scope).' : (err as Error).message,
      }));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section className="card" aria-label="Merge proposals">
      <h2>Merge proposals</h2>
      {proposals.length === 0 && (
        <p className="muted" data-testid="no-proposals">
          No open merge proposal for this customer.
        </p>
      )}
      <ul className="results">
        {proposals.map((p) => (
          <li key={p.proposalId} data-testid="proposal">
            <div className="row">
              <span className="grow">
                Merge <a href={customerHref(p.otherId)}>{p.otherId}</a> into this customer
              </span>
              <button className="primary" disabled={busy !== undefined} onClick={() => void decide(p.proposalId, 'approve')}>
                Approve
              </button>
              <input
                aria-label="Why not the same person"
                placeholder="why not the same person"
                value={reasons[p.proposalId] ?? ''}
                onChange={(e) => setReasons((r) => ({ ...r, [p.proposalId]: e.target.value }))}
              />
              <button disabled={busy !== undefined || !reasons[p.proposalId]?.trim()} onClick={() => void decide(p.proposalId, 'reject')}>
                Reject
              </button>
            </div>
            <div className="muted">
              {p.source.replace(/_/g, ' ')} · proposed {new Date(p.proposedAt).toLocaleString()} · {p.reason}
            </div>
            {others[p.otherId] && (
              <div>
                <span className="muted">They hold </span>
                {others[p.otherId]!.identities.map((i) => (
                  <span className="pill" key={`${i.kind}:${i.namespace ?? ''}:${i.value}`}>
                    {i.kind}: {i.namespace ? `${i.namespace}:` : ''}
                    {i.value}
                  </span>
                ))}
                <span className="muted">
                  {' '}
                  · {others[p.otherId]!.interactions} interaction{others[p.otherId]!.interactions === 1 ? '' : 's'} on{' '}
                  {others[p.otherId]!.channels.map((c) => channelLook(c).label).join(', ')}
                </span>
              </div>
            )}
            {answers[p.proposalId] && <div data-testid="proposal-answer">{answers[p.proposalId]}</div>}
          </li>
        ))}
      </ul>
      {Object.entries(answers)
        .filter(([id]) => !proposals.some((p) => p.proposalId === id))
        .map(([id, answer]) => (
          <p key={id} data-testid="proposal-answer">
            {answer}
          </p>
        ))}
      {customer.state.mergedFrom.length > 0 && (
        <>
          <h3>Merged into this customer</h3>
          {customer.state.mergedFrom.map((id) => (
            <span className="pill" key={id} data-testid="merged-from">
              {id}
            </span>
          ))}
        </>
      )}
      {customer.state.rejectedMergeProposals.length > 0 && (
        <>
          <h3>Rejected</h3>
          {customer.state.rejectedMergeProposals.map((r) => (
            <div key={r.proposalId} className="muted" data-testid="rejected">
              {r.otherId} · {new Date(r.rejectedAt).toLocaleString()} · {r.reason}
            </div>
          ))}
        </>
      )}
    </section>
  );
}
