/**
 * What killed `dreammesh up` processes left in the cgroup hierarchies. A kill -9 skips the agent's own
 * cleanup, and a test deletes the data dir whose next `up` would have reaped it; so each test sweeps the
 * agents it started: `<hierarchy>/dreammesh/<peer id>/<instance>` (anything still inside is killed first,
 * through cgroup.kill where v2 has it), then the agent's directory. rmdir never removes a live cgroup.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MeshProcess } from './dreammesh.ts'

const CGROUP_ROOT = '/sys/fs/cgroup'

/** The `dreammesh` directory of every mounted hierarchy (v1 controllers, the v2 `unified` one, or pure v2). */
function bases (): string[] {
  const out = existsSync(join(CGROUP_ROOT, 'dreammesh')) ? [join(CGROUP_ROOT, 'dreammesh')] : []
  for (const h of readdirSync(CGROUP_ROOT, { withFileTypes: true })) {
    if (h.isDirectory() && existsSync(join(CGROUP_ROOT, h.name, 'dreammesh'))) out.push(join(CGROUP_ROOT, h.name, 'dreammesh'))
  }
  return out
}

function readProcs (dir: string): number[] {
  try { return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number) } catch { return [] }
}

export async function sweepCgroups (nodes: readonly MeshProcess[]): Promise<void> {
  const ids = (await Promise.all(nodes.map(async (n) => await n.ready.catch(() => undefined)))).filter((id): id is string => id !== undefined)
  for (const base of bases()) {
    for (const id of ids) {
      const agent = join(base, id)
      if (!existsSync(agent)) continue
      for (const entry of readdirSync(agent, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue
        const dir = join(agent, entry.name)
        try { writeFileSync(join(dir, 'cgroup.kill'), '1') } catch { /* v1, or already empty */ }
        // v1 has no cgroup.kill: SIGKILL what its cgroup.procs lists.
        for (const pid of readProcs(dir)) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
        for (let attempt = 0; attempt < 20; attempt++) {
          try { rmdirSync(dir); break } catch { await new Promise((resolve) => setTimeout(resolve, 50)) }
        }
      }
      try { rmdirSync(agent) } catch { /* still in use: left for its agent */ }
    }
    try { rmdirSync(base) } catch { /* other agents live here */ }
  }
}
