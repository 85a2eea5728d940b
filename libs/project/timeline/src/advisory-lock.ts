/** Advisory locks and leadership live with the PostgreSQL adapters; the timeline names its own. */
export { tryAdvisoryLock, whileLeader, type HeldAdvisoryLock, type LeaderLogger } from '@hub/event-store';

/** Names of the timeline's locks (per database: two environments on one server do not share them). */
export const TIMELINE_REPLAY_LOCK = 'hub.timeline.replay';
