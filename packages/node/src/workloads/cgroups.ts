import { mkdir, readFile, readdir, rmdir, writeFile, access } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CGROUP_POLL_MS, CPU_PERIOD_US, MIN_CPU_QUOTA_US } from './constants.js'

/** The three limits an instance can have. */
export type LimitController = 'cpu' | 'memory' | 'pids'
/** v1 hierarchies the supervisor joins: the three limits, and the freezer to kill a v1 group without races. */
export type V1Controller = LimitController | 'freezer'

/**
 * How the supervisor kills every process of an instance at once, best first:
 * - `cgroup.kill`: cgroup v2's one write that SIGKILLs the whole group, forks in flight included (Linux 5.14);
 * - `freezer`: v1 freezer: freeze the group so nothing can fork, SIGKILL each pid, thaw;
 * - `signals`: SIGKILL each pid in cgroup.procs until none is left (a fork can race one pass, not all of them);
 * - `process-group`: no usable cgroup at all; SIGKILL the process group. A child that calls setsid() escapes.
 */
export type KillMethod = 'cgroup.kill' | 'freezer' | 'signals' | 'process-group'

export interface CgroupV2 {
  /** `<mount><own cgroup>/dreammesh`: every agent's subtree lives under it. */
  base: string
  /** cgroup.kill exists (it does in every non-root v2 cgroup since Linux 5.14). */
  kill: boolean
  /** Limit controllers available to `base` (from the parent's subtree_control). */
  controllers: LimitController[]
}

/** What this host offers, found by probing at start, never assumed. */
export interface CgroupCapabilities {
  v2?: CgroupV2
  /** Per v1 controller, `<mount><own cgroup>/dreammesh`, when mounted and writable. */
  v1: Partial<Record<V1Controller, string>>
  /** Which hierarchy enforces each limit; undefined where the host has the controller in neither. */
  limits: Record<LimitController, 'v2' | 'v1' | undefined>
  kill: KillMethod
  /** One plain sentence per thing missing, for the log and the status page. */
  notes: string[]
}

export interface ProbeOptions {
  /** Where proc is mounted (tests point it at a fake). @default '/proc' */
  procRoot?: string
  /** Ignore cgroup v2 even if mounted: exercises the v1 paths on a hybrid host. */
  withoutV2?: boolean
  /** Ignore cgroup v1 even if mounted. */
  withoutV1?: boolean
}

/** One instance's cgroups: a directory per hierarchy it joined. */
export interface InstanceCgroup {
  v2Dir?: string
  freezerDir?: string
  /** Every directory of the instance, v2 first. Its pid goes into each `cgroup.procs`. */
  dirs: string[]
  method: KillMethod
}

export interface Limits { cpuMillis?: number, memoryBytes?: number, pidsMax?: number }

/** Our subtree's directory name inside the agent's own cgroup. */
export const CGROUP_SUBTREE = 'dreammesh'

/**
 * Finds the cgroup hierarchies of this host and makes `<own cgroup>/dreammesh` in each one we can write.
 *
 * The subtree hangs under the agent's OWN cgroup, not the hierarchy root: whatever limits and accounting the
 * agent was started under (a systemd unit, a container) then cover its workloads too, and a systemd unit
 * with Delegate=yes may write there without touching cgroups that systemd owns.
 */
