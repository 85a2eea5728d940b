import { useCallback, useEffect, useState } from 'react';
import type { HubClient } from './hub-client';
import type { WorkItem } from './hub-types';
import { customerHref } from './routes';

const PRIORITY_LOOK: Record<WorkItem['priority'], string> = { urgent: 'bad', high: 'warn', normal: '', low: '' };

/**
 * Escalations handed to people (the NBA worker opens one when it decides an escalation): a queue's
 * open and claimed items, most urgent first; an agent claims one, and resolves it — which records the
 * conversation resolved, and so the survey follow-up. Every action is the query API's (`write` key).
 */
export function WorkItemsPage({ client }: { client: HubClient }) {
  const [items, setItems] = useState<WorkItem[]>();
  const [status, setStatus] = useState<'open' | 'claimed' | 'resolved'>('open');
  const [agent, setAgent] = useState(() => sessionStorage.getItem('hub-console-agent') ?? '');
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let current = true;
    client.get<{ items: WorkItem[] }>('/work-items', { status }).then(
      (r) => current && setItems(r.items),
      (err: Error) => current && setError(err.message),
    );
    return () => {
      current = false;
    };
  }, [client.session, status, tick]);

  const act = useCallback(
    async (item: WorkItem, verb: 'claim' | 'resolve') => {
      setError(undefined);
      try {
        await client.post(
          `/work-items/${encodeURIComponent(item.workItemId)}/${verb}`,
          verb === 'claim' ? { agent } : { resolution: 'solved' },
        );
        // The queue is the worker's projection of the stream: it follows the command a moment later.
        setTimeout(() => setTick((t) => t + 1), 500);
      } catch (err) {
        setError((err as Error).message);
      }
    },
    [client, agent],
  );

  return (
    <section className="card" aria-label="Work items">
      <div className="row">
        <h2 className="grow" style={{ margin: 0 }}>
          Work items
        </h2>
        <label htmlFor="wi-status">Status</label>
        <select id="wi-status" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          <option value="open">open</option>
          <option value="claimed">claimed</option>
          <option value="resolved">resolved</option>
        </select>
        <label htmlFor="wi-agent">Agent</label>
        <input
          id="wi-agent"
          value={agent}
          placeholder="agent id"
          onChange={(e) => {
            setAgent(e.target.value);
            sessionStorage.setItem('hub-console-agent', e.target.value);
          }}
        />
        <button onClick={() => setTick((t) => t + 1)}>Refresh</button>
      </div>
      {error && <div className="error">{error}</div>}
      {items === undefined && <p className="muted">Loading…</p>}
      {items?.length === 0 && <p className="muted">No {status} work items.</p>}
      {items && items.length > 0 && (
        <table className="ops">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Priority</th>
              <th>Customer</th>
              <th>Why</th>
              <th>Opened</th>
              <th>Due</th>
              <th>Assignee</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.workItemId} data-testid="work-item" data-status={item.status}>
                <td>{item.queue}</td>
                <td>
                  <span className={`pill ${PRIORITY_LOOK[item.priority]}`}>{item.priority}</span>
                </td>
                <td>
                  <a href={customerHref(item.customerId)}>{item.customerId.slice(0, 8)}</a>
                </td>
                <td>{item.actionId.replace(/_/g, ' ')}</td>
                <td>{new Date(item.openedAt).toLocaleString()}</td>
                <td className={item.status !== 'resolved' && Date.parse(item.dueAt) < Date.now() ? 'error' : ''}>
                  {new Date(item.dueAt).toLocaleString()}
                </td>
                <td>{item.assignee ?? <span className="muted">nobody</span>}</td>
                <td>
                  {item.status === 'open' && (
                    <button disabled={agent.trim() === ''} onClick={() => void act(item, 'claim')}>
                      Claim
                    </button>
                  )}
                  {item.status === 'claimed' && (
                    <button className="primary" onClick={() => void act(item, 'resolve')}>
                      Resolve
                    </button>
                  )}
                  {item.status === 'resolved' && <span className="muted">{item.resolution}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
