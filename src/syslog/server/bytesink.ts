import { ByteWriter } from '../../text/bytewriter.js';

/** The lines of one file action appended between writes, with how many there are. */
export class ByteSink extends ByteWriter {
  /** lines (messages) in it */
  count = 0;

  /** what was appended, valid until the next append: written synchronously by its one reader */
  override take(): Buffer {
    this.count = 0;
    return super.take();
  }
}
