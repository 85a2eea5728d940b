export * from './text-signals';
export * from './normalize-text';
export type { Lexicon } from './lexicon';
export { LEXICONS } from './lexicons';
export { compileLexicon, detectTextSignals, type CompiledLexicon, type CueMatch, type TextSignalsFound } from './detect-text-signals';
export * from './evaluation';
