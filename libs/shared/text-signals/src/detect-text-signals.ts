import type { Lexicon } from './lexicon';
import { LEXICONS } from './lexicons';
import { normalizeText } from './normalize-text';
import { TEXT_SIGNALS, type TextSignal, type TextSignalLanguage } from './text-signals';

const WORD_START = '(?<![\\p{L}\\p{N}])';
const WORD_END = '(?![\\p{L}\\p{N}])';
const REST_OF_WORD = "[\\p{L}\\p{M}\\p{N}']*";
const GAP = '(?:\\s+\\S+){0,3}\\s+';
/** Punctuation that ends a clause (Latin, Arabic and Persian comma, semicolon, question mark). */
const CLAUSE_END = /[.!?;,:\n\u060c\u061b\u061f()"«»\u2026\u2013\u2014]/u;

/** A lexicon pattern as a regular-expression source (see `Lexicon`). */
function patternSource(pattern: string, proclitics: string | undefined): string {
  const words = normalizeText(pattern)
    .split(' ~ ')
    .map((part) =>
      part
        .split(' ')
        .map((w) => (proclitics ? `(?:${proclitics})?` : '') + w.replace(/\*/g, REST_OF_WORD))
        .join('\\s+'),
    );
  return words.join(GAP);
}

interface CompiledCue {
  signal: TextSignal;
  cue: string;
  re: RegExp;
  /**
   * Letters every match of `re` contains (the longest run of plain letters outside any group), or
   * undefined when the pattern has none worth checking: a message without them cannot match, so the
   * regular expression is not run (one `includes` instead of a Unicode-aware scan, for most of the
   * ~600 cues on most messages).
   */
  needle: string | undefined;
}

const PLAIN = /[\p{L}\p{N}\p{M}']/u;

/**
 * The longest run of characters a pattern's every match must contain literally: plain letters at
 * the top level (not inside a group), not followed by a quantifier that makes them optional.
 * Conservative: a top-level alternative or a character class, set or anchor gives none.
 */
export function requiredLiteral(normalizedPattern: string): string | undefined {
  const p = normalizedPattern;
  let depth = 0;
  let run = '';
  let best = '';
  const endRun = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      endRun();
      i++;
      continue;
    }
    if (c === '(') {
      endRun();
      depth++;
      continue;
    }
    if (c === ')') {
      depth--;
      continue;
    }
    if (depth > 0) continue;
    if (c === '|' || c === '[' || c === '{' || c === '.' || c === '^' || c === '$') return undefined;
    if (PLAIN.test(c) && p[i + 1] !== '?' && p[i + 1] !== '{') {
      run += c;
      continue;
    }
    // `*` ends the word (the letters before it are required); a space, `~`, `?`, `+` end the run.
    endRun();
  }
  endRun();
  return best.length >= 2 ? best : undefined;
}

export interface CompiledLexicon {
  language: TextSignalLanguage;
  cues: readonly CompiledCue[];
  negator: RegExp;
  negationWindow: number;
  negatorAfter: RegExp | undefined;
  clauseBreak: RegExp;
}

const wordAlternatives = (patterns: readonly string[], proclitics: string | undefined): RegExp =>
  new RegExp(`^(?:${patterns.map((p) => patternSource(p, proclitics)).join('|')})$`, 'u');

export function compileLexicon(lexicon: Lexicon): CompiledLexicon {
  const cues: CompiledCue[] = [];
  for (const signal of TEXT_SIGNALS) {
    for (const cue of lexicon.cues[signal]) {
      cues.push({
        signal,
        cue,
        re: new RegExp(`${WORD_START}${patternSource(cue, lexicon.proclitics)}${WORD_END}`, 'gu'),
        needle: requiredLiteral(normalizeText(cue)),
      });
    }
  }
  return {
    language: lexicon.language,
    cues,
    negator: wordAlternatives(lexicon.negators, lexicon.proclitics),
    negationWindow: lexicon.negationWindow,
    negatorAfter:
      lexicon.negatorsAfter && lexicon.negatorsAfter.length > 0 ? wordAlternatives(lexicon.negatorsAfter, undefined) : undefined,
    clauseBreak: wordAlternatives(lexicon.clauseBreaks, lexicon.proclitics),
  };
}

