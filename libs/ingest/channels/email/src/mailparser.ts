import type * as Mailparser from 'mailparser';

let loaded: typeof Mailparser | undefined;

/**
 * mailparser, loaded on the first email rather than at start: it brings libmime, iconv-lite,
 * encoding-japanese, html-to-text and nodemailer's parsers (about 1 MB of source), and the one
 * ingestion program loads every channel's adapter, so each SMS or WhatsApp process carried them
 * for nothing (docs/benchmarks.md, Session 11).
 */
export function mailparser(): typeof Mailparser {
  loaded ??= require('mailparser') as typeof Mailparser;
  return loaded;
}
