import type { ReapedInstance } from './cgroups.js'

/**
 * Where an instance is in its life:
 * - starting: spawned, and (with a health check) not yet seen healthy;
 * - running: serving (healthy, or with no health check);
 * - unhealthy: its health check failed `failures` times in a row (it is restarted per policy);
 * - stopping: SIGTERM sent, SIGKILL armed;
 * - backoff: the last run ended and a restart is scheduled at `nextStartAtMs`;
 * - stopped: stopped on request, cgroup empty and removed;
 * - exited: ended cleanly, and the policy does not restart it;
 * - failed: ended in failure and will not be restarted (policy, max restarts, or it could not start).
 */
export type InstanceState = 'starting' | 'running' | 'unhealthy' | 'stopping' | 'backoff' | 'stopped' | 'exited' | 'failed'

/** The states after which the instance never runs again; its cgroups are gone. */
export const FINAL_STATES: ReadonlySet<InstanceState> = new Set(['stopped', 'exited', 'failed'])

/** An instance's observed state: what a node gossips about what it runs. */
export interface InstanceStatus {
  workload: string
  index: number
  epoch: number
  state: InstanceState
  /** The main process of the current run (host pid namespace), while there is one. */
  pid?: number
  /** Monotonic time (the supervisor's scheduler clock) at which `state` began, in ms. */
  sinceMs: number
  /** Restarts over the instance's whole life. */
  restarts: number
  /** How the last run ended. */
  lastExit?: { code: number | null, signal: NodeJS.Signals | null }
  /** Why it is in this state, when that is not obvious (a failed probe, the policy's reason). */
  reason?: string
  /** In backoff: when the next run starts, in ms (monotonic). */
  nextStartAtMs?: number
  /** Limits in the spec that this host could not enforce, one sentence each. */
  unenforcedLimits: string[]
}

/** Everything the supervisor reports, typed by `type`. */
export type WorkloadEvent =
  | { type: 'status', status: InstanceStatus }
  | { type: 'exit', workload: string, index: number, epoch: number, code: number | null, signal: NodeJS.Signals | null, ranForMs: number }
  | { type: 'health', workload: string, index: number, ok: boolean, reason?: string, consecutiveFailures: number }
  | { type: 'limits-unenforced', workload: string, index: number, limits: string[] }
  /** A watchdog died while its instance lived (someone killed it); a new one is started, up to a bound. */
  | { type: 'watchdog-lost', workload: string, index: number, code: number | null, replaced: boolean }
  /** The cgroup still had processes after SIGKILL and the wait budget (a task stuck in D state). */
  | { type: 'kill-incomplete', workload: string, index: number, pids: number[] }
  /** At start: an earlier life's instance of this agent, found in its cgroup subtree and killed. */
  | { type: 'leftover-reaped', leftover: ReapedInstance }
