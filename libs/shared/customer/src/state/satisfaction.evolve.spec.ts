import type { SurveyKind } from '../events/customer.events';
import { registered, surveyAnswered } from '../testing/customer-events.fixtures';
import { foldCustomer } from './customer.evolve';

const reg = registered('c-1', '2025-01-15T08:00:00.000Z');
const answers = (survey: SurveyKind, scores: number[]) =>
  scores.map((score, i) => surveyAnswered(`${survey}-${i}`, `2025-02-${String(i + 1).padStart(2, '0')}T09:00:00.000Z`, survey, score));

describe('satisfaction', () => {
  describe('given no answers', () => {
    it('then there is no score and no trend', () => {
      expect(foldCustomer([reg]).satisfaction).toEqual({ answers: [], trend: 'unknown' });
    });
  });

  describe('when the customer answers a CSAT and an NPS survey', () => {
    const state = foldCustomer([
      reg,
      surveyAnswered('s1', '2025-02-01T09:00:00.000Z', 'csat', 4, { conversationId: 'conv-1' }),
      surveyAnswered('s2', '2025-02-02T09:00:00.000Z', 'nps', 9),
    ]);

    it('then the latest of each is kept', () => {
      expect(state.satisfaction.csat).toEqual({
        survey: 'csat',
        score: 4,
        at: '2025-02-01T09:00:00.000Z',
        eventId: 's1',
        conversationId: 'conv-1',
      });
      expect(state.satisfaction.nps).toMatchObject({ survey: 'nps', score: 9 });
    });

    it('then two answers are not enough for a trend', () => {
      expect(state.satisfaction.trend).toBe('unknown');
    });
  });

  describe('when an older answer arrives after a newer one', () => {
    const state = foldCustomer([
      reg,
      surveyAnswered('new', '2025-02-05T09:00:00.000Z', 'csat', 2),
      surveyAnswered('old', '2025-02-01T09:00:00.000Z', 'csat', 5),
    ]);

    it('then the latest CSAT is still the newer one, and the answers are listed in the order they were given', () => {
      expect(state.satisfaction.csat?.score).toBe(2);
      expect(state.satisfaction.answers.map((a) => a.eventId)).toEqual(['old', 'new']);
    });
  });

  describe('when scores have been going down', () => {
    const state = foldCustomer([reg, ...answers('csat', [5, 5, 4, 3, 2, 2])]);

    it('then the trend is falling', () => {
      expect(state.satisfaction.trend).toBe('falling');
    });
  });

  describe('when scores have been going up', () => {
    it('then the trend is improving', () => {
      expect(foldCustomer([reg, ...answers('nps', [2, 3, 4, 8, 9, 10])]).satisfaction.trend).toBe('improving');
    });
  });

  describe('when scores move a little', () => {
    it('then the trend is stable', () => {
      // CSAT 4,4,4 → 4,4,5: the average moves by 1/12 of the scale, under the 10% tolerance.
      expect(foldCustomer([reg, ...answers('csat', [4, 4, 4, 4, 4, 5])]).satisfaction.trend).toBe('stable');
    });
  });

  describe('when there are four answers', () => {
    it('then the latest three are compared with the one before', () => {
      expect(foldCustomer([reg, ...answers('csat', [5, 2, 2, 2])]).satisfaction.trend).toBe('falling');
    });
  });

  describe('when there are more than six answers', () => {
    const state = foldCustomer([reg, ...answers('csat', [1, 1, 1, 5, 5, 5, 5, 5, 5])]);

    it('then only the latest six are kept, and the trend compares the latest three with the three before', () => {
      expect(state.satisfaction.answers).toHaveLength(6);
      expect(state.satisfaction.trend).toBe('stable');
    });
  });

  describe('when CSAT and NPS answers are mixed', () => {
    // NPS 10 and CSAT 5 are both the top of their scale; NPS 0 and CSAT 1 the bottom.
    const state = foldCustomer([
      reg,
      surveyAnswered('a', '2025-02-01T09:00:00.000Z', 'nps', 10),
      surveyAnswered('b', '2025-02-02T09:00:00.000Z', 'csat', 5),
      surveyAnswered('c', '2025-02-03T09:00:00.000Z', 'nps', 10),
      surveyAnswered('d', '2025-02-04T09:00:00.000Z', 'csat', 1),
      surveyAnswered('e', '2025-02-05T09:00:00.000Z', 'nps', 0),
      surveyAnswered('f', '2025-02-06T09:00:00.000Z', 'csat', 1),
    ]);

    it('then they are compared on one 0–1 scale', () => {
      expect(state.satisfaction.trend).toBe('falling');
    });
  });

  describe('when a score is outside its scale', () => {
    const state = foldCustomer([
      reg,
      surveyAnswered('a', '2025-02-01T09:00:00.000Z', 'csat', 0),
      surveyAnswered('b', '2025-02-02T09:00:00.000Z', 'csat', 6),
      surveyAnswered('c', '2025-02-03T09:00:00.000Z', 'nps', 11),
      surveyAnswered('d', '2025-02-04T09:00:00.000Z', 'nps', 7.5),
    ]);

    it('then it is ignored', () => {
      expect(state.satisfaction).toEqual({ answers: [], trend: 'unknown' });
    });
  });
});
