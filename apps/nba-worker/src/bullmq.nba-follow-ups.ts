import type { Queue } from 'bullmq';
import { NbaNoResponseJob, type NbaNoResponseJobData } from './nba-no-response.job';
import type { NbaFollowUps, NoResponseFollowUp } from './nba-follow-ups.port';

/** The job id of a decision's no-response check: one per decision, found again to cancel it. */
export const noResponseJobId = (decisionId: string): string => `nba-no-response-${decisionId}`;

/** Follow-ups as delayed jobs on the follow-up queue. */
export class BullNbaFollowUps implements NbaFollowUps {
  constructor(private readonly queue: Queue<NbaNoResponseJobData>) {}

  async scheduleNoResponse(followUp: NoResponseFollowUp, delayMs: number): Promise<void> {
    // A job with this id already there (pending, or kept after it ran): BullMQ adds nothing.
    await this.queue.add(NbaNoResponseJob.jobName, followUp, { jobId: noResponseJobId(followUp.decisionId), delay: Math.max(0, Math.round(delayMs)) });
  }

  async cancelNoResponse(decisionId: string): Promise<void> {
    const job = await this.queue.getJob(noResponseJobId(decisionId));
    // Only a check still waiting is dropped; one running finds the outcome or reply on the stream.
    if (!job) return;
    const state = await job.getState();
    if (state === 'delayed' || state === 'waiting' || state === 'prioritized') await this.queue.remove(job.id!);
  }
}
