import { typeformResponsePayload, type TypeformQuestion } from '@hub/channels-survey/testing';
import type { PlannedDelivery } from '../day-plan';
import { addSeconds, edit, isoSeconds, touchOf, type DeliveryBuilder } from './builder';

const FORMS = {
  csat: { id: 'Xy7PqL2n', title: 'How did we do?' },
  nps: { id: 'QkR8mVx2', title: 'Would you recommend us?' },
} as const;

/**
 * A Typeform `form_response`: the score question (a 5-star rating with ref `csat`, or an NPS
 * field), an optional comment, and the hidden fields our survey link carried — who it was sent to
 * (email or phone, as our systems wrote it) and the conversation it follows.
 */
function response(d: PlannedDelivery, seed: string, hidden: Record<string, string>): Record<string, unknown> {
  const s = touchOf(d, 'survey');
  const form = FORMS[s.survey];
  const questions: TypeformQuestion[] = [
    s.survey === 'csat'
      ? {
          id: 'Cv9bN1mA3sD5',
          ref: 'csat',
          type: 'rating',
          title: 'How satisfied are you with the help you got today?',
          properties: { steps: 5, shape: 'star' },
          answer: { type: 'number', number: s.score },
        }
      : {
          id: 'Vn1sJw7DfC2a',
          type: 'nps',
          title: 'How likely are you to recommend us to a friend or colleague?',
          answer: { type: 'number', number: s.score },
        },
    {
      id: 'Fg7hJ9kL1zX3',
      ref: 'comment',
      type: 'long_text',
      title: 'Anything we could do better?',
      ...(s.comment ? { answer: { type: 'text', text: s.comment } } : {}),
    },
  ];
  return typeformResponsePayload({
    formId: form.id,
    formTitle: form.title,
    submittedAt: isoSeconds(d.at),
    landedAt: isoSeconds(addSeconds(d.at, -75)),
    hidden: { ...hidden, ...(s.conversation ? { conversation_id: s.conversation.id, channel: s.conversation.channel } : {}) },
    questions,
    seed: `${seed}:${d.ref}`,
  });
}

const whoFrom = (d: PlannedDelivery): Record<string, string> => ({
  ...(d.from.email ? { email: d.from.email } : {}),
  ...(d.from.phone ? { phone: d.from.phone } : {}),
});

export const typeformBuilder: DeliveryBuilder = {
  provider: 'survey:typeform',
  build: (d, { seed }) => response(d, seed, whoFrom(d)),
  // The score sent as a string by a form proxy.
  malformed: (d, { seed }) => {
    const payload = response(d, seed, whoFrom(d));
    const score = String(touchOf(d, 'survey').score);
    return { payload: edit(payload, 'form_response.answers.0.number', score), fields: ['form_response.answers.0.number'] };
  },
  // A survey link shared without its hidden fields: nobody to attribute the answer to.
  unmappable: (d, { seed }) =>
    response({ ...d, touch: { ...touchOf(d, 'survey'), conversation: undefined } as PlannedDelivery['touch'] }, seed, {}),
};
