import type { CustomerEventType } from './customer.events';

/**
 * The schema version every customer event is written with today (`metadata.schemaVersion`). A
 * stored event with a lower version is brought up to this one by `upcast` before it is folded.
 * Changing an event's data shape: bump its version here and register an upcaster from the old one.
 */
export const CURRENT_SCHEMA_VERSIONS = {
  CustomerRegistered: 1,
  InteractionRecorded: 1,
  /**
   * v2: `strategyVersion` (was `rulesetVersion`), `catalogVersion`, `seed`, `arbitration`.
   * v3: `contactMode`, `segment`, `outcomes`, `menu`; no `arbitration` (recomputed, not stored).
   */
  NextBestActionDecided: 3,
  NbaOutcomeRecorded: 1,
  ConsentChanged: 1,
  TraitsUpdated: 1,
  SurveyAnswered: 1,
  OrderPlaced: 1,
  OrderRefunded: 1,
  ConversationResolved: 1,
  CustomersMerged: 1,
  CustomerMergedInto: 1,
  CustomerUnmerged: 1,
  CustomerRestored: 1,
  MergeProposed: 1,
  MergeProposalRejected: 1,
  CustomerErased: 1,
  WorkItemOpened: 1,
  WorkItemClaimed: 1,
  WorkItemReassigned: 1,
  WorkItemResolved: 1,
} as const satisfies Record<CustomerEventType, number>;
