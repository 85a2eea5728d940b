import type { Queue } from 'bullmq';
import { NbaNoResponseJob, type NbaNoResponseJobData } from './nba-no-response.job';
import type { NbaFollowUps, NoResponseFollowUp, ReplyOutcomeFollowUp } from './nba-follow-ups.port';
import { NbaReplyOutcomeJob, type NbaReplyOutcomeJobData } from './nba-reply-outcome.job';

/** The job id of a decision's no-response check: one per decision, found again to cancel it. */
export const noResponseJobId = (decisionId: string): string => `nba-no-response-${decisionId}`;

/** The job id of a reply's outcome link: one per reply event, so a redelivered event adds nothing. */
export const replyOutcomeJobId = (eventId: string): string => `nba-reply-outcome-${eventId}`;

/** Follow-ups as (delayed) jobs on the follow-up queue. */
export class BullNbaFollowUps implements NbaFollowUps {
  constructor(private readonly queue: Queue<NbaNoResponseJobData>) {}

  async scheduleNoResponse(followUp: NoResponseFollowUp, delayMs: number): Promise<void> {
    // A job with this id already there (pending, or kept after it ran): BullMQ adds nothing.
    await this.queue.add(NbaNoResponseJob.jobName, followUp, {
      jobId: noResponseJobId(followUp.decisionId),
      delay: Math.max(0, Math.round(delayMs)),
    });
  }

  /**
   * One round trip (BullMQ's `remove`, atomic in Redis): a check still waiting is dropped, one running
   * is locked and left alone (it finds the outcome or reply on the stream). One that already ran is
   * dropped too: it only marked the decision as checked, and a check added again for it would find
   * the reply and record nothing. (It took three round trips in a row: fetch, state, remove.)
   */
  async cancelNoResponse(decisionId: string): Promise<void> {
    await this.queue.remove(noResponseJobId(decisionId));
  }

  async scheduleReplyOutcome(followUp: ReplyOutcomeFollowUp): Promise<void> {
    // The one follow-up queue carries every follow-up job; the worker tells them apart by name.
    const queue = this.queue as unknown as Queue<NbaReplyOutcomeJobData>;
    await queue.add(NbaReplyOutcomeJob.jobName, followUp, { jobId: replyOutcomeJobId(followUp.eventId) });
  }
}
