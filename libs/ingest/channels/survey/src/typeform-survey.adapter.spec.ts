import type { WebhookRequest } from '@hub/channels-core';
import { channelConformanceKit, CONFORMANCE_CONTEXT, runChannelPipeline, type PipelineOutcome } from '@hub/channels-core/testing';
import { InteractionReceivedDto, validateAs, type InteractionReceived } from '@hub/contracts';
import { isValidSurveyScore } from '@hub/customer';
import {
  answerValue,
  findSurveyScore,
  kindFromQuestion,
  parseScoreFieldRefs,
  SCORE_SCALES,
  TypeformAnswer,
  TypeformSurveyChannelAdapter,
  TypeformSurveyConfig,
  typeformSignature,
  type ScoreAnswer,
  type ScoreDefinitionField,
} from './index';
import {
  surveyTestSetup,
  typeformResponsePayload,
  typeformWebhookRequest,
  type TypeformQuestion,
  type TypeformResponseInput,
} from './testing';

const SECRET = 'survey-spec-secret';
const URL = 'https://hub.example.com/webhooks/typeform';
const NOW = { nowMs: Date.now() };

const adapter = (config: Partial<TypeformSurveyConfig> = {}) => new TypeformSurveyChannelAdapter({ TYPEFORM_SECRET: SECRET, ...config });
const request = (payload: Record<string, unknown>, secret = SECRET): WebhookRequest =>
  typeformWebhookRequest({ secret, url: URL, payload });

const csat = (score: number, extra: Partial<TypeformQuestion> = {}): TypeformQuestion => ({
  id: 'Mn3bV5cX7zL9',
  ref: 'csat',
  type: 'rating',
  title: 'How satisfied are you?',
  properties: { steps: 5 },
  answer: { type: 'number', number: score },
  ...extra,
});
const comment = (text: string): TypeformQuestion => ({
  id: 'Fg7hJ9kL1zX3',
  ref: 'comment',
  type: 'long_text',
  title: 'Anything else?',
  answer: { type: 'text', text },
});

function response(over: Partial<TypeformResponseInput> = {}): Record<string, unknown> {
  return typeformResponsePayload({
    formId: 'Xy7PqL2n',
    submittedAt: '2025-01-13T09:00:58Z',
    hidden: { email: 'dana@example.com' },
    questions: [csat(4)],
    ...over,
  });
}

