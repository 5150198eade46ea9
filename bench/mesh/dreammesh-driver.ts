/**
 * dreammesh as a benchmark agent: `dreammesh up` in each namespace with its default `home` membership preset,
 * found by its peers over mDNS (so `peers` is not needed), and read over its local API socket
 * `<data dir>/api.sock` (`GET /v1/self` and `/v1/members`, as `dreammesh members --json` does). The socket is
 * a file, so the benchmark reads it from the root namespace without spawning anything: the polls cost the
 * agents nothing but the request itself.
 *
 * Each cluster gets a fresh secret: agent 0 runs `dreammesh init` in its data dir and the others are given
 * its code with `--cluster`, so a stray agent of another run cannot join. `--quiet` keeps the agents at
 * warnings and errors, as serf runs at `-log-level=warn`. `DREAMMESH_CLI` points at another build.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentDriver, MemberState } from './driver.ts'
import { dreammeshCli, membersOf, runCli, spawnUp, type MeshProcess } from '../../test/netns/dreammesh.ts'

/** The libp2p TCP port every agent listens on (each namespace has its own address). */
const LISTEN_PORT = 4711

const STATES: Record<string, MemberState> = { alive: 'alive', suspect: 'suspect', dead: 'dead', left: 'left' }

export function dreammeshDriver (): AgentDriver {
  /** The cluster code of each run, by its scratch directory (agent 0's `init` makes it). */
  const codes = new Map<string, string>()
  const processes = new Map<string, MeshProcess>()
  const reported = new Set<MeshProcess>()
  return {
    name: 'dreammesh',
    unavailable () {
      return dreammeshCli() === undefined ? 'the dreammesh CLI is not built (npm run build; or set DREAMMESH_CLI)' : undefined
    },
    async start (lan, index, _peers, scratchDir) {
      const node = lan.nodes[index]
      const name = `dm-${index}`
      const dataDir = join(scratchDir, name)
      mkdirSync(dataDir, { recursive: true })
      const flags = ['--listen', `/ip4/${node.addr}/tcp/${LISTEN_PORT}`, '--quiet']
      if (index === 0) {
        // The first agent holds the code from init; the others are given it.
        const init = await runCli(lan, index, ['init', '--data-dir', dataDir, '--json'])
        if (init.code !== 0) throw new Error(`dreammesh init failed (${init.code}): ${init.stderr}`)
        codes.set(scratchDir, (JSON.parse(init.stdout) as { code: string }).code)
      } else {
        const code = codes.get(scratchDir)
        if (code === undefined) throw new Error('dreammesh: agent 0 must start first (it runs init)')
        flags.push('--cluster', code)
      }
      const p = spawnUp(lan, index, name, dataDir, flags)
      processes.set(dataDir, p)
      return { index, name, node, pid: p.pid, child: p.child, dataDir }
    },
    async ready (handle) {
      const p = processes.get(handle.dataDir)
      if (p?.exited() === true) {
        if (!reported.has(p)) console.error(`\n${handle.name} exited before it was ready:\n${p.stderrTail()}`)
        reported.add(p)
        return false
      }
      return (await membersOf(handle.dataDir)) !== undefined
    },
    async members (handle) {
      const list = await membersOf(handle.dataDir)
      if (list === undefined) throw new Error(`${handle.name} did not answer`)
      return list.map((m) => ({ name: m.name, state: STATES[m.state] ?? 'suspect' }))
    },
    stop (handle) {
      if (handle.child.exitCode === null && handle.child.signalCode === null) handle.child.kill('SIGKILL')
    }
  }
}
