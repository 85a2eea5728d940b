import { NBA_POLICY_KINDS, type NbaCandidate, type NbaChannelBlock, type NbaNoActionReason, type NbaRejection } from '@hub/customer';
import type { Decision } from '../engine/decide';

const isPolicyRejection = (r: NbaRejection): boolean => (NBA_POLICY_KINDS as readonly string[]).includes(r);
const CONSENT_BLOCKS: readonly NbaChannelBlock[] = ['opted_out', 'no_opt_in'];

/** Held back only because no channel had the consent it needs (a disabled channel aside). */
function consentOnly(c: NbaCandidate): boolean {
  const channels = c.contact?.channels ?? [];
  return (
    c.rejectedBy.length === 1 &&
    c.rejectedBy[0] === 'no_channel' &&
    channels.some((ch) => ch.blockedBy.some((b) => CONSENT_BLOCKS.includes(b))) &&
    channels.every((ch) => ch.blockedBy.every((b) => CONSENT_BLOCKS.includes(b) || b === 'channel_disabled'))
  );
}

/**
 * Why a decision contacts nobody (undefined when it does), from its candidates: none passed the
 * engagement policies; or those that did were held back only by missing consent, or only by the
 * minimum priority; or else by the contact policy (cooldowns, caps, quiet hours, reply window,
 * reachability, or a mix).
 */
export function noActionReason(decision: Decision): NbaNoActionReason | undefined {
  if (decision.chosen.kind !== 'none') return undefined;
  if (decision.withheld) return 'control_group';
  const held = decision.candidates.filter((c) => c.kind !== 'none' && !c.rejectedBy.some(isPolicyRejection));
  if (held.length === 0) return 'no_eligible_action';
  if (held.every(consentOnly)) return 'consent_missing';
  if (held.every((c) => c.rejectedBy.length === 1 && c.rejectedBy[0] === 'below_min_priority')) return 'below_min_priority';
  return 'contact_policy';
}
