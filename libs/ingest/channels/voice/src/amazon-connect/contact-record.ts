import type { CallFacet, Direction } from '@hub/contracts';
import type { ContactRecord } from './amazon-connect.payload';

/**
 * Pure readings of an Amazon Connect contact record, one rule each, so each can be tested alone.
 * Data model: https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html
 */

/**
 * Which way a voice contact went, by `InitiationMethod`
 * (https://docs.aws.amazon.com/connect/latest/adminguide/contact-initiation-methods.html):
 * - INBOUND, WEBRTC_API: the customer called us.
 * - TRANSFER, QUEUE_TRANSFER: a later leg of a customer's contact moved to another agent or queue.
 *   The record does not say which way the first leg went; transfers are overwhelmingly of inbound
 *   calls, so they count as inbound (the first leg's own record carries its true direction).
 * - OUTBOUND (an agent dialled), CALLBACK (a queued callback), API (StartOutboundVoiceContact,
 *   campaigns), EXTERNAL_OUTBOUND (an agent dialled an external party into the contact): we called.
 * Anything else (MONITOR: a supervisor listening in; DISCONNECT, AGENT_REPLY, FLOW: not calls) is
 * not a customer call leg: `undefined`.
 */
export const INITIATION_DIRECTIONS: Readonly<Record<string, Direction>> = {
  INBOUND: 'inbound',
  WEBRTC_API: 'inbound',
  TRANSFER: 'inbound',
  QUEUE_TRANSFER: 'inbound',
  OUTBOUND: 'outbound',
  CALLBACK: 'outbound',
  API: 'outbound',
  EXTERNAL_OUTBOUND: 'outbound',
};

export function contactDirection(initiationMethod: string): Direction | undefined {
  return Object.prototype.hasOwnProperty.call(INITIATION_DIRECTIONS, initiationMethod)
    ? INITIATION_DIRECTIONS[initiationMethod]
    : undefined;
}

/**
 * A contact record describes a contact that has ended, so its status is `completed` — unless it
 * waited in a queue and never reached an agent: then the caller gave up (or the callback expired)
 * and it is `abandoned`. A contact that never queued and had no agent (self-service in the IVR) is
 * `completed`.
 */
export function contactCallStatus(ctr: ContactRecord): 'completed' | 'abandoned' {
  const queued = Boolean(ctr.Queue?.EnqueueTimestamp);
  const reachedAgent = Boolean(ctr.Agent?.ConnectedToAgentTimestamp);
  return queued && !reachedAgent ? 'abandoned' : 'completed';
}

const seconds = (fromIso: string, toIso: string): number => Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
const iso = (value: string): string => new Date(value).toISOString();
const present = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * Times and durations: the call from InitiationTimestamp to DisconnectTimestamp; the queue name and
 * the seconds it waited there (Queue.Duration, else Dequeue − Enqueue); the agent's username, talk
 * seconds (Agent.AgentInteractionDuration) and hold seconds (Agent.CustomerHoldDuration).
 */
export function contactTimings(
  ctr: ContactRecord,
): Pick<CallFacet, 'startedAt' | 'endedAt' | 'durationSeconds' | 'queue' | 'queueSeconds' | 'agent' | 'talkSeconds' | 'holdSeconds'> {
  const out: ReturnType<typeof contactTimings> = { startedAt: iso(ctr.InitiationTimestamp) };
  if (present(ctr.DisconnectTimestamp)) {
    out.endedAt = iso(ctr.DisconnectTimestamp);
    out.durationSeconds = seconds(ctr.InitiationTimestamp, ctr.DisconnectTimestamp);
  }
  const queue = ctr.Queue;
  if (queue) {
    if (present(queue.Name)) out.queue = queue.Name;
    if (typeof queue.Duration === 'number') out.queueSeconds = queue.Duration;
    else if (present(queue.EnqueueTimestamp) && present(queue.DequeueTimestamp))
      out.queueSeconds = seconds(queue.EnqueueTimestamp, queue.DequeueTimestamp);
  }
  const agent = ctr.Agent;
  if (agent) {
    if (present(agent.Username)) out.agent = agent.Username;
    if (typeof agent.AgentInteractionDuration === 'number') out.talkSeconds = agent.AgentInteractionDuration;
    if (typeof agent.CustomerHoldDuration === 'number') out.holdSeconds = agent.CustomerHoldDuration;
  }
  return out;
}

