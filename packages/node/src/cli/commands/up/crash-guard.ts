import { Counter, type Registry } from 'prom-client'
import type { DaemonLog } from './log.js'

/**
 * Errors that libp2p's stream machinery can throw from a microtask after a peer closed or reset a stream,
 * where no caller of ours can catch them: yamux sending a window update on a stream that just closed
 * (js-libp2p#2505, js-libp2p-yamux#91) surfaces as an uncaught `StreamStateError`. They concern one stream
 * of one peer; the node and every other connection are fine. A peer must never be able to crash a node, so
 * the daemon logs and counts them and keeps serving. Anything else uncaught is a bug of ours: logged, and
 * the process exits non-zero so a service manager restarts it from its persisted state.
 */
const PEER_STREAM_ERRORS = new Set(['StreamStateError', 'StreamResetError', 'StreamAbortedError', 'StreamClosedError', 'MuxerClosedError'])

export function installCrashGuard (log: DaemonLog, registry: Registry): () => void {
  const counter = (registry.getSingleMetric('dreammesh_uncaught_errors_total') as Counter<'kind' | 'name'> | undefined) ?? new Counter({
    name: 'dreammesh_uncaught_errors_total',
    help: 'Errors no caller caught: peer stream errors survived, by kind (uncaught, unhandled-rejection) and error name',
    labelNames: ['kind', 'name'],
    registers: [registry]
  })
  const handle = (kind: 'uncaught' | 'unhandled-rejection') => (err: unknown): void => {
    const name = err instanceof Error ? err.name : typeof err
    counter.inc({ kind, name })
    if (err instanceof Error && PEER_STREAM_ERRORS.has(err.name)) {
      log.warn(`a peer's stream failed outside any handler (${err.name}: ${err.message}); counted, still serving`)
      return
    }
    log.error(`internal error (${kind}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(1)
  }
  const onUncaught = handle('uncaught')
  const onRejection = handle('unhandled-rejection')
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onRejection)
  return () => {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onRejection)
  }
}
