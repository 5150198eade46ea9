/**
 * Membership scenario scripts with their expected output, after etcd-io/raft's `testdata/*.txt`.
 *
 * A script drives one `MembershipCluster` in virtual time and prints a deterministic transcript. The file
 * format is the transcript itself:
 *
 * - An unindented line is a command, a `#` comment or blank; it is echoed as is.
 * - The lines after a command that start with two spaces are its output. They are ignored when the script is
 *   read, and written back by the interpreter; a command with no output is followed by none.
 *
 * ```
 * cluster nodes=5 seed=1 preset=local
 *   preset local: probe 100 ms, suspicion 300..1800 ms, completeness bound 2345 ms
 * start all
 * run 5s
 * expect converged
 *   ok
 * ```
 *
 * test/scenario-scripts.spec.ts runs every test/scenarios/*.txt and compares the transcript with the file.
 * Run it with `REWRITE=1` (as raft's `-rewrite`) to write the actual transcripts into the files instead, then
 * read the diff: a rewrite blesses what the protocol did, right or wrong. A failed `expect` fails the test
 * even when rewriting.
 *
 * Commands (nodes are indexes 0..N-1, printed as n0..nN-1 instead of their long ids):
 *
 * - `cluster nodes=5 [seed=1] [preset=local|lan|wan] [loss=0] [delay-ms=0.2] [transport=packets|streams]
 *   [drift-ppm=100] [variant=no-refutation]`: must come first.
 * - `start all` | `start 3`: start members now; each joins through the first three members.
 * - `run 5s`: advance virtual time (`ms`, `s` or `m`).
 * - `crash 2` (kill -9: peers see its connections close), `machine-loss 2` (nobody is told), `restart 2`
 *   (starts it again, above every incarnation it used; a running member is crashed first).
 * - `pause 1 1500ms`, `leave 3`.
 * - `partition split 0,1 2,3,4` | `partition isolate 2` | `partition asymmetric 0 1` (0 to 1 dropped, not
 *   back; without a second group, 0 to everyone else), `heal` (every partition).
 * - `views`: for every member, `nI@inc: nJ=state@inc ...` as it holds the others (`?` if unknown), or
 *   `nI: down`.
 * - `events`: the joined, suspect, alive, dead, left and refuted events since the last `events`, with the
 *   virtual time rounded to 10 ms: `  1.23s n0 suspect n2@0 by n1` (observer, type, subject@incarnation).
 * - `counters 0`: n0's protocol counters (probes, syncs, drops by reason) that moved since the last
 *   `counters 0`, or since it started.
 * - `expect converged [within=10s]`: every running member's live view is exactly the other running members
 *   (polled every 100 ms up to `within`, which is 0 by default).
 * - `expect state 2 dead [at=0,1]`: every other running member (or each member of the group) holds n2 in
 *   that state.
 * - `expect never dead 1`: no member has had that event (joined, suspect, alive, dead, left) about n1 since
 *   the cluster was made.
 */
import { minSuspicionMs, type Membership, type MembershipEvent, type NodeId } from '@dreammesh/protocols'
import { completenessBoundMs } from './invariants.js'
import { MembershipCluster } from './membership-cluster.js'
import { networkOptions, presetConfig, RUN_DEFAULTS, type Preset } from './membership-run.js'
import type { TransportModel } from '../network/options.js'

/** A malformed script line; the message names the line. */
export class ScriptError extends Error {}

export interface ScriptResult {
  /** The script with each command's output under it: what the .txt file should hold. */
  transcript: string
  /** The `expect` lines that did not hold, with their line numbers. */
  failures: string[]
}

interface Logged { atMs: number, observer: number, event: MembershipEvent }

const SHOWN_EVENTS = new Set(['joined', 'suspect', 'alive', 'dead', 'left', 'refuted'])
const MEMBER_EVENTS = new Set(['joined', 'suspect', 'alive', 'dead', 'left'])
const POLL_MS = 100

