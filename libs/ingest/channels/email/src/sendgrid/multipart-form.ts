import busboy from 'busboy';

/** A file part, as metadata: its bytes are counted, never kept. */
export interface FormFilePart {
  field: string;
  filename?: string;
  contentType: string;
  sizeBytes: number;
}

export interface MultipartForm {
  /** Every field's exact bytes, by name (a repeated name keeps its first value). */
  fields: Map<string, Buffer>;
  files: FormFilePart[];
}

export type MultipartResult = { ok: true; form: MultipartForm } | { ok: false; reason: string };

export interface MultipartLimits {
  /** The largest field value (a whole raw MIME message in SendGrid's raw mode). */
  fieldBytes: number;
  fields: number;
  files: number;
}

/**
 * Reads a multipart/form-data body (the exact bytes) with busboy. Field values are taken as
 * bytes (busboy's `latin1` decoding is one char per byte), so the caller decodes each by the
 * charset it is in. File parts are drained and measured, their content dropped.
 */
export function readMultipartForm(body: Buffer, contentType: string, limits: MultipartLimits): Promise<MultipartResult> {
  return new Promise((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        defCharset: 'latin1',
        defParamCharset: 'utf8',
        limits: { fieldSize: limits.fieldBytes, fields: limits.fields, files: limits.files, parts: limits.fields + limits.files },
      });
    } catch (err) {
      resolve({ ok: false, reason: err instanceof Error ? err.message : String(err) });
      return;
    }
    const fields = new Map<string, Buffer>();
    const files: FormFilePart[] = [];
    let failure: string | undefined;
    const fail = (reason: string): void => {
      failure ??= reason;
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(`field ${name} is larger than ${limits.fieldBytes} bytes`);
      if (!fields.has(name)) fields.set(name, Buffer.from(value, 'latin1'));
    });
    parser.on('file', (name, stream, info) => {
      const part: FormFilePart = {
        field: name,
        ...(info.filename !== undefined ? { filename: info.filename } : {}),
        contentType: info.mimeType,
        sizeBytes: 0,
      };
      files.push(part);
      stream.on('data', (chunk: Buffer) => {
        part.sizeBytes += chunk.length;
      });
      // A body cut inside a file part fails the file's stream too: unheard, that error was an
      // uncaught exception that could take the process down (found by the fuzz campaign, issue #15).
      stream.on('error', (err: Error) => fail(err.message));
    });
    parser.on('fieldsLimit', () => fail(`more than ${limits.fields} fields`));
    parser.on('filesLimit', () => fail(`more than ${limits.files} files`));
    parser.on('partsLimit', () => fail(`more than ${limits.fields + limits.files} parts`));
    parser.on('error', (err) => resolve({ ok: false, reason: err instanceof Error ? err.message : String(err) }));
    parser.on('close', () => resolve(failure === undefined ? { ok: true, form: { fields, files } } : { ok: false, reason: failure }));
    parser.end(body);
  });
}
