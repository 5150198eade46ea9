import {
  HEALTH_FAILURES, HEALTH_INTERVAL_MS, HEALTH_TIMEOUT_MS, MAX_NAME_BYTES, RESTART_INITIAL_DELAY_MS, RESTART_MAX_DELAY_MS,
  RESTART_MAX_RESTARTS, RESTART_MULTIPLIER, RESTART_STABLE_AFTER_MS
} from './constants.js'

/**
 * What the supervisor needs to run one instance. The replicated workload spec lives in @dreammesh/protocols;
 * this is the local, minimal input it is mapped to, so the supervisor does not depend on that document's shape.
 */
export interface InstanceSpec {
  /** The workload's name: one path component (letters, digits, `.`, `_`, `-`). */
  workload: string
  /** Which replica of the workload this is (0 for a singleton). */
  index: number
  /** The fencing epoch of the lease this instance runs under; given to the process as DREAMMESH_EPOCH. */
  epoch: number
  /** The program: an absolute path, or a name looked up on PATH. */
  command: string
  args?: string[]
  /** Extra environment. The agent's own environment is NOT inherited (it may hold secrets); PATH is. */
  env?: Record<string, string>
  /** Working directory. @default the state dir */
  cwd?: string
  /** CPU limit in thousandths of a core (1000 = one core). */
  cpuMillis?: number
  /** Memory limit in bytes. */
  memoryBytes?: number
  /** Most tasks (processes and threads) the instance may have at once: stops fork bombs. */
  pidsMax?: number
  restart?: Partial<RestartPolicy>
  health?: HealthCheckSpec
  /** State directory. @default <dataDir>/state/<workload> */
  stateDir?: string
  /** Run under bubblewrap: read-only root, private /tmp, its own pid namespace. */
  isolated?: boolean
  /** With `isolated`, where the state dir appears inside the sandbox. @default the state dir's own path */
  mountStateAt?: string
  /** SIGTERM to SIGKILL on stop, in ms. @default the supervisor's stopGraceMs */
  stopGraceMs?: number
}

/** never: run once; on-failure: restart after a non-zero exit, a signal or unhealthiness; always: restart after any end. */
export type RestartMode = 'never' | 'on-failure' | 'always'

export interface RestartPolicy {
  mode: RestartMode
  /** Delay before the first restart of a crash loop, in ms. */
  initialDelayMs: number
  /** The backoff never waits longer than this, in ms. */
  maxDelayMs: number
  /** Each restart in a crash loop waits this many times longer than the one before. */
  multiplier: number
  /** Restarts allowed in one crash loop; then the instance is failed. */
  maxRestarts: number
  /** A run at least this long was stable: the crash loop (backoff and restart count) starts over, in ms. */
  stableAfterMs: number
}

export type HealthProbe =
  | { kind: 'tcp', port: number, host?: string }
  | { kind: 'http', url: string }
  | { kind: 'command', command: string, args?: string[] }

/** A health check: `failures` consecutive failed probes, each `timeoutMs` at most, make the instance unhealthy. */
export type HealthCheckSpec = HealthProbe & { intervalMs?: number, timeoutMs?: number, failures?: number }

export interface HealthCheck { probe: HealthProbe, intervalMs: number, timeoutMs: number, failures: number }