/** Runs a script (the text of a .txt file, with or without its old output) and returns its transcript. */
export function runScript (text: string): ScriptResult {
  const out: string[] = []
  const failures: string[] = []
  const interpreter = new Interpreter()
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  lines.forEach((line, i) => {
    if (line.startsWith(' ') || line.startsWith('\t')) return
    out.push(line.trimEnd())
    const command = line.trim()
    if (command === '' || command.startsWith('#')) return
    let result: Output
    try {
      result = interpreter.execute(command.split(/\s+/))
    } catch (err) {
      if (err instanceof ScriptError) throw new ScriptError(`line ${i + 1} "${command}": ${err.message}`)
      throw err
    }
    for (const l of result.lines) out.push(`  ${l}`)
    if (result.failed) failures.push(`line ${i + 1} "${command}": ${result.lines.join('; ')}`)
  })
  return { transcript: out.join('\n') + '\n', failures }
}

interface Output { lines: string[], failed?: boolean }

class Interpreter {
  private cluster: MembershipCluster | undefined
  private readonly log: Logged[] = []
  private shownUpTo = 0
  private readonly counted = new WeakMap<Membership, Record<string, number>>()

  execute ([verb, ...args]: string[]): Output {
    if (verb === 'cluster') return this.makeCluster(args)
    const c = this.cluster
    if (c === undefined) throw new ScriptError('the script must begin with a cluster line')
    switch (verb) {
      case 'start':
        arity(args, 1)
        for (const i of args[0] === 'all' ? c.members.map((m) => m.index) : [this.node(args[0])]) c.start(i)
        return { lines: [] }
      case 'run':
        arity(args, 1)
        c.runFor(duration(args[0]))
        return { lines: [] }
      case 'crash':
      case 'machine-loss': {
        arity(args, 1)
        const i = this.node(args[0])
        if (!c.isRunning(i)) throw new ScriptError(`n${i} is not running`)
        c.crash(i, verb === 'machine-loss')
        return { lines: [] }
      }
      case 'restart': {
        arity(args, 1)
        const i = this.node(args[0])
        if (c.isRunning(i)) c.crash(i)
        c.start(i)
        return { lines: [`n${i} starts at incarnation ${c.members[i].machine?.incarnation ?? '?'}`] }
      }
      case 'pause':
        arity(args, 2)
        c.pause(this.node(args[0]), duration(args[1]))
        return { lines: [] }
      case 'leave':
        arity(args, 1)
        c.leave(this.node(args[0]))
        return { lines: [] }
      case 'partition': return this.partition(args)
      case 'heal':
        arity(args, 0)
        c.healAll()
        return { lines: [] }
      case 'views':
        arity(args, 0)
        return { lines: this.views() }
      case 'events':
        arity(args, 0)
        return { lines: this.events() }
      case 'counters':
        arity(args, 1)
        return { lines: [this.counters(this.node(args[0]))] }
      case 'expect': return this.expect(args)
      default:
        throw new ScriptError(`unknown command "${verb}"`)
    }
  }

  private makeCluster (args: string[]): Output {
    if (this.cluster !== undefined) throw new ScriptError('only one cluster line')
    const kv = keyValues(args, ['nodes', 'seed', 'preset', 'loss', 'delay-ms', 'transport', 'drift-ppm', 'variant'])
    if (kv.nodes === undefined) throw new ScriptError('nodes= is required')
    const nodes = integer('nodes', kv.nodes, 2, 1000)
    const preset = choice('preset', kv.preset ?? 'local', ['local', 'lan', 'home', 'wan']) as Preset
    const transport = choice('transport', kv.transport ?? 'packets', ['packets', 'streams']) as TransportModel
    const variant = kv.variant === undefined ? undefined : choice('variant', kv.variant, ['no-refutation']) as 'no-refutation'
    const run = {
      ...RUN_DEFAULTS,
      nodes,
      seed: integer('seed', kv.seed ?? '1', 0, 0xffffffff),
      preset,
      loss: number('loss', kv.loss ?? '0', 0, 1),
      delayMs: number('delay-ms', kv['delay-ms'] ?? String(RUN_DEFAULTS.delayMs), 0.01, 10_000),
      transport,
      driftPpm: number('drift-ppm', kv['drift-ppm'] ?? String(RUN_DEFAULTS.driftPpm), 0, 100_000)
    }
    const config = presetConfig(preset)
    const cluster = new MembershipCluster({ nodes, seed: run.seed, config, network: networkOptions(run), driftPpm: run.driftPpm, variant })
    cluster.onEvent((observer, event, atMs) => { if (SHOWN_EVENTS.has(event.type)) this.log.push({ atMs, observer, event }) })
    this.cluster = cluster
    const minMs = minSuspicionMs(config, nodes)
    return {
      lines: [`preset ${preset}: probe ${config.probeIntervalMs} ms, suspicion ${minMs}..${minMs * config.suspicionMaxTimeoutMult} ms, ` +
        `completeness bound ${completenessBoundMs(config, nodes)} ms`]
    }
  }

