import { availableParallelism, freemem, totalmem, uptime } from 'node:os'
import { join } from 'node:path'
import { TypedEventEmitter, type Startable } from '@libp2p/interface'
import type { PowerState, ResourceRecord } from '@dreammesh/protocols'
import { capabilitiesEqual, scanCapabilities, summarizeCapabilities, type Capabilities } from './capabilities.js'
import { watchCapabilities } from './capability-watch.js'
import {
  CAPABILITY_RESCAN_DEBOUNCE_MS,
  CAPABILITY_RESCAN_INTERVAL_MS,
  DEFAULT_RESOURCE_ROOTS,
  SAMPLE_INTERVAL_MS,
  type ResourceRoots
} from './constants.js'
import { cpuPercentBetween, readCpuTimes, type CpuTimes } from './cpu.js'
import { readDiskFreeBytes } from './disk.js'
import { readLoadAverage, readUptimeSec } from './load.js'
import { readMemory, type Memory } from './memory.js'
import { readNetCounters, throughputBetween, type InterfaceCounters } from './network.js'
import { readPower } from './power.js'

export interface ResourceSamplerInit {
  /** The node's data dir: its file system's free space is `diskFreeBytes`. */
  dataDir: string
  /** @default SAMPLE_INTERVAL_MS (1000) */
  sampleIntervalMs?: number
  /** The capability poll, for what no watch can see. @default CAPABILITY_RESCAN_INTERVAL_MS (30000) */
  capabilityRescanIntervalMs?: number
  /** @default CAPABILITY_RESCAN_DEBOUNCE_MS (250) */
  capabilityRescanDebounceMs?: number
  /** Whether to fs.watch the X socket and input directories; off, only the poll finds changes. @default true */
  watch?: boolean
  /** User-given capability tags. @default [] */
  tags?: string[]
  /** Where to read from; tests point these at fixture trees. @default DEFAULT_RESOURCE_ROOTS */
  roots?: Partial<ResourceRoots>
  /** The display this node was started on. @default process.env.DISPLAY */
  envDisplay?: string
  /** A monotonic clock in ms, for rates. @default performance.now */
  nowMs?: () => number
  /** Called with every new sample (as is the 'sample' event). An exception here is counted, not thrown. */
  onSample?: (record: ResourceRecord) => void
}

export interface ResourceSamplerEvents {
  /** A new sample: every `sampleIntervalMs`. Deciding whether to publish it is `ResourcePublisher`'s job. */
  'sample': CustomEvent<ResourceRecord>
  /** A rescan found different capabilities (also fired for the first scan). */
  'capabilities': CustomEvent<Capabilities>
}

export interface ResourceSamplerStats {
  samples: number
  /** Readings that failed (unreadable or malformed files): each made one value unknown, or fell back. */
  sampleErrors: number
  /** Ticks skipped because the previous sample had not finished (a hung file system). */
  skippedTicks: number
  capabilityScans: number
  /** The last failure, for a log line or the local API. */
  lastError: string | undefined
}

/**
 * Samples this node's resources every second (issue "The real node", section 3) without spawning anything:
 * /proc/stat, /proc/meminfo, /proc/loadavg, /proc/uptime, /proc/net/dev, statfs(dataDir) and a few
 * /sys/class/power_supply attributes. Capabilities are scanned at start and on change only. Nothing in here
 * throws out of a timer: a reading that fails is unknown in the record and counted in `stats.sampleErrors`.
 */
export class ResourceSampler extends TypedEventEmitter<ResourceSamplerEvents> implements Startable {
  private readonly init: ResourceSamplerInit
  private readonly roots: ResourceRoots
  private readonly sampleIntervalMs: number
  private readonly nowMs: () => number
  private readonly counters: ResourceSamplerStats = { samples: 0, sampleErrors: 0, skippedTicks: 0, capabilityScans: 0, lastError: undefined }
  private running = false
  private timer: NodeJS.Timeout | undefined
  private stopWatching: (() => void) | undefined
  private inFlight: Promise<ResourceRecord> | undefined
  private caps: Capabilities
  private latest: ResourceRecord | undefined
  private seq = 0
  private lastCpu: CpuTimes | undefined
  private lastCpuPercent: number | undefined
  private lastNet: { counters: Map<string, InterfaceCounters>, atMs: number } | undefined

  constructor (init: ResourceSamplerInit) {
    super()
    this.init = init
    this.roots = { ...DEFAULT_RESOURCE_ROOTS, ...init.roots }
    this.sampleIntervalMs = init.sampleIntervalMs ?? SAMPLE_INTERVAL_MS
    this.nowMs = init.nowMs ?? (() => performance.now())
    this.caps = { displays: [], inputDevices: [], gpus: [], tags: [...(init.tags ?? [])] }
  }

