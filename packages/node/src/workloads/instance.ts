import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Scheduler } from '@dreammesh/protocols'
import {
  cgroupPids, createInstanceCgroup, killCgroup, procsFiles, signalCgroup, waitCgroupEmpty,
  type CgroupCapabilities, type InstanceCgroup
} from './cgroups.js'
import { cpuUsageUsec } from './cpu-usage.js'
import { CGROUP_EMPTY_BUDGET_MS } from './constants.js'
import { FINAL_STATES, type InstanceState, type InstanceStatus, type WorkloadEvent } from './events.js'
import { HealthMonitor, type HealthReport } from './health.js'
import { RotatingLog, type LogStream } from './logs.js'
import { decideRestart, isFailure, type RunEnd } from './restart-policy.js'
import { sandboxArgs, type Bubblewrap } from './sandbox.js'
import { resolveHealthCheck, resolveRestartPolicy, type HealthCheck, type InstanceSpec, type RestartPolicy } from './spec.js'
import { SHELL, Watchdog, enterArgs } from './watchdog.js'

/** A watchdog killed from outside is replaced this many times; then the instance is stopped, never left unwatched. */
const MAX_WATCHDOG_REPLACEMENTS = 3

/** After a run's processes are dead, how long to wait for the last output in the pipes, in ms. */
const OUTPUT_DRAIN_MS = 1_000

/** Used for PATH when the agent has none. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin'

/**
 * The sandbox's host directories are read-only, so bwrap can make a mount point only at the top level,
 * under /tmp, or where a directory already exists on the host. Say so before bwrap fails with less context.
 */
async function checkMountPoint (path: string): Promise<void> {
  const parts = path.split('/').filter(p => p !== '')
  if (parts.length <= 1 || parts[0] === 'tmp') return
  const exists = await stat(path).then(s => s.isDirectory(), () => false)
  if (!exists) throw new InstanceStartError(`isolated: cannot mount the state dir at ${path}: its parent is a read-only host directory; use a top-level path such as /state, a path under /tmp, or a directory that exists on the host`)
}

/** What an instance needs from its supervisor. */
export interface InstanceContext {
  agentId: string
  dataDir: string
  cgroups: CgroupCapabilities
  bubblewrap: Bubblewrap
  scheduler: Scheduler
  logMaxBytes: number
  stopGraceMs: number
  killMarginMs: number
  /** The agent's environment for every instance (SDK variables). */
  instanceEnv?: Record<string, string>
  onEvent: (event: WorkloadEvent) => void
}

/** The answer to `killBy`: whether the instance was dead by the deadline, and when it died. */
export interface KillByOutcome {
  deadlineMs: number
  /** When its cgroup was seen empty (scheduler clock), or undefined if it never emptied (see kill-incomplete). */
  deadAtMs?: number
  metDeadline: boolean
}

/** The instance could not be started at all (no bubblewrap for an isolated one, an unwritable data dir…). */
export class InstanceStartError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InstanceStartError'
  }
}

/**
 * One instance's whole life: its cgroups and watchdog, its runs (one process tree each), restarts with
 * backoff, health, and the stop. A run ends when its main process exits; whatever it left in the cgroup is
 * killed before the next run starts, so two runs never overlap.
 */
export class Instance {
  readonly name: string
  readonly logs: Record<LogStream, RotatingLog>
  private readonly policy: RestartPolicy
  private readonly health?: HealthCheck
  private readonly stateDir: string
  private readonly graceMs: number
  private current: InstanceStatus
  private cgroup?: InstanceCgroup
  private watchdog?: Watchdog
  private watchdogReplacements = 0
  private child?: ChildProcess
  private runStartedMs = 0
  private runEnded: Promise<void> = Promise.resolve()
  private endRun: () => void = () => {}
  private killedForHealth = false
  private outputClosed: Promise<void> = Promise.resolve()
  private monitor?: HealthMonitor
  private restartsInLoop = 0
  private cancelRestart?: () => void
  private stopping?: Promise<void>
  private killAtMs = Infinity
  private cancelKill?: () => void
  private cancelKillBy?: () => void
  private readonly deathWaiters: Array<{ deadlineMs: number, resolve: (o: KillByOutcome) => void }> = []
  private deadAtMs?: number
  private tornDown?: Promise<void>