  private partition ([kind, a, b, ...rest]: string[]): Output {
    const c = this.cluster as MembershipCluster
    if (rest.length > 0) throw new ScriptError('too many arguments')
    if (kind === 'split') {
      if (a === undefined || b === undefined) throw new ScriptError('partition split needs two groups, such as 0,1 2,3,4')
      c.partition('split', this.group(a), this.group(b))
    } else if (kind === 'isolate') {
      if (a === undefined || b !== undefined) throw new ScriptError('partition isolate needs one group')
      c.partition('isolate', this.group(a))
    } else if (kind === 'asymmetric') {
      if (a === undefined) throw new ScriptError('partition asymmetric needs a sending group')
      c.partition('asymmetric', this.group(a), b === undefined ? undefined : this.group(b))
    } else {
      throw new ScriptError('partition is split, isolate or asymmetric')
    }
    return { lines: [] }
  }

  private views (): string[] {
    const c = this.cluster as MembershipCluster
    return c.members.map((m) => {
      const machine = m.machine
      if (machine === undefined || !c.isRunning(m.index)) return `n${m.index}: down`
      const self = machine.self()
      const cells: string[] = []
      for (const other of c.members) {
        if (other.index === m.index) continue
        const v = machine.member(other.id)
        cells.push(`n${other.index}=${v === undefined ? '?' : `${v.state}@${v.incarnation}`}`)
      }
      for (const v of machine.members()) {
        if (c.network.indexOf(v.id) < 0) cells.push(`${v.id}=${v.state}@${v.incarnation}`)
      }
      return `n${m.index}@${self.incarnation}${self.state === 'alive' ? '' : ` (${self.state})`}: ${cells.join(' ')}`
    })
  }

  private events (): string[] {
    const lines: string[] = []
    for (const { atMs, observer, event } of this.log.slice(this.shownUpTo)) {
      const at = `${(Math.round(atMs / 10) / 100).toFixed(2)}s`.padStart(7)
      const head = `${at} n${observer} ${event.type}`
      if (event.type === 'refuted') lines.push(`${head} now @${event.incarnation}, accused by ${this.name(event.accuser)}`)
      else if (event.type === 'suspect' || event.type === 'dead') lines.push(`${head} ${this.name(event.member.id)}@${event.member.incarnation} by ${this.name(event.from)}`)
      else if ('member' in event) lines.push(`${head} ${this.name(event.member.id)}@${event.member.incarnation}`)
    }
    this.shownUpTo = this.log.length
    return lines.length === 0 ? ['(none)'] : lines
  }

  /** The member's protocol counters that moved since the last `counters` of this incarnation of it. */
  private counters (index: number): string {
    const machine = (this.cluster as MembershipCluster).members[index].machine
    if (machine === undefined) return `n${index}: down`
    const now = machine.counters()
    const before = this.counted.get(machine) ?? {}
    this.counted.set(machine, now)
    const moved = Object.keys(now).sort().filter((k) => now[k] !== (before[k] ?? 0)).map((k) => `${k}=${now[k] - (before[k] ?? 0)}`)
    return `n${index}: ${moved.length === 0 ? '(none)' : moved.join(' ')}`
  }

