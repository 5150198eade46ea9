import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

/** How a stream the fuzzer wrote on ended, as the fuzzer saw it. */
export interface RawStreamEnd {
  /** The remote reset or aborted it (libp2p's `close` event carried an error). */
  reset: boolean
  /** Bytes the fuzzer handed to the stream. */
  bytesWritten: number
}

/** How long one raw stream may take from open to fully closed, in ms: a bound, not an expected speed. */
export const RAW_STREAM_BUDGET_MS = 5_000

/**
 * Opens a stream to `peer` on `protocol` and writes `chunks` at stream level, with no framing of its own:
 * whatever bytes the caller built go on the wire as they are. Then closes its writing end and waits until the
 * stream is closed at both ends, or reset by the remote. Never throws for what the remote does to the stream.
 */
export async function writeRawStream (host: Libp2p, peer: PeerId, protocol: string | string[], chunks: Uint8Array[]): Promise<RawStreamEnd> {
  const signal = AbortSignal.timeout(RAW_STREAM_BUDGET_MS)
  const stream: Stream = await host.dialProtocol(peer, protocol, { signal })
  let reset = false
  const closed = new Promise<void>(resolve => {
    stream.addEventListener('close', event => {
      reset = (event as Event & { error?: Error }).error !== undefined
      resolve()
    }, { once: true })
  })
  let bytesWritten = 0
  try {
    for (const chunk of chunks) {
      if (stream.status !== 'open' || stream.writeStatus !== 'writable') break
      bytesWritten += chunk.byteLength
      if (!stream.send(chunk)) await stream.onDrain({ signal })
    }
    if (stream.status === 'open') await stream.close({ signal })
  } catch {
    // The remote reset it mid-write; the close event says so.
  }
  const timedOut = new Promise<'timeout'>(resolve => { signal.addEventListener('abort', () => { resolve('timeout') }, { once: true }) })
  if (await Promise.race([closed.then(() => 'closed' as const), timedOut]) === 'timeout') {
    stream.abort(new Error('raw stream did not close in time'))
    throw new Error(`a raw ${String(protocol)} stream did not close within ${RAW_STREAM_BUDGET_MS} ms`)
  }
  return { reset, bytesWritten }
}