  constructor (readonly spec: InstanceSpec, private readonly ctx: InstanceContext) {
    this.name = `${spec.workload}-${spec.index}`
    this.policy = resolveRestartPolicy(spec.restart)
    this.health = spec.health !== undefined ? resolveHealthCheck(spec.health) : undefined
    this.stateDir = spec.stateDir ?? join(ctx.dataDir, 'state', spec.workload)
    this.graceMs = spec.stopGraceMs ?? ctx.stopGraceMs
    this.current = { workload: spec.workload, index: spec.index, epoch: spec.epoch, state: 'starting', sinceMs: ctx.scheduler.nowMs(), restarts: 0, unenforcedLimits: [] }
    const logDir = join(ctx.dataDir, 'logs')
    this.logs = {
      stdout: new RotatingLog({ path: join(logDir, `${this.name}.stdout.log`), maxBytes: ctx.logMaxBytes }),
      stderr: new RotatingLog({ path: join(logDir, `${this.name}.stderr.log`), maxBytes: ctx.logMaxBytes })
    }
  }

  /** Prepares the state dir, cgroups (with limits) and watchdog, then starts the first run. */
  async start (): Promise<void> {
    try {
      if (this.spec.isolated === true && this.ctx.bubblewrap.path === undefined) throw new InstanceStartError(`isolated: ${this.ctx.bubblewrap.missing}`)
      if (this.spec.isolated === true) await checkMountPoint(this.spec.mountStateAt ?? this.stateDir)
      await mkdir(this.stateDir, { recursive: true, mode: 0o700 })
      // mkdir's mode only applies to directories it creates; the state dir may predate us.
      await chmod(this.stateDir, 0o700)
      if (this.ctx.cgroups.kill !== 'process-group') {
        const { cgroup, unenforced } = await createInstanceCgroup(this.ctx.cgroups, this.ctx.agentId, this.name, this.spec)
        this.cgroup = cgroup
        this.current.unenforcedLimits = unenforced
        if (unenforced.length > 0) this.ctx.onEvent({ type: 'limits-unenforced', workload: this.spec.workload, index: this.spec.index, limits: unenforced })
      }
      this.startWatchdog()
    } catch (err) {
      this.finish('failed', err instanceof Error ? err.message : String(err))
      await this.teardown()
      throw err instanceof InstanceStartError ? err : new InstanceStartError(`${this.name}: ${(err as Error).message}`)
    }
    this.run()
  }

  status (): InstanceStatus {
    return { ...this.current, unenforcedLimits: [...this.current.unenforcedLimits] }
  }

  /** CPU time its processes used so far, in µs (cpu-usage.ts); undefined if it cannot be read here. */
  async cpuUsageUsec (): Promise<number | undefined> {
    return await cpuUsageUsec(this.cgroup, await this.pids())
  }

  /** Every pid in the instance's cgroups now (the host's pid namespace). */
  async pids (): Promise<number[]> {
    if (this.cgroup !== undefined) return await cgroupPids(this.cgroup)
    return this.child?.pid !== undefined ? [this.child.pid] : []
  }

  /**
   * Stops for good: SIGTERM to every process in the cgroup, SIGKILL (cgroup.kill) after the grace period,
   * and resolves once the cgroup is empty and removed. Idempotent.
   */
  async stop (graceMs = this.graceMs): Promise<void> {
    this.armKillAt(this.ctx.scheduler.nowMs() + graceMs)
    this.stopping ??= this.doStop()
    return await this.stopping
  }

