import type { Lexicon } from '../lexicon';
import { AR } from './ar.lexicon';
import { BG } from './bg.lexicon';
import { EN } from './en.lexicon';
import { ES } from './es.lexicon';
import { FA } from './fa.lexicon';
import { PT } from './pt.lexicon';
import { RU } from './ru.lexicon';

/** One lexicon per language of `TEXT_SIGNAL_LANGUAGES`, in that order. */
export const LEXICONS: readonly Lexicon[] = [EN, AR, FA, BG, RU, ES, PT];