/**
 * The call recording's S3 object as an https URL. `Recordings[]` (the current field) is preferred:
 * its first AUDIO entry stored in S3 that is not DELETED; else the legacy `Recording` when not
 * DELETED. Connect gives `bucket/key`; the URL is the virtual-hosted S3 URL in the instance's region
 * (from InstanceARN). It locates the object; reading it needs AWS credentials (or a presigned URL).
 */
export function contactRecordingUrl(ctr: ContactRecord): string | undefined {
  const fromList = (ctr.Recordings ?? []).find(
    (r) => (r.MediaStreamType ?? 'AUDIO') === 'AUDIO' && (r.StorageType ?? 'S3') === 'S3' && r.Status !== 'DELETED' && present(r.Location),
  );
  const legacy =
    ctr.Recording && ctr.Recording.Status !== 'DELETED' && (ctr.Recording.Type ?? 'AUDIO') === 'AUDIO' ? ctr.Recording.Location : undefined;
  const location = present(fromList?.Location) ? fromList.Location : present(legacy) ? legacy : undefined;
  return location === undefined ? undefined : s3ObjectUrl(location, ctr.InstanceARN ?? undefined);
}

/**
 * `bucket/key/with/parts` (or `s3://bucket/key`) → `https://bucket.s3.<region>.amazonaws.com/key/with/parts`,
 * each key segment URL-encoded. The region and partition come from an ARN of the instance; without
 * one, the global endpoint `bucket.s3.amazonaws.com` (which redirects to the bucket's region).
 */
export function s3ObjectUrl(location: string, instanceArn?: string): string | undefined {
  const path = location.trim().replace(/^s3:\/\//i, '');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  const bucket = path.slice(0, slash);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return undefined;
  const key = path
    .slice(slash + 1)
    .split('/')
    .map(encodeURIComponent)
    .join('/');
  const arn = instanceArn?.match(/^arn:(aws[a-z-]*):[a-z0-9-]+:([a-z0-9-]+):/);
  const domain = arn?.[1] === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  const host = arn?.[2] ? `${bucket}.s3.${arn[2]}.${domain}` : `${bucket}.s3.${domain}`;
  return `https://${host}/${key}`;
}

/**
 * A contact attribute as a disposition code: a non-blank string of at most 128 characters (the
 * canonical limit); anything else is not a disposition and is left out.
 */
export function attributeDisposition(ctr: ContactRecord, attribute: string): string | undefined {
  const value = ownAttribute(ctr, attribute);
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed !== '' && trimmed.length <= 128 ? trimmed : undefined;
}

/**
 * A contact attribute as a transcript location: an http(s) URL as given, or an S3 location
 * (`s3://bucket/key`) turned into its https URL. Anything else is left out.
 */
export function attributeTranscriptUrl(ctr: ContactRecord, attribute: string): string | undefined {
  const value = ownAttribute(ctr, attribute)?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^s3:\/\//i.test(value)) return s3ObjectUrl(value, ctr.InstanceARN ?? undefined);
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && value.length <= 2048 ? value : undefined;
  } catch {
    return undefined;
  }
}

function ownAttribute(ctr: ContactRecord, attribute: string): string | undefined {
  const attributes = ctr.Attributes;
  if (!attributes || !Object.prototype.hasOwnProperty.call(attributes, attribute)) return undefined;
  const value = attributes[attribute];
  return typeof value === 'string' ? value : undefined;
}
