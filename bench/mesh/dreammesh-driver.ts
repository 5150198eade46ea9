/**
 * dreammesh as a benchmark agent: `dreammesh up` in each namespace, found by its peers over mDNS (so
 * `peers` is not needed), and read over its local API socket `<data dir>/api.sock` (`GET /v1/members`).
 * The socket is a file, so the benchmark reads it from the root namespace without spawning anything: the
 * polls cost the agents nothing but the request itself. `dreammesh members --json` is the fallback.
 *
 * Written against the CLI's contract before the CLI exists; `DREAMMESH_CLI` points at another build.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs'
import { request } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AgentDriver, AgentHandle, MemberState, MemberView } from './driver.ts'
import { execIn } from '../../test/netns/index.ts'

/** The libp2p TCP port every agent listens on (each namespace has its own address). */
const LISTEN_PORT = 4711
/** An API answer slower than this counts as no answer. */
const QUERY_TIMEOUT_MS = 2_000
/** One cluster code per benchmark process, so a stray agent of another run cannot join. */
const CLUSTER_CODE = `bench-${process.pid}`

const STATES: Record<string, MemberState> = { alive: 'alive', suspect: 'suspect', dead: 'dead', left: 'left' }

interface ApiMember { id: string, name: string, state: string }

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The CLI as [command, ...leading args]: a JS entry runs under this (pinned) Node, not the PATH's. */
function cliCommand (): string[] | undefined {
  const configured = process.env.DREAMMESH_CLI
  const bin = configured !== undefined && configured !== '' ? configured : join(root, 'node_modules', '.bin', 'dreammesh')
  if (!existsSync(bin)) return undefined
  const real = realpathSync(bin)
  return /\.(c|m)?js$|\.ts$/.test(real) ? [process.execPath, real] : [real]
}

export function dreammeshDriver (): AgentDriver {
  return {
    name: 'dreammesh',
    unavailable () {
      return cliCommand() === undefined ? 'the dreammesh CLI is not built (npm run build; or set DREAMMESH_CLI)' : undefined
    },
    async start (lan, index, _peers, scratchDir) {
      const [cmd, ...lead] = cliCommand() ?? []
      const node = lan.nodes[index]
      const name = `dm-${index}`
      const dataDir = join(scratchDir, name)
      mkdirSync(dataDir, { recursive: true })
      const args = [...lead, 'up', '--data-dir', dataDir, '--name', name, '--cluster', CLUSTER_CODE, '--listen', `/ip4/${node.addr}/tcp/${LISTEN_PORT}`]
      const child = lan.spawn(index, cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] })
      if (child.pid === undefined) throw new Error(`dreammesh agent ${name} did not start`)
      return { index, name, node, pid: child.pid, child, dataDir }
    },
    async ready (handle) {
      return (await query(handle)) !== undefined
    },
    async members (handle) {
      const list = await query(handle)
      if (list === undefined) throw new Error(`${handle.name} did not answer`)
      return list
    },
    stop (handle) {
      if (handle.child.exitCode === null && handle.child.signalCode === null) handle.child.kill('SIGKILL')
    }
  }
}

async function query (handle: AgentHandle): Promise<MemberView[] | undefined> {
  const socket = join(handle.dataDir, 'api.sock')
  const raw = existsSync(socket) ? await getJson(socket, '/v1/members') : await viaCli(handle)
  if (!Array.isArray(raw)) return undefined
  return (raw as ApiMember[]).map((m) => ({ name: m.name, state: STATES[m.state] ?? 'suspect' }))
}

/** `GET path` over a unix socket; undefined on any error, timeout or non-200. */
async function getJson (socketPath: string, path: string): Promise<unknown> {
  return await new Promise((resolve) => {
    const req = request({ socketPath, path, method: 'GET', timeout: QUERY_TIMEOUT_MS }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => {
        if (res.statusCode !== 200) { resolve(undefined); return }
        try { resolve(JSON.parse(body)) } catch { resolve(undefined) }
      })
    })
    req.on('timeout', () => { req.destroy() })
    req.on('error', () => { resolve(undefined) })
    req.end()
  })
}

async function viaCli (handle: AgentHandle): Promise<unknown> {
  const [cmd, ...lead] = cliCommand() ?? []
  if (cmd === undefined) return undefined
  const r = await execIn(handle.node.ns, cmd, [...lead, 'members', '--json', '--data-dir', handle.dataDir], { timeoutMs: QUERY_TIMEOUT_MS })
  if (r.code !== 0) return undefined
  try { return JSON.parse(r.stdout) } catch { return undefined }
}
