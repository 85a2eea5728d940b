/**
 * Telegram never puts a URL in an update: a file is a `file_id`, downloadable only with the bot token
 * (getFile → `file_path` → https://api.telegram.org/file/bot<token>/<file_path>, valid for an hour).
 * The token must never be in an event, and the download URL expires, so the hub records a stable,
 * token-free reference instead: the getFile request without its `bot<token>/` path segment,
 *
 *   https://api.telegram.org/getFile?file_id=<file_id>
 *
 * which passes the canonical MediaRef URL check and tells whoever resolves it exactly what to call.
 * Fetching it as is answers 404: a resolver holding the bot token reads the id with `telegramFileIdOf`.
 * https://core.telegram.org/bots/api#getfile
 */
const FILE_REF_PREFIX = 'https://api.telegram.org/getFile?file_id=';

export function telegramFileRef(fileId: string): string {
  return `${FILE_REF_PREFIX}${encodeURIComponent(fileId)}`;
}

/** The `file_id` of a reference made by `telegramFileRef`, or undefined for any other URL. */
export function telegramFileIdOf(url: string): string | undefined {
  if (!url.startsWith(FILE_REF_PREFIX)) return undefined;
  try {
    const id = decodeURIComponent(url.slice(FILE_REF_PREFIX.length));
    return id === '' ? undefined : id;
  } catch {
    return undefined; // a malformed %-escape: not a reference this module made
  }
}
