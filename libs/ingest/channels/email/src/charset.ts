import { mailparser } from './mailparser';

/**
 * Bytes in a named charset, decoded exactly as mailparser decodes a MIME text part in that
 * charset (ISO-2022-JP, Windows-1252, ISO-8859-x, …; an unknown name reads as UTF-8). Line ends
 * become LF, as in a parsed message. Node's own TextDecoder is not used: Node 20 reads
 * `windows-1252` as ISO-8859-1 and loses the characters of 0x80–0x9F (€, curly quotes).
 */
export async function decodeCharset(bytes: Buffer, charset: string): Promise<string> {
  const label = charset.replace(/[^A-Za-z0-9._:+-]/g, '') || 'utf-8';
  const part = `Content-Type: text/plain; charset="${label}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${bytes.toString('base64')}`;
  const parsed = await mailparser().simpleParser(part, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  return parsed.text ?? '';
}
