import { testInfra } from '@hub/testing';
import { EsdbEventStore } from './esdb.event-store';
import { eventStoreContract } from './testing';

const eventStoreUrl = testInfra().eventStoreUrl;

if (eventStoreUrl) {
  eventStoreContract('EventStoreDB', async () => EsdbEventStore.fromConnectionString(eventStoreUrl));
} else {
  // Reported as skipped, never as passed: nothing was checked against EventStoreDB.
  describe('EsdbEventStore', () => {
    it.skip('EventStoreDB contract skipped: EVENTSTORE_URL not set', () => undefined);
  });
}