  /**
   * Guarantees the instance is dead by `deadlineMs` (scheduler clock), e.g. when its lease expires: the stop
   * begins early enough for the grace period (shortened if the deadline is near) and SIGKILL goes out
   * `killMarginMs` before the deadline. Called again before the stop began, it moves the deadline (a lease
   * renewed); `clearKillBy()` disarms it. Resolves when the instance has died, for whatever reason.
   */
  async killBy (deadlineMs: number): Promise<KillByOutcome> {
    const outcome = new Promise<KillByOutcome>(resolve => this.deathWaiters.push({ deadlineMs, resolve }))
    if (FINAL_STATES.has(this.current.state) && this.stopping === undefined) {
      this.settleWaiters(this.deadAtMs ?? this.ctx.scheduler.nowMs())
      return await outcome
    }
    const killAtMs = deadlineMs - this.ctx.killMarginMs
    if (this.stopping !== undefined) {
      this.armKillAt(killAtMs)
    } else {
      this.cancelKillBy?.()
      const termAtMs = Math.max(this.ctx.scheduler.nowMs(), killAtMs - this.graceMs)
      this.cancelKillBy = this.ctx.scheduler.at(termAtMs, () => {
        this.cancelKillBy = undefined
        this.armKillAt(killAtMs)
        void this.stop(Math.max(0, killAtMs - this.ctx.scheduler.nowMs()))
      })
    }
    return await outcome
  }

  /** Disarms a `killBy` whose stop has not begun yet. Returns false if it already has. */
  clearKillBy (): boolean {
    if (this.cancelKillBy === undefined) return this.stopping === undefined
    this.cancelKillBy()
    this.cancelKillBy = undefined
    return true
  }

  private async doStop (): Promise<void> {
    this.cancelRestart?.()
    this.cancelRestart = undefined
    this.cancelKillBy?.()
    if (this.child !== undefined) {
      this.setState('stopping', { pid: this.current.pid })
      await this.terminateRun()
    }
    if (!FINAL_STATES.has(this.current.state)) this.finish('stopped', 'stopped on request')
    await this.teardown()
  }

  /** SIGTERM now, SIGKILL at `killAtMs`; resolves when the run is over (main exited, cgroup empty). */
  private async terminateRun (): Promise<void> {
    const ended = this.runEnded
    await this.signalAll('SIGTERM')
    this.armKillAt(this.killAtMs)
    await ended
  }

  private armKillAt (atMs: number): void {
    if (atMs >= this.killAtMs && this.cancelKill !== undefined) return
    this.killAtMs = Math.min(this.killAtMs, atMs)
    if (this.child === undefined) return
    this.cancelKill?.()
    this.cancelKill = this.ctx.scheduler.at(this.killAtMs, () => { this.cancelKill = undefined; void this.killAll() })
  }

  /**
   * Signals the run: every pid in the cgroup, and the main process by its pid as well, because a stop that
   * follows a start at once can come before the entry wrapper has written itself into cgroup.procs.
   */
  private async signalAll (signal: NodeJS.Signals): Promise<void> {
    const pid = this.unreapedPid()
    if (this.cgroup !== undefined) await signalCgroup(this.cgroup, signal)
    if (pid !== undefined) try { process.kill(this.cgroup !== undefined ? pid : -pid, signal) } catch { /* gone */ }
  }

  private async killAll (): Promise<void> {
    const pid = this.unreapedPid()
    if (this.cgroup !== undefined) await killCgroup(this.cgroup)
    if (pid !== undefined) try { process.kill(this.cgroup !== undefined ? pid : -pid, 'SIGKILL') } catch { /* gone */ }
  }

  /** The main pid while it is still ours: once Node has reaped it, the kernel may give the number to another process. */
  private unreapedPid (): number | undefined {
    const child = this.child
    return child !== undefined && child.exitCode === null && child.signalCode === null ? child.pid : undefined
  }