/** A spec the supervisor refuses, with the field and why. */
export class InstanceSpecError extends Error {
  constructor (readonly field: string, reason: string) {
    super(`invalid instance spec: ${field}: ${reason}`)
    this.name = 'InstanceSpecError'
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** Checks one path component (a workload name or agent id): it becomes a cgroup and a directory name. */
export function checkName (field: string, name: string): void {
  if (typeof name !== 'string' || !NAME.test(name) || Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new InstanceSpecError(field, `must be 1-${MAX_NAME_BYTES} of [A-Za-z0-9._-], not starting with . _ or -`)
  }
}

/** Fills in a restart policy's defaults. */
export function resolveRestartPolicy (p: Partial<RestartPolicy> = {}): RestartPolicy {
  const policy: RestartPolicy = {
    mode: p.mode ?? 'on-failure',
    initialDelayMs: p.initialDelayMs ?? RESTART_INITIAL_DELAY_MS,
    maxDelayMs: p.maxDelayMs ?? RESTART_MAX_DELAY_MS,
    multiplier: p.multiplier ?? RESTART_MULTIPLIER,
    maxRestarts: p.maxRestarts ?? RESTART_MAX_RESTARTS,
    stableAfterMs: p.stableAfterMs ?? RESTART_STABLE_AFTER_MS
  }
  if (!['never', 'on-failure', 'always'].includes(policy.mode)) throw new InstanceSpecError('restart.mode', 'must be never, on-failure or always')
  for (const field of ['initialDelayMs', 'maxDelayMs', 'maxRestarts', 'stableAfterMs'] as const) {
    if (!Number.isFinite(policy[field]) || policy[field] < 0) throw new InstanceSpecError(`restart.${field}`, 'must be a finite number ≥ 0')
  }
  if (!Number.isFinite(policy.multiplier) || policy.multiplier < 1) throw new InstanceSpecError('restart.multiplier', 'must be ≥ 1')
  return policy
}

/** Fills in a health check's defaults. */
export function resolveHealthCheck (h: HealthCheckSpec): HealthCheck {
  const { intervalMs, timeoutMs, failures, ...probe } = h
  const check: HealthCheck = {
    probe: probe as HealthProbe,
    intervalMs: intervalMs ?? HEALTH_INTERVAL_MS,
    timeoutMs: timeoutMs ?? HEALTH_TIMEOUT_MS,
    failures: failures ?? HEALTH_FAILURES
  }
  if (!(check.intervalMs > 0) || !(check.timeoutMs > 0)) throw new InstanceSpecError('health', 'intervalMs and timeoutMs must be > 0')
  if (!Number.isInteger(check.failures) || check.failures < 1) throw new InstanceSpecError('health.failures', 'must be an integer ≥ 1')
  const p = check.probe
  if (p.kind === 'tcp' && !(Number.isInteger(p.port) && p.port > 0 && p.port < 65536)) throw new InstanceSpecError('health.port', 'must be 1-65535')
  if (p.kind === 'http' && !/^https?:\/\//.test(p.url)) throw new InstanceSpecError('health.url', 'must be an http:// or https:// URL')
  if (p.kind === 'command' && (typeof p.command !== 'string' || p.command === '')) throw new InstanceSpecError('health.command', 'must be a program')
  if (!['tcp', 'http', 'command'].includes(p.kind)) throw new InstanceSpecError('health.kind', 'must be tcp, http or command')
  return check
}

/** Checks the fields the supervisor relies on; throws `InstanceSpecError` naming the first bad one. */
export function checkInstanceSpec (spec: InstanceSpec): void {
  checkName('workload', spec.workload)
  if (!Number.isInteger(spec.index) || spec.index < 0) throw new InstanceSpecError('index', 'must be an integer ≥ 0')
  if (!Number.isInteger(spec.epoch) || spec.epoch < 0) throw new InstanceSpecError('epoch', 'must be an integer ≥ 0')
  if (typeof spec.command !== 'string' || spec.command === '') throw new InstanceSpecError('command', 'must be a program')
  for (const field of ['cpuMillis', 'memoryBytes', 'pidsMax'] as const) {
    const v = spec[field]
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new InstanceSpecError(field, 'must be an integer > 0')
  }
  if (spec.mountStateAt !== undefined && !spec.mountStateAt.startsWith('/')) throw new InstanceSpecError('mountStateAt', 'must be an absolute path')
  for (const key of Object.keys(spec.env ?? {})) {
    if (key.startsWith('DREAMMESH_')) throw new InstanceSpecError(`env.${key}`, 'DREAMMESH_* variables are set by the supervisor')
  }
}
