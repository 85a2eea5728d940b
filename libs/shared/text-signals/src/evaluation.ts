import { isTextSignal, TEXT_SIGNAL_LANGUAGES, TEXT_SIGNALS, type TextSignal, type TextSignalLanguage } from './text-signals';

/** One message of the labelled set, with every signal it carries (none: `[]`). */
export interface LabelledMessage {
  id: string;
  language: TextSignalLanguage;
  text: string;
  signals: TextSignal[];
  /** Why it is there when that is not obvious (a hard negative, a negation, a dialect). */
  note?: string;
}

export interface SignalScore {
  language: TextSignalLanguage;
  signal: TextSignal;
  /** Messages labelled with the signal. */
  support: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** 1 when nothing was detected (no false claim was made). */
  precision: number;
  /** 1 when no message carries the signal. */
  recall: number;
}

export interface Miss {
  id: string;
  language: TextSignalLanguage;
  text: string;
  expected: TextSignal[];
  found: TextSignal[];
}

export interface Evaluation {
  scores: SignalScore[];
  misses: Miss[];
}

/** Parses a JSONL labelled set, refusing any line that is not a well-formed `LabelledMessage`. */
export function parseLabelledSet(jsonl: string, source: string): LabelledMessage[] {
  const out: LabelledMessage[] = [];
  jsonl.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = JSON.parse(line) as Partial<LabelledMessage>;
    const where = `${source}:${i + 1}`;
    if (typeof m.id !== 'string' || typeof m.text !== 'string') throw new Error(`${where}: id and text are required`);
    if (!(TEXT_SIGNAL_LANGUAGES as readonly string[]).includes(m.language as string))
      throw new Error(`${where}: unknown language ${String(m.language)}`);
    if (!Array.isArray(m.signals) || !m.signals.every(isTextSignal))
      throw new Error(`${where}: signals must be a list of ${TEXT_SIGNALS.join(', ')}`);
    out.push({
      id: m.id,
      language: m.language as TextSignalLanguage,
      text: m.text,
      signals: m.signals,
      ...(m.note ? { note: m.note } : {}),
    });
  });
  return out;
}

/** Precision and recall per language and signal of `detect` over the labelled set. */
export function evaluate(messages: readonly LabelledMessage[], detect: (text: string) => readonly TextSignal[]): Evaluation {
  const scores: SignalScore[] = [];
  const misses: Miss[] = [];
  const found = new Map(messages.map((m) => [m.id, detect(m.text)]));
  for (const m of messages) {
    const f = found.get(m.id)!;
    if (f.length !== m.signals.length || f.some((s) => !m.signals.includes(s)))
      misses.push({ id: m.id, language: m.language, text: m.text, expected: m.signals, found: [...f] });
  }
  for (const language of TEXT_SIGNAL_LANGUAGES) {
    const ofLanguage = messages.filter((m) => m.language === language);
    if (ofLanguage.length === 0) continue;
    for (const signal of TEXT_SIGNALS) {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (const m of ofLanguage) {
        const expected = m.signals.includes(signal);
        const detected = found.get(m.id)!.includes(signal);
        if (expected && detected) tp++;
        else if (detected) fp++;
        else if (expected) fn++;
      }
      scores.push({
        language,
        signal,
        support: tp + fn,
        truePositives: tp,
        falsePositives: fp,
        falseNegatives: fn,
        precision: tp + fp === 0 ? 1 : tp / (tp + fp),
        recall: tp + fn === 0 ? 1 : tp / (tp + fn),
      });
    }
  }
  return { scores, misses };
}

const pct = (x: number): string => x.toFixed(2);

/** The scores as a Markdown table: one row per language, precision / recall (support) per signal. */
export function scoreTable(scores: readonly SignalScore[], counts: Readonly<Partial<Record<TextSignalLanguage, number>>>): string {
  const header = `| language | messages | ${TEXT_SIGNALS.map((s) => `${s} P / R (n)`).join(' | ')} |`;
  const rule = `|---|---:|${TEXT_SIGNALS.map(() => '---').join('|')}|`;
  const rows = TEXT_SIGNAL_LANGUAGES.filter((l) => scores.some((s) => s.language === l)).map((language) => {
    const cells = TEXT_SIGNALS.map((signal) => {
      const s = scores.find((x) => x.language === language && x.signal === signal)!;
      return `${pct(s.precision)} / ${pct(s.recall)} (${s.support})`;
    });
    return `| ${language} | ${counts[language] ?? 0} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