  private run (): void {
    const spec = this.spec
    const bwrap = this.ctx.bubblewrap.path
    const cwd = spec.cwd ?? (spec.isolated === true ? (spec.mountStateAt ?? this.stateDir) : this.stateDir)
    const [command, args] = spec.isolated === true && bwrap !== undefined
      ? [bwrap, [...sandboxArgs({ stateDir: this.stateDir, mountStateAt: spec.mountStateAt, cwd }), '--', spec.command, ...(spec.args ?? [])]]
      : [spec.command, spec.args ?? []]
    this.killedForHealth = false
    this.killAtMs = Infinity
    this.runEnded = new Promise(resolve => { this.endRun = resolve })
    this.runStartedMs = this.ctx.scheduler.nowMs()
    this.setState('starting', {})
    const child = spawn(SHELL, enterArgs(this.cgroup !== undefined ? procsFiles(this.cgroup) : [], command, args), {
      // bwrap chdirs inside the sandbox itself; the host-side cwd must exist on the host.
      cwd: spec.isolated === true ? '/' : cwd,
      env: this.environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group and session: the terminal's signals to the agent do not reach it (the
      // supervisor decides when it stops), and without cgroups the group is what the watchdog kills.
      detached: true
    })
    this.child = child
    this.outputClosed = new Promise(resolve => child.once('close', () => resolve()))
    child.stdout?.on('data', (chunk: Buffer) => this.logs.stdout.write(chunk))
    child.stderr?.on('data', (chunk: Buffer) => this.logs.stderr.write(chunk))
    let ended = false
    const end = (runEnd: RunEnd): void => {
      if (ended) return
      ended = true
      void this.onRunEnd(runEnd)
    }
    child.once('spawn', () => {
      if (child.pid !== undefined) this.watchdog?.notePgid(child.pid)
      if (this.health === undefined) this.setState('running', { pid: child.pid })
      else {
        this.current.pid = child.pid
        this.monitor = new HealthMonitor(this.health, this.ctx.scheduler, (r) => this.onHealth(r), this.environment())
        this.monitor.start()
      }
    })
    child.once('error', (err) => {
      this.ctx.onEvent({ type: 'health', workload: spec.workload, index: spec.index, ok: false, reason: `spawn: ${err.message}`, consecutiveFailures: 0 })
      end({ kind: 'exited', code: null, signal: null })
    })
    child.once('exit', (code, signal) => end({ kind: 'exited', code, signal }))
  }

  private onHealth (report: HealthReport): void {
    const { workload, index } = this.spec
    const reason = report.result.ok ? undefined : report.result.reason
    this.ctx.onEvent({ type: 'health', workload, index, ok: report.result.ok, reason, consecutiveFailures: report.consecutiveFailures })
    if (this.stopping !== undefined || this.killedForHealth || this.child === undefined) return
    if (report.result.ok) {
      if (this.current.state !== 'running') this.setState('running', { pid: this.current.pid })
      return
    }
    if (report.healthy || this.current.state === 'unhealthy') return
    this.setState('unhealthy', { pid: this.current.pid, reason: `${report.consecutiveFailures} failed health checks, the last: ${reason ?? ''}` })
    // The policy says whether an unhealthy instance is replaced; `never` leaves it running, reported unhealthy.
    if (this.policy.mode === 'never') return
    this.killedForHealth = true
    this.armKillAt(this.ctx.scheduler.nowMs() + this.graceMs)
    void this.terminateRun()
  }

