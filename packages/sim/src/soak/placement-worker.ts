/**
 * A worker thread of the placement soak: runs the seeds the main thread sends, one at a time, and answers
 * each with its result (without the timeline, which only a replayed seed prints).
 */
import { parentPort } from 'node:worker_threads'
import { runPlacementSeed, type PlacementRunOptions } from '../scenarios/placement-run.js'

if (parentPort === null) throw new Error('placement-worker.js runs as a worker thread of the placement soak')
const port = parentPort
port.on('message', (options: PlacementRunOptions) => {
  try {
    port.postMessage({ ok: true, result: runPlacementSeed({ ...options, trace: false }) })
  } catch (err) {
    port.postMessage({ ok: false, seed: options.seed, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  }
})
