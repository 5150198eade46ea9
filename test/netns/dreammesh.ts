/**
 * `dreammesh` processes inside a LAN's namespaces, for the multi-process tests and the mesh benchmark: the
 * CLI run under this (pinned) Node, `up` started with its stdout `ready` line awaited and its stderr kept
 * for failure messages, and the node's local API read over its unix socket. The socket is a file, so the
 * root namespace reads it without entering the namespace or spawning anything.
 */
import { existsSync, realpathSync } from 'node:fs'
import { request } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import type { Lan, NodeRef } from './lan.ts'

/** An API answer slower than this counts as no answer. */
const API_TIMEOUT_MS = 2_000
/** How much of a node's stderr is kept for failure messages, in characters. */
const STDERR_TAIL_CHARS = 8_000
/** How long `up` may take to print its `ready` line. */
const READY_TIMEOUT_MS = 30_000

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * The CLI as [command, ...leading args], or undefined when it is not built. A JS entry runs under this
 * process's Node (the pinned 22), not whatever `node` the PATH has. `DREAMMESH_CLI` points at another build.
 */
export function dreammeshCli (): string[] | undefined {
  const configured = process.env.DREAMMESH_CLI
  const bin = configured !== undefined && configured !== '' ? configured : join(root, 'packages', 'node', 'bin', 'dreammesh.js')
  if (!existsSync(bin)) return undefined
  if (configured === undefined && !existsSync(join(root, 'packages', 'node', 'dist', 'src', 'cli', 'bin.js'))) return undefined
  const real = realpathSync(bin)
  return /\.(c|m)?js$|\.ts$/.test(real) ? [process.execPath, real] : [real]
}

/** A member as `/v1/self`, `/v1/members` and `members --json` print it (the fields the tests read). */
export interface MemberJson {
  id: string
  name: string
  role: string
  state: string
  incarnation: number
  addrs: string[]
}

export interface MeshProcess {
  readonly name: string
  readonly dataDir: string
  readonly ref: NodeRef
  /** The node process itself (`ip netns exec` execs in place, so this is not a wrapper's pid). */
  readonly pid: number
  readonly child: ChildProcess
  /** Resolves with the peer id from the `ready <name> <peerId> <role>` line; rejects if the process exits first. */
  readonly ready: Promise<string>
  /** The last STDERR_TAIL_CHARS of its log, for failure messages. */
  stderrTail: () => string
  exited: () => boolean
}

/** Starts `dreammesh up` in member `ref`'s namespace with these flags (after `up --data-dir D --name N`). */
export function spawnUp (lan: Lan, ref: NodeRef, name: string, dataDir: string, flags: readonly string[]): MeshProcess {
  const [cmd, ...lead] = dreammeshCli() ?? []
  if (cmd === undefined) throw new Error('the dreammesh CLI is not built (npm run build)')
  const child = lan.spawn(ref, cmd, [...lead, 'up', '--data-dir', dataDir, '--name', name, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
  if (child.pid === undefined) throw new Error(`dreammesh up ${name} did not start`)
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS) })
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null
  const ready = new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { reject(new Error(`${name}: no ready line within ${READY_TIMEOUT_MS} ms\n${stderr}`)) }, READY_TIMEOUT_MS)
    timer.unref()
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      out += chunk
      const m = /^ready (\S+) (\S+) (\S+)$/m.exec(out)
      if (m !== null) { clearTimeout(timer); resolve(m[2]) }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${name}: exited (${code ?? signal}) before its ready line\n${stderr}`))
    })
  })
  ready.catch(() => {})
  return { name, dataDir, ref, pid: child.pid, child, ready, stderrTail: () => stderr, exited }
}

/** Runs a CLI command to completion in member `ref`'s namespace (e.g. `init`, `members --json`). */
export async function runCli (lan: Lan, ref: NodeRef, args: readonly string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const [cmd, ...lead] = dreammeshCli() ?? []
  if (cmd === undefined) throw new Error('the dreammesh CLI is not built (npm run build)')
  return await lan.exec(ref, cmd, [...lead, ...args])
}

/** `GET path` on the node's API socket in `dataDir`: the body (text) and status, or undefined on no answer. */
export async function apiGet (dataDir: string, path: string): Promise<{ status: number, body: string } | undefined> {
  const socketPath = join(dataDir, 'api.sock')
  if (!existsSync(socketPath)) return undefined
  return await new Promise((resolve) => {
    const req = request({ socketPath, path, method: 'GET', timeout: API_TIMEOUT_MS }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      res.on('error', () => { resolve(undefined) })
    })
    req.on('timeout', () => { req.destroy() })
    req.on('error', () => { resolve(undefined) })
    req.end()
  })
}

/** Every member the node knows, itself first (as `members --json` prints), or undefined on no answer. */
export async function membersOf (dataDir: string): Promise<MemberJson[] | undefined> {
  const [self, others] = await Promise.all([apiGet(dataDir, '/v1/self'), apiGet(dataDir, '/v1/members')])
  if (self?.status !== 200 || others?.status !== 200) return undefined
  try {
    return [JSON.parse(self.body) as MemberJson, ...JSON.parse(others.body) as MemberJson[]]
  } catch {
    return undefined
  }
}

/**
 * The sum of every sample of a Prometheus counter in `text` whose labels contain `labelPart` (any label
 * name or value); `libp2p_tcp_listener_errors_total` puts `<addr> inbound_upgrade` in a label name.
 */
export function counterSum (text: string, metric: string, labelPart = ''): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue
    const rest = line.slice(metric.length)
    if (rest[0] !== '{' && rest[0] !== ' ') continue
    const labels = rest[0] === '{' ? rest.slice(1, rest.lastIndexOf('}')) : ''
    if (!labels.includes(labelPart)) continue
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1))
    if (Number.isFinite(value)) sum += value
  }
  return sum
}

/**
 * `count` servers, one per namespace of `lan` (s0, s1, ...), in one cluster found by mDNS: `init` on the
 * first, then `up` on each with the cluster code (listening on `port`), each data dir under `scratch`.
 * Resolves once every one printed its ready line; appends them to `into` as they start, so a caller's
 * `after` hook can kill them even if a start fails.
 */
export async function startServers (lan: Lan, scratch: string, count: number, port: number, into: MeshProcess[]): Promise<void> {
  const init = await runCli(lan, 0, ['init', '--data-dir', join(scratch, 's0'), '--json'])
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
  const code = (JSON.parse(init.stdout) as { code: string }).code
  for (let i = 0; i < count; i++) {
    const flags = ['--listen', `/ip4/${lan.nodes[i].addr}/tcp/${port}`, '--quiet', ...(i === 0 ? [] : ['--cluster', code])]
    into.push(spawnUp(lan, i, `s${i}`, join(scratch, `s${i}`), flags))
  }
  await Promise.all(into.map(async (n) => await n.ready))
}
