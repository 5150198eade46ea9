import assert from 'node:assert/strict'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiClient } from '../src/api/client.js'
import { CliProcesses, stackLines, type CliResult, type Daemon } from './support/cli-process.js'
import { startLoopbackCluster, stopLoopbackCluster, type LoopbackCluster } from './support/loopback-cluster.js'
import { pollUntil } from './support/poll.js'

/**
 * Autoscaling by load (ADR 0017) on three real `dreammesh up` processes: a cluster-aware workload whose
 * instances burn their whole CPU booking while a flag file exists. With the flag, the load is twice the
 * target, so it grows from --min to --max, one node each; without it, it shrinks back to --min once the
 * load has stayed low for the scale-down window. The CPU figures come from the instances' cgroups, cross
 * the cluster in the instance reports, and the scaler (the node of slot 0) writes the count.
 */


interface Instance { node: string, state: string, index: number, cpuMillis?: number }

describe('autoscale: a cluster-aware workload grows with its load and shrinks after it (three `dreammesh up`)', function () {
  this.timeout(240_000)
  let cluster: LoopbackCluster | undefined
  let cli: CliProcesses
  let flag: string
  let dirs: LoopbackCluster['dirs']
  let daemons: Daemon[] = []

  async function runOk (args: string[]): Promise<CliResult> {
    const result = await cli.run(args)
    assert.equal(result.code, 0, `dreammesh ${args.join(' ')} exited ${String(result.code)}:\n${result.stderr}`)
    assert.deepEqual(stackLines(result.stderr), [])
    return result
  }
  const running = async (): Promise<Instance[]> => {
    const ws = await ApiClient.forDataDir(dirs.alpha).get<Array<{ name: string, instances: Instance[] }>>('/v1/workloads')
    return ws.find(w => w.name === 'burn')?.instances.filter(i => i.state === 'running') ?? []
  }

  before(async function () {
    if (process.getuid?.() !== 0) this.skip()
    cluster = await startLoopbackCluster('dreammesh-cli-autoscale-')
    cli = cluster.cli
    dirs = cluster.dirs
    daemons = cluster.daemons
    flag = join(cluster.root, 'busy')
  })

  after(async () => {
    if (flag !== undefined) rmSync(flag, { force: true })
    await stopLoopbackCluster(cluster)
  })

  it('1 -> 3 under load (twice the target), then back to 1 once idle for the window', async () => {
    writeFileSync(flag, '')
    // Busy while the flag exists (bounded by its 200 m cgroup quota), else asleep.
    const burner = `while :; do if [ -e '${flag}' ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 0.3; fi; done`
    await runOk(['run', '--data-dir', dirs.alpha, '--name', 'burn', '--kind', 'cluster-aware', '--min', '1', '--max', '3', '--cpu', '200',
      '--autoscale-cpu', '50', '--scale-up-after', '0s', '--scale-down-after', '5s', '--', '/bin/sh', '-c', burner])
    const started = performance.now()
    let now: Instance[] = []
    await pollUntil(() => `three instances on three nodes (now ${JSON.stringify(now)})`, async () => {
      now = await running()
      return now.length === 3 && new Set(now.map(i => i.node)).size === 3
    }, 120_000)
    const upS = (performance.now() - started) / 1000
    assert.ok(now.some(i => (i.cpuMillis ?? 0) > 100), `the instances report their load: ${JSON.stringify(now)}`)
    const scaler = daemons.map(d => d.stderr).join('')
    assert.match(scaler, /autoscale burn: 1 -> [23] instances \(average CPU \d+ m of a 100 m target/)

    rmSync(flag)
    const idleAt = performance.now()
    await pollUntil(() => `back to one instance (now ${JSON.stringify(now)})`, async () => (now = await running()).length === 1, 120_000)
    const downS = (performance.now() - idleAt) / 1000
    assert.match(daemons.map(d => d.stderr).join(''), /autoscale burn: 3 -> 1 instances/)
    const scale = await ApiClient.forDataDir(dirs.beta).get<{ spec: { autoscale: unknown }, scale?: unknown }>('/v1/workloads/burn')
    assert.deepEqual(scale.spec.autoscale, { cpuPercent: 50, downAfterMs: 5_000, upAfterMs: 0 })
    for (const line of daemons.flatMap(d => d.stderr.split('\n')).filter(l => l.includes('autoscale burn'))) console.log(`      ${line.replace(/^.*?autoscale/, 'autoscale')}`)
    console.log(`      up to 3 in ${upS.toFixed(1)} s under load; down to 1 in ${downS.toFixed(1)} s after it stopped (5 s window, 5 s readings)`)
    assert.equal(existsSync(flag), false)
  })

  it('bad flags: --autoscale-cpu on a service, a window without --autoscale-cpu, a bad percentage', async () => {
    const svc = await cli.run(['run', '--data-dir', dirs.alpha, '--name', 'svc', '--autoscale-cpu', '50', '--', '/bin/true'])
    assert.equal(svc.code, 2)
    assert.match(svc.stderr, /autoscale: only for kind cluster-aware/)
    const lone = await cli.run(['run', '--data-dir', dirs.alpha, '--name', 'x', '--kind', 'cluster-aware', '--min', '1', '--max', '2', '--scale-down-after', '5s', '--', '/bin/true'])
    assert.equal(lone.code, 2)
    assert.match(lone.stderr, /need --autoscale-cpu/)
    const pct = await cli.run(['run', '--data-dir', dirs.alpha, '--name', 'x', '--kind', 'cluster-aware', '--min', '1', '--max', '2', '--autoscale-cpu', '0', '--', '/bin/true'])
    assert.equal(pct.code, 2)
    assert.match(pct.stderr, /autoscale\.cpuPercent: must be from 1 to 1000/)
    for (const r of [svc, lone, pct]) assert.deepEqual(stackLines(r.stderr), [])
  })
})