  /** Scans capabilities, takes a first sample (CPU and network are unknown in it: they need two readings), and starts the timers. */
  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.rescanCapabilities()
    await this.sample()
    if (!this.running) return // stopped while starting
    this.timer = setInterval(() => { this.tick() }, this.sampleIntervalMs)
    this.timer.unref()
    this.stopWatching = watchCapabilities({
      dirs: [this.roots.x11Sockets, join(this.roots.dev, 'input')],
      intervalMs: this.init.capabilityRescanIntervalMs ?? CAPABILITY_RESCAN_INTERVAL_MS,
      debounceMs: this.init.capabilityRescanDebounceMs ?? CAPABILITY_RESCAN_DEBOUNCE_MS,
      watch: this.init.watch,
      rescan: () => { this.rescanCapabilities() }
    })
  }

  async stop (): Promise<void> {
    this.running = false
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.stopWatching?.()
    this.stopWatching = undefined
    // A sample still in flight is not awaited (its statfs may hang on a dead network file system); it
    // finishes quietly, since nothing is emitted once stopped.
  }

  isStarted (): boolean {
    return this.running
  }

  /** The newest sample, or undefined before the first. */
  current (): ResourceRecord | undefined {
    return this.latest
  }

  /** The capabilities found by the last scan, in full (the record carries a summary). */
  capabilities (): Capabilities {
    return this.caps
  }

  get stats (): Readonly<ResourceSamplerStats> {
    return { ...this.counters }
  }

  private tick (): void {
    if (this.inFlight !== undefined) { this.counters.skippedTicks++; return }
    this.sample().catch((err: unknown) => { this.fail('sample', err) })
  }

  /**
   * Takes one sample now and emits it. The timer calls this; so may a test or a benchmark. Samples never
   * overlap (rates are computed between consecutive ones): a call during a sample waits for it first.
   */
  async sample (): Promise<ResourceRecord> {
    while (this.inFlight !== undefined) await this.inFlight.catch(() => undefined)
    const p: Promise<ResourceRecord> = this.takeSample().finally(() => { if (this.inFlight === p) this.inFlight = undefined })
    this.inFlight = p
    return await p
  }

  /** Scans capabilities now and emits 'capabilities' if they changed. The next sample carries them. */
  rescanCapabilities (): Capabilities {
    const first = this.counters.capabilityScans === 0
    let next: Capabilities
    try {
      next = scanCapabilities({ roots: this.roots, envDisplay: this.init.envDisplay ?? process.env.DISPLAY, tags: this.init.tags ?? [] })
    } catch (err) {
      this.fail('capabilities', err) // the readers catch their own errors; this is for the unforeseen
      return this.caps
    }
    this.counters.capabilityScans++
    if (first || !capabilitiesEqual(this.caps, next)) {
      this.caps = next
      this.safeDispatch('capabilities', next)
    }
    return this.caps
  }

  private async takeSample (): Promise<ResourceRecord> {
    // statfs first: it is the one reading that waits (system-file.ts), and the counters below should be
    // read together, at `atMs`.
    let diskFreeBytes: number | undefined
    try {
      diskFreeBytes = await readDiskFreeBytes(this.init.dataDir)
    } catch (err) {
      this.fail('disk', err)
    }
    const atMs = this.nowMs()
    const cpu = this.attempt('cpu', () => readCpuTimes(this.roots.proc))
    const net = this.attempt('network', () => readNetCounters(this.roots.proc))
    const memory = this.attempt('memory', () => readMemory(this.roots.proc))
    const load = this.attempt('load', () => readLoadAverage(this.roots.proc))
    const uptimeSec = this.attempt('uptime', () => readUptimeSec(this.roots.proc))
    const power = this.attempt('power', () => readPower(this.roots.sys))

    const record: ResourceRecord = {
      seq: ++this.seq,
      cpuCount: cpu !== undefined && cpu.cpuCount > 0 ? cpu.cpuCount : availableParallelism(),
      uptimeSec: Math.floor(uptimeSec ?? uptime()),
      power: power ?? ({ source: 'unknown' } satisfies PowerState),
      capabilities: summarizeCapabilities(this.caps)
    }
    if (cpu !== undefined) {
      // Ticks are 10 ms (USER_HZ): two samples closer than that may see no tick pass. Then keep the older
      // reading as the base, so the next delta spans enough time, and repeat the last figure.
      const percent = cpuPercentBetween(this.lastCpu, cpu)
      if (this.lastCpu === undefined || cpu.totalTicks !== this.lastCpu.totalTicks) {
        this.lastCpu = cpu
        this.lastCpuPercent = percent
      }
      if (this.lastCpuPercent !== undefined) record.cpuPercent = this.lastCpuPercent
    }
    // /proc/meminfo unreadable: the OS's own figures (free, not available, so "used" reads high).
    const mem: Memory = memory ?? { usedBytes: totalmem() - freemem(), totalBytes: totalmem() }
    record.memUsedBytes = mem.usedBytes
    record.memTotalBytes = mem.totalBytes
    if (load !== undefined) Object.assign(record, load)
    if (diskFreeBytes !== undefined) record.diskFreeBytes = diskFreeBytes
    if (net !== undefined) {
      const rate = throughputBetween(this.lastNet?.counters, net, atMs - (this.lastNet?.atMs ?? atMs))
      if (rate !== undefined) {
        record.netRxBytesPerSec = rate.rxBytesPerSec
        record.netTxBytesPerSec = rate.txBytesPerSec
      }
      this.lastNet = { counters: net, atMs }
    }

    this.counters.samples++
    this.latest = record
    if (this.running) {
      try {
        this.init.onSample?.(record)
      } catch (err) {
        this.fail('onSample', err)
      }
      this.safeDispatch('sample', record)
    }
    return record
  }

  /** The reading's value, or undefined (counted) when it failed. */
  private attempt<T> (what: string, read: () => T): T | undefined {
    try {
      return read()
    } catch (err) {
      this.fail(what, err)
      return undefined
    }
  }

  private fail (what: string, err: unknown): void {
    this.counters.sampleErrors++
    this.counters.lastError = `${what}: ${err instanceof Error ? err.message : String(err)}`
  }

  private safeDispatch<K extends keyof ResourceSamplerEvents> (type: K, detail: ResourceSamplerEvents[K]['detail']): void {
    this.safeDispatchEvent(type, { detail })
  }
}
