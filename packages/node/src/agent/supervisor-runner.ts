import type { WorkloadSpec } from '@dreammesh/protocols'
import type { WorkloadSupervisor } from '../workloads/index.js'
import type { InstanceSpec } from '../workloads/spec.js'
import { probeAccel, qemuArgs, qemuMemoryBytes, QEMU_BINARY, type AccelVerdict } from '../workloads/vm/index.js'
import { INSTANCE_STATES, type InstanceState, type InstanceStatus } from './instance-report.js'
import type { InstanceRunner } from './workload-agent.js'

/** `w/<workload>/<index>` back into its parts. */
export function parseSlotKey (key: string): { workload: string, index: number } {
  const m = /^w\/(.+)\/(\d+)$/.exec(key)
  if (m === null) throw new Error(`not a workload slot key: ${key}`)
  return { workload: m[1], index: Number(m[2]) }
}

/**
 * What the supervisor runs for one slot of a validated spec, under lease `epoch`. A `vm` runs qemu with the
 * accelerator `accel` chose (its command line is built from the guest, and its memory limit covers qemu's
 * own overhead).
 */
export function instanceSpecOf (spec: WorkloadSpec, index: number, epoch: number, accel?: AccelVerdict): InstanceSpec {
  const base = {
    workload: spec.name,
    index,
    epoch,
    env: spec.env,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    cpuMillis: spec.resources.cpuMillis,
    restart: spec.restart,
    ...(spec.health === undefined ? {} : { health: healthOf(spec.health) }),
    isolated: spec.isolated,
    ...(spec.mountStateAt === undefined ? {} : { mountStateAt: spec.mountStateAt })
  }
  if (spec.vm !== undefined) {
    if (accel === undefined) throw new Error(`${spec.name}: a vm needs the accelerator probe's verdict`)
    return { ...base, command: QEMU_BINARY, args: qemuArgs(spec.vm, accel.accel), memoryBytes: qemuMemoryBytes(spec.vm, spec.resources.memoryBytes) }
  }
  if (spec.command === undefined) throw new Error(`${spec.name}: a ${spec.kind} workload has no command`)
  return { ...base, command: spec.command, args: spec.args, memoryBytes: spec.resources.memoryBytes }
}

/** The spec's health check in the supervisor's terms (the same check, named as the supervisor names it). */
function healthOf (h: NonNullable<WorkloadSpec['health']>): NonNullable<InstanceSpec['health']> {
  const timing = { intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, failures: h.failures }
  if (h.check === 'tcp') return { kind: 'tcp', port: h.port, ...timing }
  if (h.check === 'http') return { kind: 'http', url: h.url, ...timing }
  return { kind: 'command', command: h.args[0], args: h.args.slice(1), ...timing }
}

/**
 * The workload agent's runner over the real supervisor: processes in their own cgroups, which die with the
 * agent (ADR 0012). Wall-clock `since` for the instance board is derived from the supervisor's monotonic
 * `sinceMs`, since reports are read on other machines.
 */
export class SupervisorRunner implements InstanceRunner {
  private accel: Promise<AccelVerdict> | undefined
  /** vm starts waiting for the accelerator probe; a stop or kill meanwhile cancels them. */
  private readonly pendingStarts = new Map<string, { cancelled: boolean }>()

  /** `vm` (optional): the data dir (for the probe's cache) and where to say the probe's verdict. */
  constructor (
    private readonly supervisor: WorkloadSupervisor,
    private readonly onError: (key: string, err: Error) => void,
    private readonly vm?: { dataDir: string, say: (message: string) => void }
  ) {}

  start (key: string, spec: WorkloadSpec, index: number, epoch: number): void {
    if (spec.vm !== undefined) { this.startGuest(key, spec, index, epoch); return }
    let instance: InstanceSpec
    try {
      instance = instanceSpecOf(spec, index, epoch)
    } catch (err) {
      this.onError(key, err as Error)
      return
    }
    this.supervisor.start(instance).catch((err: Error) => { this.onError(key, err) })
  }

  /** The first vm start probes KVM (at most once per boot, cached); every start waits for that verdict. */
  private startGuest (key: string, spec: WorkloadSpec, index: number, epoch: number): void {
    const vm = spec.vm
    if (vm === undefined) return
    if (this.accel === undefined) {
      const dataDir = this.vm?.dataDir
      this.accel = dataDir === undefined
        ? Promise.resolve({ accel: 'tcg', reason: 'kvm: not probed (no data dir); using tcg', bootId: '' })
        : probeAccel(dataDir, 'kernel' in vm ? vm.kernel : undefined)
      this.accel.then(v => { this.vm?.say(`vm guests: ${v.reason}`) }, () => {})
    }
    const pending = { cancelled: false }
    this.pendingStarts.set(key, pending)
    this.accel.then(async accel => {
      if (pending.cancelled) return
      this.pendingStarts.delete(key)
      await this.supervisor.start(instanceSpecOf(spec, index, epoch, accel))
    }).catch((err: Error) => { this.pendingStarts.delete(key); this.onError(key, err) })
  }

  async stop (key: string): Promise<void> {
    this.cancelPending(key)
    const { workload, index } = parseSlotKey(key)
    await this.supervisor.stop(workload, index)
  }

  async kill (key: string): Promise<void> {
    this.cancelPending(key)
    const { workload, index } = parseSlotKey(key)
    await this.supervisor.killBy(workload, index, performance.now())
  }

  private cancelPending (key: string): void {
    const pending = this.pendingStarts.get(key)
    if (pending !== undefined) pending.cancelled = true
    this.pendingStarts.delete(key)
  }

  statuses (): InstanceStatus[] {
    const wallOffset = Date.now() - performance.now()
    return this.supervisor.snapshot()
      .filter(s => (INSTANCE_STATES as readonly string[]).includes(s.state))
      .map(s => ({
        workload: s.workload,
        index: s.index,
        state: s.state as InstanceState,
        epoch: s.epoch,
        since: Math.round(s.sinceMs + wallOffset),
        ...(s.pid === undefined ? {} : { pid: s.pid })
      }))
  }
}
