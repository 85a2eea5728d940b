import type { NbaFollowUps, NoResponseFollowUp, ReplyOutcomeFollowUp } from '../nba-follow-ups.port';

/** A follow-up port that remembers what it was asked (the queue adapter has its own spec). */
export class RecordingFollowUps implements NbaFollowUps {
  readonly scheduled: { followUp: NoResponseFollowUp; delayMs: number }[] = [];
  readonly cancelled: string[] = [];
  readonly replies: ReplyOutcomeFollowUp[] = [];

  async scheduleNoResponse(followUp: NoResponseFollowUp, delayMs: number): Promise<void> {
    this.scheduled.push({ followUp, delayMs });
  }

  async cancelNoResponse(decisionId: string): Promise<void> {
    this.cancelled.push(decisionId);
  }

  async scheduleReplyOutcome(followUp: ReplyOutcomeFollowUp): Promise<void> {
    this.replies.push(followUp);
  }
}
