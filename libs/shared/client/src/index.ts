export * from './client.errors';
export * from './retry.policy';
export * from './ndjson';
export * from './ingest.client';
export * from './seen-set';
export * from './decision.consumer';
export type {
  AcceptedResponse,
  ApiErrorBody,
  ApiProblem,
  BatchLineResult,
  BatchResponse,
  ConsentRequest,
  ConversationStatusRequest,
  IngestApiHealth,
  InteractionReceivedInput,
  TraitsRequest,
} from '@hub/contracts';
export type {
  NbaChannelAddress,
  NbaDecisionMessage,
  NbaDecisionMessageV2,
  NbaNoActionMessage,
  NbaNoActionReason,
  NbaTriggerRef,
} from '@hub/customer';
