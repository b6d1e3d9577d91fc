/**
 * A handler's answer sent as a stream with its own content type (record
 * exports), instead of a JSON document: large answers are written as they are
 * read, never held in memory whole.
 */
import type { Readable } from 'node:stream';

export class StreamedBody {
  readonly contentType: string;
  readonly stream: Readable;
  /** Suggested file name (`Content-Disposition: attachment`). */
  readonly fileName: string;

  constructor(contentType: string, stream: Readable, fileName: string) {
    this.contentType = contentType;
    this.stream = stream;
    this.fileName = fileName;
  }
}
