import { spawn } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'
import type { Scheduler } from '@dreammesh/protocols'
import { HEALTH_MAX_BODY_BYTES } from './constants.js'
import type { HealthCheck, HealthProbe } from './spec.js'

/** One probe's verdict; `reason` says why it failed. */
export type ProbeResult = { ok: true } | { ok: false, reason: string }

/**
 * Runs one probe, bounded by `timeoutMs`:
 * - tcp: a connection to host:port is accepted;
 * - http: GET answers 2xx or 3xx (redirects are not followed: a redirect proves the server is serving);
 * - command: the program exits 0 (it is SIGKILLed, with its process group, at the timeout).
 */
export async function probeOnce (probe: HealthProbe, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<ProbeResult> {
  return await new Promise<ProbeResult>((resolve) => {
    let cleanup = (): void => {}
    let settled = false
    const done = (result: ProbeResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      cleanup()
      resolve(result)
    }
    const timer = setTimeout(() => done({ ok: false, reason: `timed out after ${timeoutMs} ms` }), timeoutMs)
    if (probe.kind === 'tcp') {
      const socket = connect({ port: probe.port, host: probe.host ?? '127.0.0.1' })
      cleanup = () => socket.destroy()
      socket.once('connect', () => done({ ok: true }))
      socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, reason: `tcp ${probe.port}: ${err.code ?? err.message}` }))
    } else if (probe.kind === 'http') {
      const request = (probe.url.startsWith('https:') ? httpsRequest : httpRequest)(probe.url, { method: 'GET' }, (res) => {
        const status = res.statusCode ?? 0
        let seen = 0
        res.on('data', (chunk: Buffer) => { seen += chunk.length; if (seen > HEALTH_MAX_BODY_BYTES) res.destroy() })
        res.resume()
        done(status >= 200 && status < 400 ? { ok: true } : { ok: false, reason: `http ${status}` })
      })
      cleanup = () => request.destroy()
      request.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, reason: `http: ${err.code ?? err.message}` }))
      request.end()
    } else {
      const child = spawn(probe.command, probe.args ?? [], { stdio: 'ignore', detached: true, env })
      cleanup = () => { if (child.exitCode === null && child.pid !== undefined) try { process.kill(-child.pid, 'SIGKILL') } catch { /* gone */ } }
      child.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, reason: `command: ${err.code ?? err.message}` }))
      child.once('exit', (code, signal) => done(code === 0 ? { ok: true } : { ok: false, reason: `command exited ${code ?? signal}` }))
    }
  })
}

/** What a monitor reports: a probe result, and whether this one crossed the failure threshold. */
export interface HealthReport { result: ProbeResult, consecutiveFailures: number, healthy: boolean }

/**
 * Probes an instance every `intervalMs` (one probe at a time; the next is timed from the end of the last, so
 * a slow instance is not probed faster than it answers). `failures` consecutive failures make it unhealthy;
 * one success makes it healthy again.
 */
/** How often a starting instance is probed until its first passing probe, in ms. */
export const STARTUP_PROBE_MS = 500

export class HealthMonitor {
  private consecutiveFailures = 0
  private cancelTimer: (() => void) | undefined
  private stopped = false
  /** Until the first passing probe the process is still starting: probed often, its failures forgiven for a while. */
  private started = false
  private startedAtMs = 0

  constructor (
    private readonly check: HealthCheck,
    private readonly scheduler: Scheduler,
    private readonly onReport: (report: HealthReport) => void,
    private readonly env: NodeJS.ProcessEnv = {}
  ) {}

  /**
   * Starts probing. Until the first probe passes, it probes every STARTUP_PROBE_MS (or the interval, if
   * shorter), so an instance counts as running as soon as it listens; failures then count only after the
   * grace the interval gives (failures × interval), so a slow starter is not replaced for being slow.
   */
  start (): void {
    this.startedAtMs = this.scheduler.nowMs()
    this.arm()
  }

  stop (): void {
    this.stopped = true
    this.cancelTimer?.()
  }

  private arm (): void {
    if (this.stopped) return
    const every = this.started ? this.check.intervalMs : Math.min(STARTUP_PROBE_MS, this.check.intervalMs)
    this.cancelTimer = this.scheduler.at(this.scheduler.nowMs() + every, () => { void this.probe() })
  }

  private async probe (): Promise<void> {
    const result = await probeOnce(this.check.probe, this.check.timeoutMs, this.env)
    if (this.stopped) return
    if (result.ok) this.started = true
    const forgiven = !this.started && this.scheduler.nowMs() - this.startedAtMs < this.check.failures * this.check.intervalMs
    if (forgiven) return this.arm()
    this.consecutiveFailures = result.ok ? 0 : this.consecutiveFailures + 1
    this.onReport({ result, consecutiveFailures: this.consecutiveFailures, healthy: this.consecutiveFailures < this.check.failures })
    this.arm()
  }
}
