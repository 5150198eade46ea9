import type { ApiClient } from '../../api/client.js'
import { UsageError } from '../command.js'
import type { WorkloadJson } from '../../api/types.js'

/** How often a command that follows the cluster asks its node again, in ms. */
export const FOLLOW_INTERVAL_MS = 250

/**
 * Asks the node for the workloads until `done` says so or `timeoutMs` passes; `progress` gets each answer
 * (to print what is still moving). Resolves the last answer and whether `done` held.
 */
export async function followWorkloads (
  client: ApiClient,
  done: (workloads: WorkloadJson[]) => boolean,
  timeoutMs: number,
  progress?: (workloads: WorkloadJson[]) => void
): Promise<{ workloads: WorkloadJson[], done: boolean }> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const workloads = await client.get<WorkloadJson[]>('/v1/workloads')
    if (done(workloads)) return { workloads, done: true }
    progress?.(workloads)
    if (performance.now() >= deadline) return { workloads, done: false }
    await new Promise(resolve => setTimeout(resolve, FOLLOW_INTERVAL_MS))
  }
}

/** States in which an instance still occupies its node. */
export const OCCUPYING_STATES = new Set(['starting', 'running', 'unhealthy', 'stopping'])

/** Parses `--timeout S` (seconds), with a default; a bad value is a UsageError. */
export function timeoutSeconds (text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  if (!/^\d{1,6}$/.test(text)) throw new UsageError(`--timeout ${JSON.stringify(text)}: expected whole seconds`)
  return Number(text)
}
