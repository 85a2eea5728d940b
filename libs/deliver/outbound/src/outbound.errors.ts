import { HubError } from '@hub/contracts';

/** A send that cannot be settled now but may be later: the decision is handled again (the consumer's backoff). */
export class OutboundSendPendingError extends HubError {
  readonly retryable = true;
  constructor(
    readonly code: 'SEND_RETRY_LATER' | 'SEND_IN_DOUBT' | 'SEND_RACE_LOST',
    message: string,
  ) {
    super(message);
  }
}
