import { compileLexicon, detectTextSignals, requiredLiteral, type CompiledLexicon } from './detect-text-signals';
import { LEXICONS } from './lexicons';
import { normalizeText } from './normalize-text';
import { readLabelledSet } from './testing/labelled-set';
import { TEXT_SIGNALS } from './text-signals';

describe('requiredLiteral (the letters a cue cannot match without)', () => {
  it.each([
    ['refund*', 'refund'],
    ['want ~ money back', 'money'],
    ['colou?r', 'colo'],
    ['(отново|пак) (ви )?(пиша|звъня)', undefined],
    ['\\d+ times', 'times'],
    ['second|third time', undefined],
    ['(ثاني|ثالث) مره', 'مره'],
    ['a', undefined],
  ])('given %s, then %s', (pattern, needle) => {
    expect(requiredLiteral(normalizeText(pattern))).toBe(needle);
  });
});

describe('detectTextSignals with and without the needles', () => {
  const withNeedles: readonly CompiledLexicon[] = LEXICONS.map(compileLexicon);
  const without: readonly CompiledLexicon[] = withNeedles.map((l) => ({ ...l, cues: l.cues.map((c) => ({ ...c, needle: undefined })) }));
  // Every labelled message, and every cue's own words (with `*` and `~` written out as a customer would).
  const texts = [
    ...readLabelledSet().map((m) => m.text),
    ...LEXICONS.flatMap((l) =>
      TEXT_SIGNALS.flatMap((s) => l.cues[s].map((cue) => `so ${cue.replace(/\*/g, 'ed').replace(/ ~ /g, ' my own ')} today`)),
    ),
  ];

  it('given the labelled set and every cue, then both find the same signals, languages and matches', () => {
    expect(withNeedles.reduce((n, l) => n + l.cues.filter((c) => c.needle !== undefined).length, 0)).toBeGreaterThan(300);
    const differing = texts.filter(
      (text) => JSON.stringify(detectTextSignals(text, withNeedles)) !== JSON.stringify(detectTextSignals(text, without)),
    );
    expect(differing).toEqual([]);
  });
});
