/**
 * One spelling for the many ways customers type the same word, applied to messages and to lexicon
 * entries alike, so a cue written once matches every variant:
 *
 * - Unicode NFKC (full-width Latin, ligatures, Arabic presentation forms → their letters);
 * - case folding (`toLowerCase`, locale-independent: no Turkish dotless i here);
 * - combining marks dropped after canonical decomposition: Latin accents (`devolución` =
 *   `devolucion`, `não` = `nao`, customers often leave them out), Cyrillic `ё` → `е` and `й` → `и`
 *   (both spellings are common in Russian and Bulgarian chat);
 * - Arabic and Persian: harakat and Quranic marks, superscript alef and tatweel (`ـ`) removed;
 *   alef variants (`أ إ آ ٱ`) → `ا`; Arabic yeh, alef maksura and Persian yeh (`ي ى ی`) → `ي`;
 *   Persian kaf `ک` → `ك`; `ة` → `ه`; hamza carriers `ؤ` → `و`, `ئ` → `ي`; Persian and
 *   Arabic-Indic digits → ASCII; the zero-width non-joiner (Persian `می‌خواهم`) → a space, so
 *   `می‌خواهم` and `می خواهم` are one spelling (joiners, direction marks and soft hyphens go);
 * - runs of whitespace → one space.
 *
 * Offsets in the result do not map back to the original text; nothing here needs them to.
 */
export function normalizeText(text: string): string {
  let t = text.normalize('NFKC').toLowerCase().normalize('NFD');
  t = t.replace(/[\u0300-\u036f]/g, '');
  t = t.normalize('NFC');
  t = t
    .replace(/[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/g, '')
    .replace(/[\u0623\u0625\u0622\u0671]/g, '\u0627')
    .replace(/[\u0649\u06cc\u06d2]/g, '\u064a')
    .replace(/\u06a9/g, '\u0643')
    .replace(/\u0629/g, '\u0647')
    .replace(/\u0624/g, '\u0648')
    .replace(/\u0626/g, '\u064a')
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/\u200c/g, ' ')
    .replace(/\u200d|\u200e|\u200f|\u00ad/g, '')
    .replace(/[\u2018\u2019\u02bc\u00b4`]/g, "'")
    .replace(/\s+/g, ' ');
  return t.trim();
}
