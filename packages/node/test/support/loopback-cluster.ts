import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiClient } from '../../src/api/client.js'
import { CliProcesses, stackLines, type Daemon } from './cli-process.js'
import { pollUntil } from './poll.js'

/** `up` flags for a test node on loopback: no mDNS, a fast preset. */
export const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--config', 'local-test']

/** Three real `dreammesh up` processes that see each other: alpha founds the cluster, beta and gamma join it. */
export interface LoopbackCluster {
  root: string
  cli: CliProcesses
  dirs: { alpha: string, beta: string, gamma: string }
  daemons: Daemon[]
}

export async function startLoopbackCluster (prefix: string): Promise<LoopbackCluster> {
  const root = await mkdtemp(join(tmpdir(), prefix))
  const cli = new CliProcesses({ ...process.env, DREAMMESH_DATA_DIR: join(root, 'default'), DREAMMESH_DEBUG: '' })
  const dirs = { alpha: join(root, 'alpha'), beta: join(root, 'beta'), gamma: join(root, 'gamma') }
  const init = await cli.run(['init', '--data-dir', dirs.alpha, '--json'])
  assert.equal(init.code, 0, init.stderr)
  assert.deepEqual(stackLines(init.stderr), [])
  const code = (JSON.parse(init.stdout) as { code: string }).code
  const first = cli.up(dirs.alpha, ['--name', 'alpha', ...LOOPBACK])
  const daemons = [first]
  await first.ready
  for (const n of ['beta', 'gamma'] as const) {
    const d = cli.up(dirs[n], ['--name', n, '--cluster', code, '--peer', first.listenAddrs()[0], ...LOOPBACK])
    daemons.push(d)
    await d.ready
  }
  await pollUntil(() => 'everyone sees everyone', async () => (await ApiClient.forDataDir(dirs.alpha).get<unknown[]>('/v1/members')).length === 2 &&
    (await ApiClient.forDataDir(dirs.gamma).get<unknown[]>('/v1/members')).length === 2, 30_000)
  return { root, cli, dirs, daemons }
}

/** Kills the processes (sweeping their cgroups) and removes the data dirs. */
export async function stopLoopbackCluster (c: LoopbackCluster | undefined): Promise<void> {
  if (c === undefined) return
  await c.cli.killAll()
  await rm(c.root, { recursive: true, force: true })
}