/** The words of a stretch of normalised text, without the punctuation around them. */
const wordsOf = (text: string): string[] =>
  text
    .split(' ')
    .map((w) => w.replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, ''))
    .filter((w) => w.length > 0);

/** The words of the same clause before `start`, nearest last (clauses end at any language's breaks). */
function clauseBefore(text: string, start: number, lexicons: readonly CompiledLexicon[]): string[] {
  const before = text.slice(0, start);
  let cut = -1;
  for (let i = before.length - 1; i >= 0; i--) {
    if (CLAUSE_END.test(before[i]!)) {
      cut = i;
      break;
    }
  }
  const words = wordsOf(before.slice(cut + 1));
  let from = 0;
  for (let i = words.length - 1; i >= 0; i--) {
    if (lexicons.some((l) => l.clauseBreak.test(words[i]!))) {
      from = i + 1;
      break;
    }
  }
  return words.slice(from);
}

/** The first words of the same clause after `end`. */
function clauseAfter(text: string, end: number, count: number): string[] {
  const after = text.slice(end);
  const stop = after.search(CLAUSE_END);
  return wordsOf(stop === -1 ? after : after.slice(0, stop)).slice(0, count);
}

export interface CueMatch {
  signal: TextSignal;
  language: TextSignalLanguage;
  /** The lexicon entry that matched (not the customer's words). */
  cue: string;
  negated: boolean;
}

export interface TextSignalsFound {
  /** Signals with at least one cue that is not negated, in `TEXT_SIGNALS` order. */
  signals: TextSignal[];
  /** Languages whose cues found them, in `TEXT_SIGNAL_LANGUAGES` order. */
  languages: TextSignalLanguage[];
  /** Every cue that matched, negated or not: for explaining and tuning, not for recording. */
  matches: CueMatch[];
}

let compiled: readonly CompiledLexicon[] | undefined;
const compiledLexicons = (): readonly CompiledLexicon[] => (compiled ??= LEXICONS.map(compileLexicon));

/**
 * The signals in a message's text, by the cues of every language's lexicon (a message may mix
 * languages; the scripts and spellings of these seven rarely collide, and where Spanish and
 * Portuguese share a word they share its meaning). Pure and deterministic.
 */
export function detectTextSignals(text: string | undefined, lexicons: readonly CompiledLexicon[] = compiledLexicons()): TextSignalsFound {
  const found: TextSignalsFound = { signals: [], languages: [], matches: [] };
  if (!text) return found;
  const t = normalizeText(text);
  const signals = new Set<TextSignal>();
  const languages = new Set<TextSignalLanguage>();
  for (const lexicon of lexicons) {
    for (const cue of lexicon.cues) {
      if (cue.needle !== undefined && !t.includes(cue.needle)) continue;
      cue.re.lastIndex = 0;
      for (let m = cue.re.exec(t); m !== null; m = cue.re.exec(t)) {
        // Any language's negators count: a Portuguese "não" before a cue Spanish shares, a Persian "نیست"
        // after a word Arabic shares (`فوری`), negate it too.
        const before = clauseBefore(t, m.index, lexicons).slice(-lexicon.negationWindow);
        const after = clauseAfter(t, m.index + m[0].length, 2);
        const negated =
          before.some((w) => lexicons.some((l) => l.negator.test(w))) || after.some((w) => lexicons.some((l) => l.negatorAfter?.test(w)));
        found.matches.push({ signal: cue.signal, language: lexicon.language, cue: cue.cue, negated });
        if (!negated) {
          signals.add(cue.signal);
          languages.add(lexicon.language);
        }
        if (m[0].length === 0) cue.re.lastIndex += 1;
      }
    }
  }
  found.signals = TEXT_SIGNALS.filter((s) => signals.has(s));
  found.languages = LEXICONS.map((l) => l.language).filter((l) => languages.has(l));
  return found;
}
