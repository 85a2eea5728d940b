import { detectTextSignals } from './detect-text-signals';
import { evaluate, scoreTable } from './evaluation';
import { readLabelledSet } from './testing/labelled-set';
import { TEXT_SIGNAL_LANGUAGES, TEXT_SIGNALS } from './text-signals';

const MIN_MESSAGES_PER_LANGUAGE = 40;
const MIN_SUPPORT = 5;
const MIN_PRECISION = 0.8;
const MIN_RECALL = 0.7;

describe('text signals over the labelled set (libs/shared/text-signals/src/__fixtures__/labelled)', () => {
  const messages = readLabelledSet();
  const { scores, misses } = evaluate(messages, (text) => detectTextSignals(text).signals);
  const counts = Object.fromEntries(TEXT_SIGNAL_LANGUAGES.map((l) => [l, messages.filter((m) => m.language === l).length]));

  afterAll(() => {
    // The table recorded in docs/text-signals.md, and what was missed, for whoever tunes a lexicon.
    process.stdout.write(
      `\n${scoreTable(scores, counts)}\n\nmissed:\n${misses.map((m) => `  ${m.id} ${JSON.stringify(m.expected)} -> ${JSON.stringify(m.found)}  ${m.text}`).join('\n')}\n`,
    );
  });

  it('given the set, then every id is unique', () => {
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
  });

  describe.each(TEXT_SIGNAL_LANGUAGES)('given the %s messages', (language) => {
    it(`then there are at least ${MIN_MESSAGES_PER_LANGUAGE}, some carrying no signal`, () => {
      const own = messages.filter((m) => m.language === language);
      expect(own.length).toBeGreaterThanOrEqual(MIN_MESSAGES_PER_LANGUAGE);
      expect(own.filter((m) => m.signals.length === 0).length).toBeGreaterThanOrEqual(MIN_SUPPORT);
    });

    it.each(TEXT_SIGNALS)(`then %s is found with precision ≥ ${MIN_PRECISION} and recall ≥ ${MIN_RECALL}`, (signal) => {
      const s = scores.find((x) => x.language === language && x.signal === signal)!;
      expect(s.support).toBeGreaterThanOrEqual(MIN_SUPPORT);
      expect({ signal, language, precision: s.precision >= MIN_PRECISION, recall: s.recall >= MIN_RECALL }).toEqual({
        signal,
        language,
        precision: true,
        recall: true,
      });
    });
  });
});