async function accepted(payload: Record<string, unknown>, config: Partial<TypeformSurveyConfig> = {}): Promise<InteractionReceived> {
  const outcome = await runChannelPipeline(adapter(config), request(payload));
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(outcome)}`);
  expect(outcome.events).toHaveLength(1);
  return outcome.events[0]!;
}

const unmappable = async (
  payload: Record<string, unknown>,
  config: Partial<TypeformSurveyConfig> = {},
): Promise<Extract<PipelineOutcome, { kind: 'unmappable' }>> => {
  const outcome = await runChannelPipeline(adapter(config), request(payload));
  if (outcome.kind !== 'unmappable') throw new Error(`expected unmappable, got ${JSON.stringify(outcome)}`);
  return outcome;
};

channelConformanceKit(surveyTestSetup);

describe('TypeformSurveyChannelAdapter', () => {
  describe('when Typeform signs a delivery', () => {
    const payload = response();

    it('then the signature is sha256= followed by the base64 HMAC-SHA256 of the body, as Typeform documents it', () => {
      const signed = request(payload);
      expect(signed.headers['typeform-signature']).toMatch(/^sha256=[A-Za-z0-9+/]{43}=$/);
      expect(signed.headers['typeform-signature']).toBe(typeformSignature(SECRET, signed.rawBody));
    });

    it('then it is checked against the exact bytes received: the same JSON re-serialised with other spacing is refused', () => {
      const signed = request(payload);
      const respaced: WebhookRequest = { ...signed, rawBody: Buffer.from(JSON.stringify(payload, null, 2)) };
      expect(adapter().verify(signed, NOW)).toEqual({ ok: true });
      expect(adapter().verify(respaced, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then a signature without its sha256= prefix is refused', () => {
      const signed = request(payload);
      const bare = {
        ...signed,
        headers: { ...signed.headers, 'typeform-signature': signed.headers['typeform-signature']!.slice('sha256='.length) },
      };
      expect(adapter().verify(bare, NOW)).toEqual({ ok: false, reason: 'signature_invalid' });
    });

    it('then the time of delivery does not matter (Typeform signs no timestamp): a week-old delivery still verifies', () => {
      expect(adapter().verify(request(payload), { nowMs: NOW.nowMs + 7 * 24 * 3600 * 1000 })).toEqual({ ok: true });
    });
  });

  describe('when Typeform redelivers a response', () => {
    it('then the event id comes from the response token, so a redelivery with another event_id maps to the same event', async () => {
      const first = response({ token: 'c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4', eventId: '01J0B1C2D3E4F5G6H7J8K9M0N1' });
      const again = response({ token: 'c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4', eventId: '01J0ZZZZZZZZZZZZZZZZZZZZZZ' });
      expect((await accepted(again)).metadata.eventId).toBe((await accepted(first)).metadata.eventId);
    });

    it('then another response to the same form is another event', async () => {
      const a = await accepted(response({ token: 'c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4' }));
      const b = await accepted(response({ token: 'd0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5' }));
      expect(a.metadata.eventId).not.toBe(b.metadata.eventId);
    });

    it('then occurredAt is submitted_at, whenever it is received', async () => {
      const event = await accepted(response({ submittedAt: '2025-01-13T09:00:58Z' }));
      expect(event.metadata).toMatchObject({ occurredAt: '2025-01-13T09:00:58.000Z', recordedAt: CONFORMANCE_CONTEXT.receivedAt });
    });
  });

  describe('the score rule', () => {
    describe.each([1, 2, 3, 4, 5])('when the field with ref csat is answered %i', (score) => {
      it(`then it is a CSAT response scoring ${score}`, async () => {
        expect((await accepted(response({ questions: [csat(score), comment('ok')] }))).data.survey).toMatchObject({ kind: 'csat', score });
      });
    });

    describe.each([0, 6, 3.5, -1])('when the field with ref csat is answered %p', (score) => {
      it('then the response cannot be mapped: the score is outside CSAT 1–5', async () => {
        const { error } = await unmappable(response({ questions: [csat(score)] }));
        expect(error).toMatchObject({
          field: 'form_response.answers.0.number',
          message: expect.stringContaining('outside the csat scale 1–5'),
        });
      });
    });

    describe.each([0, 1, 5, 6, 9, 10])('when an nps field (no ref configured) is answered %i', (score) => {
      it(`then it is an NPS response scoring ${score}`, async () => {
        const nps: TypeformQuestion = {
          id: 'Vn1sJw7DfC2a',
          type: 'nps',
          title: 'Recommend us?',
          answer: { type: 'number', number: score },
        };
        expect((await accepted(response({ questions: [nps] }))).data.survey).toMatchObject({ kind: 'nps', score });
      });
    });

    it('then an NPS answer of 11 cannot be mapped', async () => {
      const nps: TypeformQuestion = {
        id: 'Vn1sJw7DfC2a',
        ref: 'nps',
        type: 'nps',
        title: 'Recommend us?',
        answer: { type: 'number', number: 11 },
      };
      expect((await unmappable(response({ questions: [nps] }))).error.message).toContain('outside the nps scale 0–10');
    });

    const q = (type: string, properties?: Record<string, unknown>): [ScoreAnswer, ScoreDefinitionField] => [
      { type: 'number', number: 3, field: { id: 'f1', type } },
      { id: 'f1', type, ...(properties ? { properties } : {}) },
    ];
    it.each([
      ['an nps field', 'nps', q('nps')],
      ['a 0–10 opinion scale (11 steps, start_at_one false)', 'nps', q('opinion_scale', { steps: 11, start_at_one: false })],
      ['an 11-step opinion scale whose start_at_one is not sent (Typeform’s default is 0)', 'nps', q('opinion_scale', { steps: 11 })],
      ['a 1–5 opinion scale (5 steps from one)', 'csat', q('opinion_scale', { steps: 5, start_at_one: true })],
      ['a 5-step rating', 'csat', q('rating', { steps: 5 })],
      ['a 1–11 opinion scale', undefined, q('opinion_scale', { steps: 11, start_at_one: true })],
      ['a 0–4 opinion scale', undefined, q('opinion_scale', { steps: 5, start_at_one: false })],
      ['a 10-step rating', undefined, q('rating', { steps: 10 })],
      ['a rating whose properties Typeform did not send', undefined, q('rating')],
      ['an opinion scale whose properties Typeform did not send', undefined, q('opinion_scale')],
      ['a number field', undefined, q('number', { steps: 5 })],
    ])('then the question shape of %s gives %s', (_what, kind, [answer, definition]) => {
      expect(kindFromQuestion(answer, definition)).toBe(kind);
    });

    it('then a configured ref wins over the question shape, in the order the pairs are listed', () => {
      const answers: ScoreAnswer[] = [
        { type: 'number', number: 2, field: { id: 'a', type: 'rating', ref: 'csat' } },
        { type: 'number', number: 9, field: { id: 'b', type: 'nps', ref: 'nps' } },
      ];
      expect(findSurveyScore(answers, [], parseScoreFieldRefs('csat:csat,nps:nps'))).toMatchObject({
        ok: true,
        kind: 'csat',
        score: 2,
        rule: 'ref',
      });
      expect(findSurveyScore(answers, [], parseScoreFieldRefs('nps:nps,csat:csat'))).toMatchObject({
        ok: true,
        kind: 'nps',
        score: 9,
        rule: 'ref',
      });
    });

    describe('when one response answers both a CSAT and an NPS question', () => {
      const nps = (score: number, extra: Partial<TypeformQuestion> = {}): TypeformQuestion => ({
        id: 'Gh1jK3lZ5xC7',
        ref: 'nps',
        type: 'nps',
        title: 'Recommend us?',
        answer: { type: 'number', number: score },
        ...extra,
      });

      it('then the facet carries both scores, the first of SURVEY_SCORE_FIELD_REFS as the score', async () => {
        const { survey } = (await accepted(response({ questions: [csat(2), nps(9)] }))).data;
        expect(survey).toMatchObject({
          kind: 'csat',
          score: 2,
          scores: [
            { kind: 'csat', score: 2, questionId: 'csat' },
            { kind: 'nps', score: 9, questionId: 'nps' },
          ],
        });
        const npsFirst = (await accepted(response({ questions: [csat(2), nps(9)] }), { SURVEY_SCORE_FIELD_REFS: 'nps:nps,csat:csat' })).data
          .survey;
        expect(npsFirst).toMatchObject({
          kind: 'nps',
          score: 9,
          scores: [
            { kind: 'nps', score: 9 },
            { kind: 'csat', score: 2 },
          ],
        });
      });

      it('then both are found by the questions’ shapes too, when no ref names them (one question of each scale is not ambiguous)', async () => {
        const { survey } = (await accepted(response({ questions: [csat(4, { ref: 'how-was-it' }), nps(10, { ref: 'recommend' })] }))).data;
        expect(survey).toMatchObject({
          kind: 'csat',
          score: 4,
          scores: [
            { kind: 'csat', score: 4, questionId: 'how-was-it' },
            { kind: 'nps', score: 10, questionId: 'recommend' },
          ],
        });
      });

      it('then every event passes the canonical contract with both scores', async () => {
        const event = await accepted(response({ questions: [csat(2), nps(0)] }));
        expect(validateAs(InteractionReceivedDto, JSON.parse(JSON.stringify(event)))).toMatchObject({ ok: true });
      });
    });

    it('then a configured ref that was skipped falls back to the question shape', () => {
      const answers: ScoreAnswer[] = [{ type: 'number', number: 8, field: { id: 'b', type: 'nps', ref: 'recommend' } }];
      expect(findSurveyScore(answers, [{ id: 'b', type: 'nps' }], parseScoreFieldRefs())).toMatchObject({
        ok: true,
        kind: 'nps',
        score: 8,
        answerIndex: 0,
        rule: 'question',
      });
    });

    it('then a ref-named field answered with a choice cannot be the score, and says so', async () => {
      const choice: TypeformQuestion = {
        id: 'Mn3bV5cX7zL9',
        ref: 'csat',
        type: 'multiple_choice',
        title: 'Happy?',
        answer: { type: 'choice', choice: { label: 'Very' } },
      };
      expect((await unmappable(response({ questions: [choice] }))).error).toMatchObject({
        field: 'form_response.answers.0',
        message: expect.stringContaining('answered with a choice, not a number'),
      });
    });

    it('then SURVEY_SCORE_FIELD_REFS names the score field and its scale', async () => {
      // Typeform sent no `properties`, so only the ref can say this rating is the score.
      const agent = csat(2, { ref: 'agent_rating', properties: {} });
      expect(
        (await accepted(response({ questions: [agent] }), { SURVEY_SCORE_FIELD_REFS: 'csat:agent_rating' })).data.survey,
      ).toMatchObject({ kind: 'csat', score: 2 });
      expect((await unmappable(response({ questions: [agent] }), { SURVEY_SCORE_FIELD_REFS: 'nps:recommend' })).error.message).toContain(
        'no score question answered',
      );
    });

    it.each(['csat', 'csat:', 'promoter:nps', 'csat:a b', 'csat:a,,nps:b'])(
      'then SURVEY_SCORE_FIELD_REFS=%j is refused at boot',
      (value) => {
        expect(validateAs(TypeformSurveyConfig, { TYPEFORM_SECRET: 's', SURVEY_SCORE_FIELD_REFS: value })).toMatchObject({
          ok: false,
          errors: [{ field: 'SURVEY_SCORE_FIELD_REFS' }],
        });
        expect(() => parseScoreFieldRefs(value)).toThrow();
      },
    );

    it('then the scales agree with the customer domain’s own check of survey scores', () => {
      for (const kind of ['csat', 'nps'] as const) {
        for (let score = -2; score <= 12; score++) {
          const { min, max } = SCORE_SCALES[kind];
          expect(score >= min && score <= max).toBe(isValidSurveyScore(kind, score));
        }
      }
    });
  });

  describe('linking the response to the conversation that asked for it', () => {
    it('when the link carried conversation_id and channel, then the survey names the conversation, threads under it and correlates as channel:conversation', async () => {
      const event = await accepted(response({ hidden: { email: 'dana@example.com', conversation_id: 'conv-2b91', channel: 'sms' } }));
      expect(event.data.threadId).toBe('conv-2b91');
      expect(event.data.survey?.conversationId).toBe('conv-2b91');
      expect(event.metadata.correlationId).toBe('sms:conv-2b91');
      expect(event.metadata.causationId).toBe(event.metadata.eventId);
    });

    it('when the channel is not one the hub knows, then the conversation id alone is the correlation', async () => {
      const event = await accepted(
        response({ hidden: { email: 'dana@example.com', conversation_id: 'conv-2b91', channel: 'carrier-pigeon' } }),
      );
      expect(event.metadata.correlationId).toBe('conv-2b91');
      expect(event.data.survey?.conversationId).toBe('conv-2b91');
    });

    it.each([
      ['no conversation_id hidden field', { email: 'dana@example.com' }],
      ['an empty conversation_id (a link that did not fill it)', { email: 'dana@example.com', conversation_id: '', channel: 'sms' }],
    ])('when there is %s, then nothing is linked and the event correlates with itself', async (_what, hidden) => {
      const event = await accepted(response({ hidden }));
      expect(event.data).not.toHaveProperty('threadId');
      expect(event.data.survey).not.toHaveProperty('conversationId');
      expect(event.metadata.correlationId).toBe(event.metadata.eventId);
    });

    it('when the conversation id is too long to be a correlation id (over 128), then it still links the conversation', async () => {
      const long = `conv-${'x'.repeat(200)}`;
      const event = await accepted(response({ hidden: { email: 'dana@example.com', conversation_id: long, channel: 'sms' } }));
      expect(event.data.survey?.conversationId).toBe(long);
      expect(event.metadata.correlationId).toBe(event.metadata.eventId);
    });

    it('when the conversation id is longer than the facet allows (256), then the response cannot be mapped', async () => {
      const { error } = await unmappable(response({ hidden: { email: 'dana@example.com', conversation_id: 'c'.repeat(257) } }));
      expect(error.field).toBe('form_response.hidden.conversation_id');
    });
  });

  describe('who answered', () => {
    const emailAnswer: TypeformQuestion = {
      id: 'Ab3cD5eF7gH9',
      ref: 'email',
      type: 'email',
      title: 'Your email',
      answer: { type: 'email', email: 'Typed@Example.com' },
    };
    const phoneAnswer: TypeformQuestion = {
      id: 'Ty5uI7oP9aS1',
      ref: 'phone',
      type: 'phone_number',
      title: 'Your phone',
      answer: { type: 'phone_number', phone_number: '+14155550123' },
    };

    it('when the link carried email, phone and customer_id, then they come first in that order, before what was typed', async () => {
      const event = await accepted(
        response({
          hidden: { email: 'Dana@Example.com', phone: '+447400123456', customer_id: 'C-1' },
          questions: [csat(4), emailAnswer, phoneAnswer],
        }),
      );
      expect(event.data.identities).toEqual([
        { kind: 'email', value: 'dana@example.com' },
        { kind: 'phone', value: '+447400123456' },
        { kind: 'external', namespace: 'crm', value: 'C-1' },
        { kind: 'email', value: 'typed@example.com' },
        { kind: 'phone', value: '+14155550123' },
      ]);
    });

    it('when the hidden email is unusable, then the typed email keys the customer', async () => {
      const event = await accepted(response({ hidden: { email: 'xxxxx' }, questions: [csat(4), emailAnswer] }));
      expect(event.data.identities).toEqual([{ kind: 'email', value: 'typed@example.com' }]);
    });

    it('when the typed email is the hidden one, then it is listed once', async () => {
      const event = await accepted(response({ hidden: { email: 'typed@example.com' }, questions: [csat(4), emailAnswer] }));
      expect(event.data.identities).toEqual([{ kind: 'email', value: 'typed@example.com' }]);
    });

    it('when only customer_id is known, then it is an external id in SURVEY_CUSTOMER_ID_NAMESPACE', async () => {
      const event = await accepted(response({ hidden: { customer_id: ' 0035g00000XyZaBAAV ' } }), {
        SURVEY_CUSTOMER_ID_NAMESPACE: 'salesforce',
      });
      expect(event.data.identities).toEqual([{ kind: 'external', namespace: 'salesforce', value: '0035g00000XyZaBAAV' }]);
    });
  });

  describe('the answers recorded', () => {
    it('then each answer is keyed by its field ref (or id), titled from the definition, in the order answered', async () => {
      const event = await accepted(response({ questions: [csat(5), comment('Great 👍')] }));
      expect(event.data.survey?.answers).toEqual([
        { questionId: 'csat', question: 'How satisfied are you?', value: 5 },
        { questionId: 'comment', question: 'Anything else?', value: 'Great 👍' },
      ]);
    });

    it('then a question title longer than 1,024 characters is cut to 1,024, ending in an ellipsis', async () => {
      const event = await accepted(response({ questions: [csat(5, { title: 'Why? '.repeat(300) })] }));
      const question = event.data.survey!.answers[0]!.question!;
      expect(question).toHaveLength(1024);
      expect(question.endsWith('…')).toBe(true);
    });

    it('then an uploaded file is listed as media too', async () => {
      const upload: TypeformQuestion = {
        id: 'whIYKa6Wx5cY',
        ref: 'photo',
        type: 'file_upload',
        title: 'Photo',
        answer: { type: 'file_url', file_url: 'https://api.typeform.com/responses/files/abc/photo.jpg' },
      };
      expect((await accepted(response({ questions: [csat(3), upload] }))).data.content.media).toEqual([
        { url: 'https://api.typeform.com/responses/files/abc/photo.jpg' },
      ]);
    });

    const answer = (plain: Record<string, unknown>): TypeformAnswer =>
      Object.assign(new TypeformAnswer(), { field: { id: 'x', type: 'short_text' }, ...plain });
    it.each([
      ['a choice', 'Delivery', { type: 'choice', choice: { label: 'Delivery' } }],
      ['an "Other" choice', 'Something else', { type: 'choice', choice: { other: 'Something else' } }],
      ['several choices and an "Other"', 'Chat, SMS, Fax', { type: 'choices', choices: { labels: ['Chat', 'SMS'], other: 'Fax' } }],
      ['a payment', '12.50', { type: 'payment', payment: { amount: '12.50', last4: '4242', name: 'D. Cohen', success: true } }],
      ['a yes/no', false, { type: 'boolean', boolean: false }],
      ['a date', '2025-01-12', { type: 'date', date: '2025-01-12' }],
      ['a scalar of a type Typeform adds later', 'positive', { type: 'sentiment', sentiment: 'positive' }],
      ['an object of a type Typeform adds later', undefined, { type: 'matrix', matrix: { rows: [] } }],
      ['an empty choice', undefined, { type: 'choice', choice: {} }],
    ])('then %s is recorded as %p', (_what, expected, plain) => {
      expect(answerValue(answer(plain))).toEqual(expected);
    });
  });
});
