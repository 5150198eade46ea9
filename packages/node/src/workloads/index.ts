/**
 * @packageDocumentation
 *
 * The workload supervisor: runs a node's instances as real child processes, each in its own cgroup (v2 for
 * grouping and cgroup.kill, v1 or v2 controllers for CPU, memory and pids limits, whichever the host has),
 * optionally sandboxed by bubblewrap, under a watchdog that kills the whole cgroup if the agent dies, even
 * by SIGKILL (ADR 0012). Logs rotate at a bound; restarts follow a policy with exponential backoff; health
 * checks (tcp, http, command) mark an instance unhealthy and get it replaced; `killBy` makes a lease's
 * deadline a guarantee.
 *
 * @example
 * ```ts
 * const supervisor = await createWorkloadSupervisor({ agentId: 'node-a', dataDir: '/var/lib/dreammesh' })
 * // Leftovers of an earlier life of 'node-a' are dead by now: safe to take leases.
 * supervisor.on((event) => { if (event.type === 'status') console.log(event.status) })
 * await supervisor.start({ workload: 'web', index: 0, epoch: 7, command: 'python3', args: ['-m', 'http.server', '8080'],
 *   memoryBytes: 256 * 1024 * 1024, pidsMax: 64, restart: { mode: 'on-failure' },
 *   health: { kind: 'http', url: 'http://127.0.0.1:8080/' } })
 * await supervisor.killBy('web', 0, leaseExpiresAtMs)
 * ```
 */
export { createWorkloadSupervisor, WorkloadSupervisor, type SupervisorInit, type SupervisorCapabilities } from './supervisor.js'
export { InstanceStartError, type KillByOutcome } from './instance.js'
export { FINAL_STATES, type InstanceState, type InstanceStatus, type WorkloadEvent } from './events.js'
export {
  InstanceSpecError, resolveRestartPolicy, resolveHealthCheck,
  type InstanceSpec, type RestartMode, type RestartPolicy, type HealthCheckSpec, type HealthProbe, type HealthCheck
} from './spec.js'
export { backoffDelayMs, decideRestart, isFailure, type RunEnd, type RestartDecision } from './restart-policy.js'
export { probeCgroups, CGROUP_SUBTREE, type CgroupCapabilities, type KillMethod, type LimitController, type ProbeOptions, type ReapedInstance } from './cgroups.js'
export { cpuUsageUsec, CpuMeter } from './cpu-usage.js'
export { probeBubblewrap, type Bubblewrap } from './sandbox.js'
export { probeOnce, type ProbeResult } from './health.js'
export { RotatingLog, readLogTail, type LogStream } from './logs.js'
export * from './constants.js'
export {
  qemuArgs, qemuMemoryBytes, probeAccel, QEMU_BINARY, QEMU_OVERHEAD_MB, TCG_CACHE_MB, ACCEL_FILE, KVM_PROBE_BUDGET_MS,
  type Accel, type AccelVerdict
} from './vm/index.js'
