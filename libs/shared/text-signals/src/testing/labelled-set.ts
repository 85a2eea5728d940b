import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLabelledSet, type LabelledMessage } from '../evaluation';

/** Where the labelled messages are kept: one JSONL file per language. */
export const LABELLED_SET_DIR = join(__dirname, '..', '__fixtures__', 'labelled');

/** Every labelled message, language files in name order. */
export function readLabelledSet(dir: string = LABELLED_SET_DIR): LabelledMessage[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => parseLabelledSet(readFileSync(join(dir, f), 'utf8'), f));
}
