import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 re-arms a timer after every request even when nothing waits: with no throttle the
 * delay comes out negative (-1 - Date.now(), hence Node's TimeoutNegativeWarning) and Node runs it
 * after 1 ms, and again, for ever — every broker connection wakes the process a thousand times a
 * second, idle or not (kafkajs issue #1751). The check is only needed while requests wait (or a
 * broker throttles us): then the original runs; otherwise there is nothing to schedule, since a
 * request that has to wait schedules the check itself when it is queued.
 */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueInternals };
// Called below as original.call(this), with the queue it belongs to.
// oxlint-disable-next-line typescript/unbound-method
const original = RequestQueue.prototype.scheduleCheckPendingRequests;

RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleOnlyWhenNeeded(this: RequestQueueInternals) {
  if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
  original.call(this);
};
