import type { SurveyFacet } from '@hub/contracts';

/**
 * Which answer of a Typeform response is its CSAT or NPS score: a pure rule over the response.
 *
 * A response may give one score of each scale (a form asking CSAT and NPS): each is found, and the
 * order of the pairs in SURVEY_SCORE_FIELD_REFS decides which is the response's score (`kind`,
 * `score`); the facet's `scores` lists both. For each scale:
 *
 * 1. By ref: the first `kind:ref` pair of that scale whose field was answered.
 * 2. Otherwise by the question itself, from the answer's field type and the form definition:
 *    a field of type `nps` (0–10); an `opinion_scale` of 11 steps not starting at one (0–10, NPS);
 *    an `opinion_scale` of 5 steps starting at one, or a `rating` of 5 steps (1–5, CSAT). Typeform
 *    often sends `properties` empty, so scales are recognised only when it does send them.
 *    At most one such answer per scale: two are ambiguous (name the right one by ref instead).
 *
 * The score answer must be a whole number within its scale (CSAT 1–5, NPS 0–10). Anything else —
 * no candidate, several, a non-number, out of range — is a reason the response cannot be mapped.
 */

export type SurveyKind = SurveyFacet['kind'];

export const SCORE_SCALES: Readonly<Record<SurveyKind, { min: number; max: number }>> = Object.freeze({
  csat: { min: 1, max: 5 },
  nps: { min: 0, max: 10 },
});

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
  if (answer.type !== 'number' || typeof answer.number !== 'number')
    return { ok: false, field: path, reason: `${what} was answered with a ${answer.type}, not a number` };
  const { min, max } = SCORE_SCALES[kind];
  if (!Number.isInteger(answer.number) || answer.number < min || answer.number > max) {
    return { ok: false, field: `${path}.number`, reason: `${what} scored ${answer.number}, outside the ${kind} scale ${min}–${max}` };
  }
  return { ok: true, kind, score: answer.number, answerIndex: index, rule };
}

/**
 * The response's score, as `findSurveyScores` finds it: the first of its scores. Kept for callers
 * that want one.
 */
export function findSurveyScore(
  answers: readonly ScoreAnswer[],
  definitionFields: readonly ScoreDefinitionField[],
  refs: readonly ScoreFieldRef[],
): ScoreResult {
  const found = findSurveyScores(answers, definitionFields, refs);
  return found.ok ? found.scores[0]! : found;
}

export type ScoresResult = { ok: true; scores: Extract<ScoreResult, { ok: true }>[] } | { ok: false; field: string; reason: string };

/**
 * Every score a response gave, one per scale (CSAT, NPS), in the order SURVEY_SCORE_FIELD_REFS
 * lists the scales: for each scale, the first of its refs that was answered, else the one question
 * whose shape is that scale (two of one scale are ambiguous). At least one score is required, and
 * a score question answered outside its scale fails the response, as for a single score.
 */
export function findSurveyScores(
  answers: readonly ScoreAnswer[],
  definitionFields: readonly ScoreDefinitionField[],
  refs: readonly ScoreFieldRef[],
): ScoresResult {
  const byId = new Map(definitionFields.map((f) => [f.id, f]));
  const kinds = [...new Set<SurveyKind>([...refs.map((r) => r.kind), 'csat', 'nps'])];
  const byRef = new Map<SurveyKind, number>();
  for (const { kind, ref } of refs) {
    const index = answers.findIndex((a) => a.field.ref === ref);
    if (index >= 0 && !byRef.has(kind) && ![...byRef.values()].includes(index)) byRef.set(kind, index);
  }
  const claimed = new Set(byRef.values());
  const shaped = answers.flatMap((answer, index) => {
    const kind = claimed.has(index) ? undefined : kindFromQuestion(answer, byId.get(answer.field.id));
    return kind ? [{ kind, answer, index }] : [];
  });
  const scores: Extract<ScoreResult, { ok: true }>[] = [];
  for (const kind of kinds) {
    const refIndex = byRef.get(kind);
    let found: ScoreResult | undefined;
    if (refIndex !== undefined) found = scored(kind, answers[refIndex]!, refIndex, 'ref');
    else {
      const candidates = shaped.filter((c) => c.kind === kind);
      if (candidates.length > 1) {
        const names = candidates.map((c) => `${c.answer.field.ref ?? c.answer.field.id} (${c.kind})`).join(', ');
        return {
          ok: false,
          field: answersPath,
          reason: `ambiguous score: ${names} could each be the score; name it by ref in SURVEY_SCORE_FIELD_REFS`,
        };
      }
      if (candidates.length === 1) found = scored(kind, candidates[0]!.answer, candidates[0]!.index, 'question');
    }
    if (found && !found.ok) return found;
    if (found) scores.push(found);
  }
  if (scores.length === 0) {
    const refList = refs.map((r) => r.ref).join(' or ');
    return {
      ok: false,
      field: answersPath,
      reason: `no score question answered: no answered field with ref ${refList}, and no answered nps field, 0–10 opinion scale or 1–5 rating`,
    };
  }
  // A score named by ref comes before one recognised by its shape, refs in the order listed: the
  // response's score is the one a single-score form has always had.
  const rank = (r: Extract<ScoreResult, { ok: true }>) =>
    r.rule === 'ref'
      ? refs.findIndex((x) => x.kind === r.kind && x.ref === answers[r.answerIndex]!.field.ref)
      : refs.length + kinds.indexOf(r.kind);
  return { ok: true, scores: scores.sort((a, b) => rank(a) - rank(b)) };
}