  /** A run's main process exited: kill what it left, then restart, finish, or complete a stop. */
  private async onRunEnd (end: RunEnd): Promise<void> {
    const nowMs = this.ctx.scheduler.nowMs()
    const ranForMs = nowMs - this.runStartedMs
    this.monitor?.stop()
    this.monitor = undefined
    const exit = end.kind === 'exited' ? { code: end.code, signal: end.signal } : { code: null, signal: null }
    this.current.lastExit = exit
    this.ctx.onEvent({ type: 'exit', workload: this.spec.workload, index: this.spec.index, epoch: this.spec.epoch, ...exit, ranForMs })
    // The run is over when its main process is: children it forked must not live on into the next run.
    if (this.cgroup !== undefined) {
      await killCgroup(this.cgroup)
      if (!await waitCgroupEmpty(this.cgroup, CGROUP_EMPTY_BUDGET_MS)) {
        this.ctx.onEvent({ type: 'kill-incomplete', workload: this.spec.workload, index: this.spec.index, pids: await cgroupPids(this.cgroup) })
      } else {
        this.deadAtMs = this.ctx.scheduler.nowMs()
      }
    } else {
      if (this.child?.pid !== undefined) try { process.kill(-this.child.pid, 'SIGKILL') } catch { /* gone */ }
      this.deadAtMs = this.ctx.scheduler.nowMs()
    }
    // With the cgroup empty nobody holds the output pipes any more; take the last bytes into the log.
    await Promise.race([this.outputClosed, new Promise(resolve => setTimeout(resolve, OUTPUT_DRAIN_MS).unref())])
    this.child = undefined
    this.cancelKill?.()
    this.cancelKill = undefined
    this.endRun()
    if (this.stopping !== undefined) return

    const judged: RunEnd = this.killedForHealth ? { kind: 'unhealthy' } : end
    const decision = decideRestart(this.policy, this.restartsInLoop, judged, ranForMs)
    this.restartsInLoop = decision.restartsInLoop
    const how = judged.kind === 'unhealthy' ? 'unhealthy' : exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`
    if (decision.restart) {
      const atMs = this.ctx.scheduler.nowMs() + decision.delayMs
      this.setState('backoff', { reason: `${how}; restart ${decision.restartsInLoop} of this loop`, nextStartAtMs: atMs })
      this.cancelRestart = this.ctx.scheduler.at(atMs, () => {
        this.cancelRestart = undefined
        this.current.restarts++
        this.run()
      })
      return
    }
    const failed = isFailure(judged) || decision.reason === 'max-restarts'
    this.finish(failed ? 'failed' : 'exited', decision.reason === 'max-restarts' ? `${how}; ${this.policy.maxRestarts} restarts in a row` : how)
    await this.teardown()
  }

  private environment (): NodeJS.ProcessEnv {
    const spec = this.spec
    return {
      PATH: process.env.PATH ?? DEFAULT_PATH,
      ...spec.env,
      ...this.ctx.instanceEnv,
      DREAMMESH_WORKLOAD: spec.workload,
      DREAMMESH_INSTANCE: String(spec.index),
      DREAMMESH_EPOCH: String(spec.epoch),
      DREAMMESH_STATE_DIR: spec.isolated === true ? (spec.mountStateAt ?? this.stateDir) : this.stateDir
    }
  }

  private startWatchdog (): void {
    if (this.cgroup === undefined && this.ctx.cgroups.kill !== 'process-group') return
    this.watchdog = new Watchdog(this.cgroup ?? { dirs: [], method: 'process-group' }, (code) => {
      const replaced = this.watchdogReplacements < MAX_WATCHDOG_REPLACEMENTS && !FINAL_STATES.has(this.current.state)
      this.ctx.onEvent({ type: 'watchdog-lost', workload: this.spec.workload, index: this.spec.index, code, replaced })
      if (!replaced) { void this.stop(0); return }
      this.watchdogReplacements++
      this.startWatchdog()
      if (this.child?.pid !== undefined) this.watchdog?.notePgid(this.child.pid)
    })
  }

  /**
   * The instance is done: the watchdog removes the (empty) cgroups, and the logs close. Idempotent; every
   * caller (the run's end, and a stop that comes in meanwhile) waits for the same, complete teardown.
   */
  private async teardown (): Promise<void> {
    this.tornDown ??= (async () => {
      if (this.watchdog !== undefined) await this.watchdog.release()
      this.logs.stdout.close()
      this.logs.stderr.close()
    })()
    await this.tornDown
    this.settleWaiters(this.deadAtMs ?? this.ctx.scheduler.nowMs())
  }

  private settleWaiters (deadAtMs: number): void {
    for (const w of this.deathWaiters.splice(0)) w.resolve({ deadlineMs: w.deadlineMs, deadAtMs, metDeadline: deadAtMs <= w.deadlineMs })
  }

  private finish (state: InstanceState, reason: string): void {
    this.setState(state, { reason })
  }

  private setState (state: InstanceState, extra: Partial<InstanceStatus>): void {
    this.current = {
      workload: this.current.workload,
      index: this.current.index,
      epoch: this.current.epoch,
      restarts: this.current.restarts,
      lastExit: this.current.lastExit,
      unenforcedLimits: this.current.unenforcedLimits,
      state,
      sinceMs: this.ctx.scheduler.nowMs(),
      ...extra
    }
    this.ctx.onEvent({ type: 'status', status: this.status() })
  }
}
