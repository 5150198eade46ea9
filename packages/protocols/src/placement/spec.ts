import type { MemberRole } from '../membership/types.js'

/**
 * A workload spec: what the user asked to run (docs/protocol/workload-spec.md). Specs live in the replicated
 * desired-state document; every node reads the same ones and derives the same placement from them. A
 * `WorkloadSpec` is always the output of `validateWorkloadSpec`: bounded, complete, every default filled in.
 */

/**
 * How many instances, and where:
 * - `service`: a singleton, at most one instance cluster-wide (one slot, guarded by a lease);
 * - `replicated`: `replicas` instances, at most `maxPerNode` (default 1) on any node;
 * - `system`: one instance on every node that satisfies the constraints;
 * - `cluster-aware`: between `minInstances` and `maxInstances`, the count set by a `scale` request;
 * - `vm`: a guest under qemu; a leased singleton that is not failed over when its node is lost.
 */
export type WorkloadKind = 'service' | 'replicated' | 'system' | 'cluster-aware' | 'vm'

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['service', 'replicated', 'system', 'cluster-aware', 'vm']

/**
 * Scaling a cluster-aware workload by load: keep its instances' average CPU near `cpuPercent` of what each
 * books (`resources.cpuMillis`), as Kubernetes' HPA does with a CPU utilisation target.
 */
export interface AutoscalePolicy {
  /** The target: an instance's average CPU use as a percentage of its booked CPU. */
  cpuPercent: number
  /** A scale-down happens only once every recommendation over this window (ms) allowed it. */
  downAfterMs: number
  /** After any change of the count, a scale-up waits this long (ms). */
  upAfterMs: number
}

/** Requested resources: what placement books on a node, never what the node samples (that would flap). */
export interface Resources {
  /** Thousandths of a core. */
  cpuMillis: number
  memoryBytes: number
}

/**
 * Hard constraints: a node that fails one is never chosen. Each present list must match; an absent or empty
 * list matches every node.
 */
export interface Constraints {
  /** The node's role is one of these. */
  roles?: MemberRole[]
  /** The node carries ALL of these capability tags. */
  tags?: string[]
  /** The node's name is one of these. */
  nodes?: string[]
}

/** What a preference looks at: a node's role, one of its tags, its name, or the instances of another workload on it. */
export type PreferenceTarget = 'role' | 'tag' | 'node' | 'workload'

export const PREFERENCE_TARGETS: readonly PreferenceTarget[] = ['role', 'tag', 'node', 'workload']

/** A soft rule: as affinity it raises a matching node's score, as anti-affinity it lowers it (Nomad's affinity stanza). */
export interface Preference {
  on: PreferenceTarget
  value: string
  /** 1..MAX_PREFERENCE_WEIGHT. Weights are relative to the workload's other preferences. */
  weight: number
}

export type RestartMode = 'never' | 'on-failure' | 'always'

export const RESTART_MODES: readonly RestartMode[] = ['never', 'on-failure', 'always']

/** When an exited instance is started again, and how long to wait: initialDelayMs × multiplier^n, capped. */
export interface RestartPolicy {
  mode: RestartMode
  initialDelayMs: number
  maxDelayMs: number
  multiplier: number
  /** Restarts before the instance is left failed. */
  maxRestarts: number
}

interface HealthTiming {
  intervalMs: number
  /** At most `intervalMs`: a check never overlaps the next one. */
  timeoutMs: number
  /** Consecutive failed checks before the instance counts as unhealthy. */
  failures: number
}

/** How the supervisor tells a running instance is healthy. */
export type HealthCheck =
  | (HealthTiming & { check: 'tcp', port: number })
  | (HealthTiming & { check: 'http', url: string })
  | (HealthTiming & { check: 'command', args: string[] })

/** A TCP port of the host (bound to 127.0.0.1 on the guest's node) forwarded to a port of the guest. */
export interface PortForward { host: number, guest: number }

interface VmCommon {
  memoryMb: number
  cpus: number
  /** Host ports forwarded into the guest (qemu's user-mode network), so a health check or a client can reach it. */
  forward?: PortForward[]
}

/** The guest of a `vm` workload: a disk image, or a kernel booted directly. */
export type VmGuest =
  | (VmCommon & { image: string })
  | (VmCommon & { kernel: string, initrd?: string, append?: string })

/** A validated workload spec, defaults filled in. */
export interface WorkloadSpec {
  /** A DNS label; unique in the desired state (it is the key there). */
  name: string
  kind: WorkloadKind
  /** The program; absent only for `vm`, whose command line the agent builds from `vm`. */
  command?: string
  args: string[]
  env: Record<string, string>
  /** Absolute. */
  cwd?: string
  /** `replicated` only. */
  replicas?: number
  /** `cluster-aware` only. */
  minInstances?: number
  /** `cluster-aware` only. */
  maxInstances?: number
  /** `cluster-aware` only: scale between min and max by the instances' CPU (see autoscale.ts). */
  autoscale?: AutoscalePolicy
  /** `replicated` and `cluster-aware`: instances of this workload one node may run (default 1: replicas on distinct nodes). */
  maxPerNode?: number
  /** `vm` only. */
  vm?: VmGuest
  constraints: Constraints
  affinity: Preference[]
  antiAffinity: Preference[]
  /** What placement books. For a `vm`, at least the guest's cpus and memory. */
  resources: Resources
  restart: RestartPolicy
  health?: HealthCheck
  /** A relative name; the state lives under the node's data dir. */
  stateDir?: string
  /** Ship the state to a standby every so often (needs `stateDir`). */
  replicateStateEveryMs?: number
  /** Run under bubblewrap and a cgroup. */
  isolated: boolean
  /** Where the isolated instance sees its state dir (absolute; needs `isolated` and `stateDir`). */
  mountStateAt?: string
}

/**
 * The wait before restart number `restarts` + 1 (0-based: the first restart waits `initialDelayMs`), or
 * `undefined` when the policy allows no more.
 */
export function restartDelayMs (policy: RestartPolicy, restarts: number): number | undefined {
  if (policy.mode === 'never' || restarts >= policy.maxRestarts) return undefined
  // Multiply step by step and stop at the cap, so a large count cannot overflow to Infinity.
  let delayMs = policy.initialDelayMs
  for (let i = 0; i < restarts && delayMs < policy.maxDelayMs; i++) delayMs *= policy.multiplier
  return Math.min(Math.round(delayMs), policy.maxDelayMs)
}
