/** A line longer than the bound: the stream is not the NDJSON the client expects. */
export class LineTooLongError extends Error {
  constructor (readonly maxLineBytes: number) {
    super(`an NDJSON line exceeds ${maxLineBytes} bytes`)
    this.name = 'LineTooLongError'
  }
}

/**
 * Splits a byte stream into NDJSON lines (without their newline; empty lines skipped). Bytes are joined
 * before decoding, so a UTF-8 character split across chunks stays whole; a partial line is bounded by
 * `maxLineBytes` so a stream without newlines cannot grow memory without limit.
 */
export async function * ndjsonLines (chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<string> {
  let pending: Buffer = Buffer.alloc(0)
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    let newline: number
    while ((newline = pending.indexOf(0x0a)) !== -1) {
      if (newline > maxLineBytes) throw new LineTooLongError(maxLineBytes)
      const text = pending.subarray(0, newline).toString('utf8').trim()
      pending = pending.subarray(newline + 1)
      if (text !== '') yield text
    }
    if (pending.length > maxLineBytes) throw new LineTooLongError(maxLineBytes)
  }
  const rest = pending.toString('utf8').trim()
  if (rest !== '') yield rest
}
