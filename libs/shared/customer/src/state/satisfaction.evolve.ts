import type { SurveyKind } from '../events/customer.events';
import { instant } from '../time/instant';
import type { SatisfactionState, SatisfactionTrend, SurveyScore } from './customer.state';

const SCALE: Record<SurveyKind, { min: number; max: number }> = { csat: { min: 1, max: 5 }, nps: { min: 0, max: 10 } };

/** How many answers each side of the trend compares. */
export const TREND_WINDOW = 3;
/** Averages (scaled 0–1) closer than this are `stable`. */
export const TREND_TOLERANCE = 0.1;

/** CSAT is an integer 1–5, NPS an integer 0–10. Producers should check before appending. */
export function isValidSurveyScore(survey: SurveyKind, score: number): boolean {
  const { min, max } = SCALE[survey];
  return Number.isInteger(score) && score >= min && score <= max;
}

/** A score on 0–1, so CSAT and NPS answers can be compared and averaged together. */
export function scaledScore(s: Pick<SurveyScore, 'survey' | 'score'>): number {
  const { min, max } = SCALE[s.survey];
  return (s.score - min) / (max - min);
}

const average = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The latest three answers against the (up to three) before them; `unknown` until there are at
 * least four answers, so that one answer never makes a trend.
 */
export function trendOf(answers: readonly SurveyScore[]): SatisfactionTrend {
  if (answers.length < TREND_WINDOW + 1) return 'unknown';
  const recent = answers.slice(-TREND_WINDOW).map(scaledScore);
  const before = answers.slice(-2 * TREND_WINDOW, -TREND_WINDOW).map(scaledScore);
  const delta = average(recent) - average(before);
  const epsilon = 1e-9;
  if (delta > TREND_TOLERANCE + epsilon) return 'improving';
  if (delta < -TREND_TOLERANCE - epsilon) return 'falling';
  return 'stable';
}

/** Satisfaction after one more answer; an answer with an invalid score is ignored. */
export function satisfactionAfter(state: SatisfactionState, answer: SurveyScore): SatisfactionState {
  if (!isValidSurveyScore(answer.survey, answer.score)) return state;
  const answers = [...state.answers, answer].sort((a, b) => instant(a.at) - instant(b.at)).slice(-2 * TREND_WINDOW);
  const current = state[answer.survey];
  const latestOfKind = current === undefined || instant(answer.at) >= instant(current.at) ? answer : current;
  return { ...state, [answer.survey]: latestOfKind, answers, trend: trendOf(answers) };
}
