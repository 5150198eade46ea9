import { Worker } from 'node:worker_threads'
import type { PlacementRunOptions, PlacementRunResult } from '../scenarios/placement-run.js'

const WORKER = new URL('./placement-worker.js', import.meta.url)

type Answer = { ok: true, result: PlacementRunResult } | { ok: false, seed: number, error: string }

/**
 * Runs placement seeds on worker threads, one seed per worker at a time, handing out the next seed as each
 * finishes (seeds differ a lot in cost, so fixed batches would leave a core idle at the end). Results come
 * back in completion order; the caller sorts what it prints.
 */
export async function runOnWorkers (
  runs: PlacementRunOptions[],
  workers: number,
  onResult: (r: PlacementRunResult) => void
): Promise<void> {
  let next = 0
  const size = Math.max(1, Math.min(workers, runs.length))
  await Promise.all(Array.from({ length: size }, async () => {
    const worker = new Worker(WORKER)
    try {
      while (next < runs.length) {
        const run = runs[next++]
        const answer = await ask(worker, run)
        if (!answer.ok) throw new Error(`seed ${answer.seed} crashed the simulation: ${answer.error}`)
        onResult(answer.result)
      }
    } finally {
      await worker.terminate()
    }
  }))
}

async function ask (worker: Worker, run: PlacementRunOptions): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const onMessage = (a: Answer): void => { cleanup(); resolve(a) }
    const onError = (err: Error): void => { cleanup(); reject(err) }
    const onExit = (code: number): void => { cleanup(); reject(new Error(`a soak worker exited with code ${code} during seed ${run.seed}`)) }
    const cleanup = (): void => {
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    worker.postMessage(run)
  })
}
