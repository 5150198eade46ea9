/**
 * The real peer, side by side: serf (hashicorp memberlist, LAN defaults, Debian's package) on loopback.
 * N agents join, one is killed with SIGKILL, and each survivor's `member-failed` event handler stamps the
 * time it learned. "Known to all" is the last stamp minus the kill. Ports are loopback only; every agent is
 * started and killed by PID, and the scratch directory is removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface SerfTrial { knownToAllMs: number, firstMs: number }

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export function serfAvailable (): boolean {
  return spawnSync('serf', ['version']).status === 0
}

/** One trial of `n` agents; `basePort` keeps concurrent benchmarks apart. Bounded at 60 s. */
export async function serfCrashTrial (n: number, basePort: number): Promise<SerfTrial> {
  const dir = mkdtempSync(join(tmpdir(), 'dreammesh-serf-'))
  const agents: ChildProcess[] = []
  const rpc = (i: number): string => `127.0.0.1:${basePort + 1000 + i}`
  try {
    for (let i = 0; i < n; i++) {
      const args = [
        'agent', `-node=s${i}`, `-bind=127.0.0.1:${basePort + i}`, `-rpc-addr=${rpc(i)}`, '-profile=lan', '-log-level=err',
        `-event-handler=member-failed=date +%s%N >> ${join(dir, `failed-${i}`)}`
      ]
      if (i > 0) args.push(`-join=127.0.0.1:${basePort}`)
      agents.push(spawn('serf', args, { stdio: 'ignore' }))
      if (i === 0) await sleep(300)
    }
    // Wait until every agent sees all n alive.
    const deadline = Date.now() + 30_000
    for (;;) {
      const counts = agents.map((_, i) => {
        const out = spawnSync('serf', ['members', `-rpc-addr=${rpc(i)}`, '-status=alive'], { encoding: 'utf8' }).stdout ?? ''
        return out.split('\n').filter((l) => l.trim() !== '').length
      })
      if (counts.every((c) => c === n)) break
      if (Date.now() > deadline) throw new Error(`serf agents did not converge: ${counts.join(',')}`)
      await sleep(200)
    }
    await sleep(1000)
    const victim = n - 1
    const killedNs = BigInt(Date.now()) * 1_000_000n
    agents[victim].kill('SIGKILL')
    const survivors = agents.map((_, i) => i).filter((i) => i !== victim)
    const until = Date.now() + 60_000
    while (!survivors.every((i) => existsSync(join(dir, `failed-${i}`))) && Date.now() < until) await sleep(50)
    const stamps = survivors.map((i) => {
      const text = existsSync(join(dir, `failed-${i}`)) ? readFileSync(join(dir, `failed-${i}`), 'utf8').trim().split('\n')[0] : ''
      return text === '' ? Infinity : Number((BigInt(text) - killedNs) / 1_000_000n)
    })
    return { knownToAllMs: Math.max(...stamps), firstMs: Math.min(...stamps) }
  } finally {
    for (const a of agents) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