  private expect ([what, ...args]: string[]): Output {
    const c = this.cluster as MembershipCluster
    if (what === 'converged') {
      const kv = keyValues(args, ['within'])
      const deadline = c.nowMs + (kv.within === undefined ? 0 : duration(kv.within))
      const from = c.nowMs
      while (!c.viewsMatchTruth() && c.nowMs < deadline) c.runFor(Math.min(POLL_MS, deadline - c.nowMs))
      if (c.viewsMatchTruth()) return { lines: [kv.within === undefined ? 'ok' : `ok, after ${((c.nowMs - from) / 1000).toFixed(1)}s`] }
      return { lines: ['FAILED: views differ from the running set', ...this.views()], failed: true }
    }
    if (what === 'state') {
      if (args.length !== 2 && args.length !== 3) throw new ScriptError('expect state N STATE [at=GROUP]')
      const subject = this.node(args[0])
      const state = choice('state', args[1], ['alive', 'suspect', 'dead', 'left'])
      const at = args.length === 3 ? this.group(keyValues(args.slice(2), ['at']).at) : c.running()
      const wrong: string[] = []
      for (const i of at) {
        if (i === subject) continue
        if (!c.isRunning(i)) { wrong.push(`n${i} is down`); continue }
        const v = c.members[i].machine?.member(c.members[subject].id)
        if (v?.state !== state) wrong.push(`n${i} holds ${v === undefined ? 'nothing' : `${v.state}@${v.incarnation}`}`)
      }
      return wrong.length === 0 ? { lines: ['ok'] } : { lines: [`FAILED: ${wrong.join(', ')}`], failed: true }
    }
    if (what === 'never') {
      arity(args, 2)
      const type = choice('event', args[0], [...MEMBER_EVENTS])
      const id = c.members[this.node(args[1])].id
      const seen = this.log.filter((l) => l.event.type === type && 'member' in l.event && l.event.member.id === id)
      if (seen.length === 0) return { lines: ['ok'] }
      return { lines: [`FAILED: ${seen.map((l) => `n${l.observer} at ${(l.atMs / 1000).toFixed(2)}s`).join(', ')}`], failed: true }
    }
    throw new ScriptError('expect converged, expect state N STATE [at=GROUP] or expect never EVENT N')
  }

  private node (token: string): number {
    const c = this.cluster as MembershipCluster
    const i = /^n?(\d+)$/.exec(token)
    if (i === null || Number(i[1]) >= c.size) throw new ScriptError(`"${token}" is not a node (0..${c.size - 1})`)
    return Number(i[1])
  }

  private group (token: string): number[] {
    return token.split(',').map((t) => this.node(t))
  }

  /** n3 for a simulated member, the id itself for anything else. */
  private name (id: NodeId): string {
    const i = (this.cluster as MembershipCluster).network.indexOf(id)
    return i < 0 ? id : `n${i}`
  }
}

function arity (args: string[], n: number): void {
  if (args.length !== n) throw new ScriptError(`expected ${n} argument(s), got ${args.length}`)
}

function keyValues (args: string[], allowed: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const a of args) {
    const eq = a.indexOf('=')
    const key = a.slice(0, eq)
    if (eq < 0 || !allowed.includes(key)) throw new ScriptError(`"${a}" is not one of ${allowed.map((k) => `${k}=`).join(', ')}`)
    out[key] = a.slice(eq + 1)
  }
  return out
}

function number (name: string, raw: string, min: number, max: number): number {
  const n = Number(raw)
  if (raw === '' || !Number.isFinite(n) || n < min || n > max) throw new ScriptError(`${name} must be a number from ${min} to ${max}, got "${raw}"`)
  return n
}

function integer (name: string, raw: string, min: number, max: number): number {
  const n = number(name, raw, min, max)
  if (!Number.isInteger(n)) throw new ScriptError(`${name} must be a whole number, got "${raw}"`)
  return n
}

function choice (name: string, raw: string, choices: string[]): string {
  if (!choices.includes(raw)) throw new ScriptError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`)
  return raw
}

/** `1500ms`, `5s`, `2m`: a unit is required, so a bare number is never misread. */
function duration (raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(raw)
  if (m === null) throw new ScriptError(`"${raw}" is not a duration such as 1500ms, 5s or 2m`)
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000)
}
