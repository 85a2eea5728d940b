import type { ChannelId } from '@hub/contracts';
import { instant } from '../time/instant';
import type { ConsentRecord, CustomerState } from './customer.state';

/**
 * Consent after one more signal. The newer signal (by when it happened) wins, whatever order the
 * events were recorded in: a STOP at 10:00 recorded after a START at 11:00 leaves the customer
 * opted in. Two signals at the same instant: opting out wins (when unsure, do not contact).
 */
export function withConsent(state: CustomerState, channel: ChannelId, next: ConsentRecord): Pick<CustomerState, 'consent' | 'consents'> {
  const current = state.consents[channel];
  const newer =
    current === undefined ||
    instant(next.at) > instant(current.at) ||
    (instant(next.at) === instant(current.at) && next.status === 'opted_out');
  if (!newer) return { consent: state.consent, consents: state.consents };
  return { consent: { ...state.consent, [channel]: next.status }, consents: { ...state.consents, [channel]: next } };
}
