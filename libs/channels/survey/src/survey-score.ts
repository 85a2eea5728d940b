import type { SurveyFacet } from '@hub/contracts';

/**
 * Which answer of a Typeform response is its CSAT or NPS score: a pure rule over the response.
 *
 * 1. By ref: the first `kind:ref` pair of SURVEY_SCORE_FIELD_REFS (default `csat:csat,nps:nps`)
 *    whose field was answered. The order of the pairs decides when a form asks both.
 * 2. Otherwise by the question itself, from the answer's field type and the form definition:
 *    a field of type `nps` (0–10); an `opinion_scale` of 11 steps not starting at one (0–10, NPS);
 *    an `opinion_scale` of 5 steps starting at one, or a `rating` of 5 steps (1–5, CSAT). Typeform
 *    often sends `properties` empty, so scales are recognised only when it does send them.
 *    Exactly one such answer must exist: two are ambiguous (name the right one by ref instead).
 *
 * The score answer must be a whole number within its scale (CSAT 1–5, NPS 0–10). Anything else —
 * no candidate, several, a non-number, out of range — is a reason the response cannot be mapped.
 */

export type SurveyKind = SurveyFacet['kind'];

export const SCORE_SCALES: Readonly<Record<SurveyKind, { min: number; max: number }>> = Object.freeze({ csat: { min: 1, max: 5 }, nps: { min: 0, max: 10 } });

export interface ScoreFieldRef {
  kind: SurveyKind;
  ref: string;
}

export const DEFAULT_SCORE_FIELD_REFS = 'csat:csat,nps:nps';

/** The syntax of SURVEY_SCORE_FIELD_REFS: comma-separated `csat:<ref>` / `nps:<ref>` pairs. */
export const SCORE_FIELD_REFS_PATTERN = /^(csat|nps):[^\s,:]{1,128}(,(csat|nps):[^\s,:]{1,128})*$/;

export function parseScoreFieldRefs(raw: string = DEFAULT_SCORE_FIELD_REFS): ScoreFieldRef[] {
  if (!SCORE_FIELD_REFS_PATTERN.test(raw)) throw new Error(`not a list of csat:<ref> / nps:<ref> pairs: ${JSON.stringify(raw)}`);
  return raw.split(',').map((pair) => {
    const [kind, ref] = pair.split(':') as [SurveyKind, string];
    return { kind, ref };
  });
}

/** What the rule reads of an answer and of the form definition. */
export interface ScoreAnswer {
  type: string;
  number?: unknown;
  field: { id: string; type: string; ref?: string };
}
export interface ScoreDefinitionField {
  id: string;
  type: string;
  properties?: Record<string, unknown>;
}

export type ScoreResult =
  | { ok: true; kind: SurveyKind; score: number; answerIndex: number; rule: 'ref' | 'question' }
  | { ok: false; field: string; reason: string };

const answersPath = 'form_response.answers';

/** The scale a question's own shape implies, if it implies one. */
export function kindFromQuestion(answer: ScoreAnswer, definition: ScoreDefinitionField | undefined): SurveyKind | undefined {
  const type = definition?.type ?? answer.field.type;
  if (type === 'nps') return 'nps';
  const props = definition?.properties ?? {};
  const steps = props['steps'];
  const startAtOne = props['start_at_one'] === true;
  if (type === 'opinion_scale' && steps === 11 && !startAtOne) return 'nps';
  if (type === 'opinion_scale' && steps === 5 && startAtOne) return 'csat';
  if (type === 'rating' && steps === 5) return 'csat';
  return undefined;
}

function scored(kind: SurveyKind, answer: ScoreAnswer, index: number, rule: 'ref' | 'question'): ScoreResult {
  const path = `${answersPath}.${index}`;
  const what = `the ${kind} question (${answer.field.ref ?? answer.field.id})`;
  if (answer.type !== 'number' || typeof answer.number !== 'number') return { ok: false, field: path, reason: `${what} was answered with a ${answer.type}, not a number` };
  const { min, max } = SCORE_SCALES[kind];
  if (!Number.isInteger(answer.number) || answer.number < min || answer.number > max) {
    return { ok: false, field: `${path}.number`, reason: `${what} scored ${answer.number}, outside the ${kind} scale ${min}–${max}` };
  }
  return { ok: true, kind, score: answer.number, answerIndex: index, rule };
}

export function findSurveyScore(answers: readonly ScoreAnswer[], definitionFields: readonly ScoreDefinitionField[], refs: readonly ScoreFieldRef[]): ScoreResult {
  for (const { kind, ref } of refs) {
    const index = answers.findIndex((a) => a.field.ref === ref);
    if (index >= 0) return scored(kind, answers[index]!, index, 'ref');
  }
  const byId = new Map(definitionFields.map((f) => [f.id, f]));
  const candidates = answers.flatMap((answer, index) => {
    const kind = kindFromQuestion(answer, byId.get(answer.field.id));
    return kind ? [{ kind, answer, index }] : [];
  });
  if (candidates.length === 1) return scored(candidates[0]!.kind, candidates[0]!.answer, candidates[0]!.index, 'question');
  const refList = refs.map((r) => r.ref).join(' or ');
  if (candidates.length === 0) {
    return { ok: false, field: answersPath, reason: `no score question answered: no answered field with ref ${refList}, and no answered nps field, 0–10 opinion scale or 1–5 rating` };
  }
  const names = candidates.map((c) => `${c.answer.field.ref ?? c.answer.field.id} (${c.kind})`).join(', ');
  return { ok: false, field: answersPath, reason: `ambiguous score: ${names} could each be the score; name it by ref in SURVEY_SCORE_FIELD_REFS` };
}