export async function probeCgroups (options: ProbeOptions = {}): Promise<CgroupCapabilities> {
  const procRoot = options.procRoot ?? '/proc'
  const notes: string[] = []
  const mounts = parseMounts(await readFile(join(procRoot, 'self/mounts'), 'utf8').catch(() => ''))
  const own = parseOwnCgroups(await readFile(join(procRoot, 'self/cgroup'), 'utf8').catch(() => ''))

  let v2: CgroupV2 | undefined
  const v2Mount = options.withoutV2 === true ? undefined : mounts.v2
  if (v2Mount === undefined) {
    notes.push(options.withoutV2 === true ? 'cgroup v2: ignored by configuration' : 'cgroup v2: not mounted')
  } else {
    const base = await makeBase(v2Mount, own.v2 ?? '/', notes, 'cgroup v2')
    if (base !== undefined) {
      const kill = await exists(join(base, 'cgroup.kill'))
      const available = (await readFile(join(base, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/)
      const controllers = (['cpu', 'memory', 'pids'] as const).filter(c => available.includes(c))
      if (!kill) notes.push('cgroup v2: no cgroup.kill (Linux < 5.14); killing falls back to the freezer or to signals')
      if (controllers.length < 3) notes.push(`cgroup v2: controllers ${controllers.length === 0 ? 'none' : controllers.join(' ')} delegated to ${base}`)
      v2 = { base, kill, controllers }
    }
  }

  const v1: Partial<Record<V1Controller, string>> = {}
  for (const controller of ['cpu', 'memory', 'pids', 'freezer'] as const) {
    const mount = options.withoutV1 === true ? undefined : mounts.v1.get(controller)
    if (mount === undefined) continue
    const base = await makeBase(mount, own.v1.get(controller) ?? '/', notes, `cgroup v1 ${controller}`)
    if (base !== undefined) v1[controller] = base
  }

  const limits = {} as Record<LimitController, 'v2' | 'v1' | undefined>
  for (const c of ['cpu', 'memory', 'pids'] as const) {
    limits[c] = v2?.controllers.includes(c) === true ? 'v2' : v1[c] !== undefined ? 'v1' : undefined
    if (limits[c] === undefined) notes.push(`${c} limits: unavailable (no ${c} controller in cgroup v2 or v1); instances run without them`)
  }
  const kill: KillMethod = v2?.kill === true ? 'cgroup.kill' : v1.freezer !== undefined ? 'freezer'
    : (v2 !== undefined || Object.keys(v1).length > 0) ? 'signals' : 'process-group'
  if (kill === 'process-group') notes.push('no writable cgroup: an instance is tracked by its process group, and a child that calls setsid() can outlive the agent')
  return { v2, v1, limits, kill, notes }
}

function parseMounts (text: string): { v2?: string, v1: Map<string, string> } {
  let v2: string | undefined
  const v1 = new Map<string, string>()
  for (const line of text.split('\n')) {
    const [, mountPoint, type, opts] = line.split(' ')
    if (mountPoint === undefined || opts === undefined) continue
    if (type === 'cgroup2') v2 ??= mountPoint
    if (type === 'cgroup') for (const opt of opts.split(',')) if (!v1.has(opt)) v1.set(opt, mountPoint)
  }
  return { v2, v1 }
}

function parseOwnCgroups (text: string): { v2?: string, v1: Map<string, string> } {
  let v2: string | undefined
  const v1 = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (match === null) continue
    if (match[1] === '0' && match[2] === '') v2 = match[3]
    else for (const c of match[2].split(',')) v1.set(c, match[3])
  }
  return { v2, v1 }
}

/** `<mount><own>/dreammesh`, created; or undefined with a note when it cannot be written. */
async function makeBase (mount: string, ownPath: string, notes: string[], what: string): Promise<string | undefined> {
  // Inside a cgroup namespace, or where only a sub-tree is mounted, our own path may not exist under the
  // mount point: then the mount point itself is the closest thing to "our" cgroup.
  const parent = await exists(join(mount, ownPath)) ? join(mount, ownPath) : mount
  const base = join(parent, CGROUP_SUBTREE)
  try {
    await mkdir(base, { recursive: true })
    return base
  } catch (err) {
    notes.push(`${what}: cannot create ${base} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
    return undefined
  }
}

/**
 * Creates (fresh) the cgroups of one instance, `<base>/<agentId>/<name>` in every hierarchy, and writes its
 * limits. Returns the limits that could not be enforced, one sentence each.
 */
export async function createInstanceCgroup (caps: CgroupCapabilities, agentId: string, name: string, limits: Limits): Promise<{ cgroup: InstanceCgroup, unenforced: string[] }> {
  const cgroup = instanceCgroupAt(caps, agentId, name)
  // A directory left from an earlier life of this agent holds nothing we want; start from empty.
  if (await anyExists(cgroup.dirs)) await destroyInstanceCgroup(cgroup, 5_000)
  const unenforced: string[] = []
  if (caps.v2 !== undefined && cgroup.v2Dir !== undefined) {
    const wanted = wantedControllers(limits).filter(c => caps.limits[c] === 'v2')
    // Controllers must be enabled in every ancestor's subtree_control; we only write in our own subtree,
    // whose cgroups hold no processes (cgroup v2's "no internal processes" rule).
    for (const dir of [caps.v2.base, join(caps.v2.base, agentId)]) {
      await mkdir(dir, { recursive: true })
      if (wanted.length > 0) await writeFile(join(dir, 'cgroup.subtree_control'), wanted.map(c => `+${c}`).join(' ')).catch(() => {})
    }
    await mkdir(cgroup.v2Dir)
  }
  for (const dir of cgroup.dirs) if (dir !== cgroup.v2Dir) await mkdir(dir, { recursive: true })

  const write = async (controller: LimitController, v1File: string, v2File: string, value: string): Promise<void> => {
    const where = caps.limits[controller]
    const dir = where === 'v2' ? cgroup.v2Dir : where === 'v1' ? join(caps.v1[controller] as string, agentId, name) : undefined
    if (dir === undefined) { unenforced.push(`${controller}: no ${controller} controller on this host`); return }
    const file = join(dir, where === 'v2' ? v2File : v1File)
    try { await writeFile(file, value) } catch (err) { unenforced.push(`${controller}: writing ${file} failed (${(err as NodeJS.ErrnoException).code ?? String(err)})`) }
  }
  if (limits.cpuMillis !== undefined) {
    const quotaUs = Math.max(MIN_CPU_QUOTA_US, Math.round(limits.cpuMillis * CPU_PERIOD_US / 1000))
    if (caps.limits.cpu === 'v1') await write('cpu', 'cpu.cfs_period_us', 'cpu.max', String(CPU_PERIOD_US))
    await write('cpu', 'cpu.cfs_quota_us', 'cpu.max', caps.limits.cpu === 'v2' ? `${quotaUs} ${CPU_PERIOD_US}` : String(quotaUs))
  }
  if (limits.memoryBytes !== undefined) await write('memory', 'memory.limit_in_bytes', 'memory.max', String(limits.memoryBytes))
  if (limits.pidsMax !== undefined) await write('pids', 'pids.max', 'pids.max', String(limits.pidsMax))
  return { cgroup, unenforced }
}

function wantedControllers (limits: Limits): LimitController[] {
  return [
    ...(limits.cpuMillis !== undefined ? ['cpu' as const] : []),
    ...(limits.memoryBytes !== undefined ? ['memory' as const] : []),
    ...(limits.pidsMax !== undefined ? ['pids' as const] : [])
  ]
}

/** The directories an instance named `name` of `agentId` has (or would have) on this host. */
export function instanceCgroupAt (caps: CgroupCapabilities, agentId: string, name: string): InstanceCgroup {
  const v2Dir = caps.v2 !== undefined ? join(caps.v2.base, agentId, name) : undefined
  const v1Dirs = (['cpu', 'memory', 'pids', 'freezer'] as const)
    // A controller that v2 enforces cannot also be bound in v1; skip its v1 directory.
    .filter(c => caps.v1[c] !== undefined && caps.limits[c as LimitController] !== 'v2')
    .map(c => ({ c, dir: join(caps.v1[c] as string, agentId, name) }))
  return {
    v2Dir,
    freezerDir: v1Dirs.find(d => d.c === 'freezer')?.dir,
    dirs: [...(v2Dir !== undefined ? [v2Dir] : []), ...v1Dirs.map(d => d.dir)],
    method: caps.kill
  }
}

/** The `cgroup.procs` files a new process writes its pid into, before it execs its command. */
export function procsFiles (cgroup: InstanceCgroup): string[] {
  return cgroup.dirs.map(dir => join(dir, 'cgroup.procs'))
}

/** Every pid in any of the instance's cgroups. */
export async function cgroupPids (cgroup: InstanceCgroup): Promise<number[]> {
  const pids = new Set<number>()
  for (const dir of cgroup.dirs) {
    const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')
    for (const word of text.split('\n')) if (word !== '') pids.add(Number(word))
  }
  return [...pids]
}

/** Sends `signal` to every process in the instance's cgroups (SIGTERM on stop, so each may clean up). */
export async function signalCgroup (cgroup: InstanceCgroup, signal: NodeJS.Signals): Promise<number> {
  const pids = await cgroupPids(cgroup)
  for (const pid of pids) signalPid(pid, signal)
  return pids.length
}

/**
 * SIGKILLs every process in the instance's cgroups: cgroup.kill where there is one (the whole group at once,
 * forks in flight included), else the v1 freezer holds the group still; then SIGKILL to every pid listed in
 * any of its directories. The second pass is not redundant: a leftover from an agent that ran
 * with another configuration (v1 only, say) has processes that no v2 directory knows about, as the watchdog
 * script, which does the same, also assumes.
 */
export async function killCgroup (cgroup: InstanceCgroup): Promise<void> {
  const killed = cgroup.v2Dir !== undefined && await writeFile(join(cgroup.v2Dir, 'cgroup.kill'), '1').then(() => true, () => false)
  // After a cgroup.kill, whatever is still listed gets one plain pass (a caller that loops, such as
  // destroyInstanceCgroup, repeats it); without one, the freezer makes that pass race-free.
  const freezer = !killed && cgroup.freezerDir !== undefined && await exists(cgroup.freezerDir) ? cgroup.freezerDir : undefined
  if (freezer !== undefined) {
    // Frozen tasks cannot fork, so one pass of SIGKILL reaches all of them; they die when thawed.
    await writeFile(join(freezer, 'freezer.state'), 'FROZEN').catch(() => {})
    for (let i = 0; i < 50; i++) {
      const state = await readFile(join(freezer, 'freezer.state'), 'utf8').catch(() => 'FROZEN')
      if (state.trim() !== 'FREEZING') break
      await sleep(5)
    }
  }
  for (const pid of await cgroupPids(cgroup)) signalPid(pid, 'SIGKILL')
  if (freezer !== undefined) await writeFile(join(freezer, 'freezer.state'), 'THAWED').catch(() => {})
}

/** Resolves true once no process is left in the instance's cgroups, false if still not after `budgetMs`. */
export async function waitCgroupEmpty (cgroup: InstanceCgroup, budgetMs: number, pollMs = CGROUP_POLL_MS): Promise<boolean> {
  const deadline = performance.now() + budgetMs
  for (;;) {
    if ((await cgroupPids(cgroup)).length === 0) return true
    if (performance.now() >= deadline) return false
    await sleep(pollMs)
  }
}

/** Kills everything in the instance's cgroups and removes them. Resolves true once they are gone. */
export async function destroyInstanceCgroup (cgroup: InstanceCgroup, budgetMs: number): Promise<boolean> {
  const deadline = performance.now() + budgetMs
  for (;;) {
    await killCgroup(cgroup)
    // rmdir fails with EBUSY while a process is still in the group: kill again, until the budget runs out.
    if (await waitCgroupEmpty(cgroup, Math.min(500, Math.max(0, deadline - performance.now())))) {
      let gone = true
      for (const dir of cgroup.dirs) {
        await rmdir(dir).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') gone = false })
      }
      if (gone) return true
    }
    if (performance.now() >= deadline) return false
  }
}

/** One leftover instance found and killed by `reapLeftovers`. */
export interface ReapedInstance { name: string, pids: number[], removed: boolean }

/**
 * Kills and removes every cgroup left under this agent's subtree: instances of an earlier life of this agent
 * that its watchdogs did not get to (the machine lost power mid-kill, or a watchdog was killed too). A
 * restarted agent runs this before it takes any lease, so an orphan can never serve next to a new copy.
 */
export async function reapLeftovers (caps: CgroupCapabilities, agentId: string, budgetMs: number): Promise<ReapedInstance[]> {
  const agentDirs = [caps.v2?.base, ...Object.values(caps.v1)].filter((d): d is string => d !== undefined).map(d => join(d, agentId))
  const names = new Set<string>()
  for (const dir of agentDirs) {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (entry.isDirectory()) names.add(entry.name)
  }
  const reaped: ReapedInstance[] = []
  for (const name of names) {
    const cgroup = instanceCgroupAt(caps, agentId, name)
    // A name may exist in a hierarchy this probe does not use (configuration changed): look at all of them.
    cgroup.dirs = agentDirs.map(d => join(d, name))
    if (caps.v1.freezer !== undefined) cgroup.freezerDir = join(caps.v1.freezer, agentId, name)
    const pids = await cgroupPids(cgroup)
    reaped.push({ name, pids, removed: await destroyInstanceCgroup(cgroup, budgetMs) })
  }
  for (const dir of agentDirs) await rmdir(dir).catch(() => {})
  return reaped
}

function signalPid (pid: number, signal: NodeJS.Signals): void {
  try { process.kill(pid, signal) } catch { /* already gone (ESRCH): that is what we want */ }
}

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

async function anyExists (paths: string[]): Promise<boolean> {
  for (const p of paths) if (await exists(p)) return true
  return false
}

/**
 * Removes this agent's (empty) cgroup directories and, if no other agent uses it, the `dreammesh` base.
 * An empty child cgroup would otherwise block whoever owns the parent (a systemd unit, a container
 * runtime) from removing it. rmdir only succeeds on an empty cgroup, so this never touches a live one.
 */
export async function removeEmptySubtree (caps: CgroupCapabilities, agentId: string): Promise<void> {
  for (const base of [caps.v2?.base, ...Object.values(caps.v1)]) {
    if (base === undefined) continue
    await rmdir(join(base, agentId)).catch(() => {})
    await rmdir(base).catch(() => {})
  }
}
