/**
 * kafkajs 2.2.4's request queue spins while a connection is idle: `scheduleCheckPendingRequests`
 * arms a timer even when nothing is pending, with a negative delay (`throttledUntil` is -1 until the
 * broker throttles), so every open connection — producer, consumer, admin — runs a 1 ms timer loop
 * for as long as it is open (kafkajs issues #1556 and #1704; the fix, pull request #1667, was never
 * released). The loop is cheap one turn at a time and takes whatever CPU is free: on this project's
 * 2-core machine it was the larger part of every idle app's CPU, and under load it competed with the
 * work (docs/benchmarks.md, session 12).
 *
 * `applyKafkajsIdleFix` replaces that one method with #1667's: a check is scheduled only while
 * requests are pending — when the broker throttles, at the end of the throttle; when too many are in
 * flight, every 10 ms as before (a fulfilled request checks the queue anyway). Nothing else changes:
 * `push` schedules a check whenever it queues a request, and a fulfilled or timed-out request checks
 * the queue. Applied once per process by `createKafka`, and only to the kafkajs version it was written
 * for (a newer one is left alone, and `kafkajsIdleFix().applied` says so).
 */

/** The one kafkajs version the fix is for: the workspace pins it (package.json). */
export const KAFKAJS_FIXED_VERSION = '2.2.4';

/** kafkajs's `CHECK_PENDING_REQUESTS_INTERVAL`: how often a queue with pending requests and no throttle is checked. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

export interface KafkajsIdleFix {
  applied: boolean;
  /** Why not, when not applied. */
  reason?: string;
}

let state: KafkajsIdleFix | undefined;

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** Applies the fix to kafkajs's `RequestQueue` (once; later calls return the first answer). */
export function applyKafkajsIdleFix(): KafkajsIdleFix {
  if (state) return state;
  try {
    // kafkajs has no `exports` map: its sources are requirable, and stay external in the app bundles.
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (version !== KAFKAJS_FIXED_VERSION) {
      state = { applied: false, reason: `kafkajs ${version} is not ${KAFKAJS_FIXED_VERSION}, the version the fix is for` };
      return state;
    }
    const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
    RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
    state = { applied: true };
  } catch (err) {
    state = { applied: false, reason: `kafkajs's request queue was not found: ${String(err)}` };
  }
  return state;
}

/** Whether the fix is in place in this process (`applyKafkajsIdleFix`'s answer; not applied before the first call). */
export const kafkajsIdleFix = (): KafkajsIdleFix => state ?? { applied: false, reason: 'not applied yet' };
