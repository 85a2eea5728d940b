import { mailparser } from './mailparser';
import { bounded, MAX_HTML_SUMMARY_CHARS, MAX_HTML_TO_SUMMARISE_CHARS, MAX_TEXT_CHARS } from './inbound-email';

/**
 * A plain-text summary of an HTML body, for mail that has no text part: mailparser's own
 * HTML-to-text conversion (html-to-text), without embedded-image references and with runs of blank lines collapsed, cut at
 * `MAX_HTML_SUMMARY_CHARS`. Only the first `MAX_HTML_TO_SUMMARISE_CHARS` of the HTML are read.
 * HTML that cannot be converted gives ''.
 */
export async function summariseHtml(html: string): Promise<string> {
  const input = html.length > MAX_HTML_TO_SUMMARISE_CHARS ? html.slice(0, MAX_HTML_TO_SUMMARISE_CHARS) : html;
  // The HTML as a one-part message, so the conversion is exactly the one mailparser applies.
  const message = `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(input, 'utf8').toString('base64')}`;
  const parsed = await mailparser().simpleParser(message, {
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
    maxHtmlLengthToParse: MAX_HTML_TO_SUMMARISE_CHARS + 1,
  });
  const text = (parsed.text ?? '')
    // Embedded images come out as `[cid:…]`: a reference to a part, not words anyone wrote.
    .replace(/\[cid:[^\]\s]*\]/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return bounded(text, MAX_HTML_SUMMARY_CHARS);
}

/**
 * What a message says, as text: its text part (trailing blank space trimmed, cut at
 * `MAX_TEXT_CHARS`), or — for HTML-only mail, or a blank text part beside HTML — a summary of the
 * HTML, flagged `textFromHtml`. No text at all when neither has words.
 */
export async function emailBodyText(text: string | undefined, html: string | undefined): Promise<{ text?: string; textFromHtml: boolean }> {
  const plain = (text ?? '').trimEnd();
  if (plain.trim() !== '') return { text: bounded(plain, MAX_TEXT_CHARS), textFromHtml: false };
  if (html !== undefined && html.trim() !== '') {
    const summary = await summariseHtml(html);
    if (summary !== '') return { text: summary, textFromHtml: true };
  }
  return { textFromHtml: false };
}
