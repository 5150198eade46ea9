import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { validateWorkloadSpec, type WorkloadSpec } from '@dreammesh/protocols'
import { Autoscaling } from '../src/agent/autoscaling.js'
import { decodeInstanceReport, encodeInstanceReport, INSTANCE_REPORT_VERSION } from '../src/agent/instance-report.js'
import { LoadMeter } from '../src/agent/load-meter.js'
import { CpuMeter, cpuUsageUsec } from '../src/workloads/cpu-usage.js'

/** The pieces of autoscaling by load on one node, each alone, with explicit local times (no wall clock). */
describe('autoscaling: CPU readings, the load meter and the scaler on a node', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dreammesh-autoscaling-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('reads CPU time from cgroup v2 cpu.stat, else v1 cpuacct.usage, else the processes\' /proc stat', async () => {
    const v2 = join(dir, 'v2')
    const v1 = join(dir, 'v1')
    mkdirSync(v2)
    mkdirSync(v1)
    writeFileSync(join(v2, 'cpu.stat'), 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n')
    writeFileSync(join(v1, 'cpuacct.usage'), '987654321\n')
    assert.equal(await cpuUsageUsec({ v2Dir: v2, dirs: [v2, v1], method: 'cgroup.kill' }, []), 123_456)
    assert.equal(await cpuUsageUsec({ dirs: [v1], method: 'freezer' }, []), 987_654)
    // /proc/<pid>/stat: the command may hold spaces and parentheses; utime and stime are fields 14 and 15.
    for (const [pid, utime, stime] of [[11, 150, 50], [12, 30, 20]]) {
      mkdirSync(join(dir, 'proc', String(pid)), { recursive: true })
      writeFileSync(join(dir, 'proc', String(pid), 'stat'), `${pid} (my (odd) app) S 1 1 1 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 100 1000 10`)
    }
    assert.equal(await cpuUsageUsec(undefined, [11, 12, 13], join(dir, 'proc')), 2_500_000, '250 ticks of 10 ms; pid 13 is gone')
    assert.equal(await cpuUsageUsec(undefined, [13], join(dir, 'proc')), undefined)
    assert.equal(await cpuUsageUsec({ v2Dir: join(dir, 'none'), dirs: [join(dir, 'none')], method: 'cgroup.kill' }, []), undefined)
  })

  it('CpuMeter: a rate between two readings, none for the first, a gap or a counter going back', () => {
    const m = new CpuMeter()
    assert.equal(m.sample(0, 1_000_000), undefined)
    assert.equal(m.sample(5_000, 2_000_000), 200, '1 s of CPU in 5 s: 200 m')
    assert.equal(m.sample(10_000, 1_500_000), undefined, 'went back (the /proc fallback lost an ended process)')
    assert.equal(m.sample(15_000, 6_500_000), 1_000)
    assert.equal(m.sample(20_000, undefined), undefined)
    assert.equal(m.sample(25_000, 7_000_000), undefined, 'after a gap, it starts over')
  })

  it('LoadMeter: reads only what it is told to, and asks for a report only when a figure moved', async () => {
    let usec = 0
    let changes = 0
    const measured = [{ workload: 'burn', index: 0 }]
    const meter = new LoadMeter({ measured: () => measured, read: async () => usec, onChange: () => { changes++ } })
    await meter.sample(0)
    assert.equal(meter.figure('burn', 0), undefined)
    usec = 1_000_000
    await meter.sample(5_000)
    assert.equal(changes, 1, 'a figure appeared')
    assert.equal(meter.figure('burn', 0), 200, 'reported')
    usec = 2_050_000
    await meter.sample(10_000)
    assert.equal(changes, 1, '210 m is within 20 m of 200 m: no new report')
    usec = 4_050_000
    await meter.sample(15_000)
    assert.equal(changes, 2, '400 m moved')
    assert.equal(meter.figure('burn', 0), 400)
    measured.length = 0
    await meter.sample(20_000)
    assert.equal(changes, 3, 'the instance went: its figure goes too')
    assert.equal(meter.figure('burn', 0), undefined)
    await meter.sample(25_000)
    await meter.sample(30_000)
    assert.equal(changes, 3, 'and then nothing more is owed: no report every 5 s for good')
  })

  it('Autoscaling: only the node that runs slot 0 scales, and it writes the count the rule gives', async () => {
    const v = validateWorkloadSpec({ name: 'burn', kind: 'cluster-aware', command: '/bin/true', minInstances: 1, maxInstances: 4, resources: { cpuMillis: 200 }, autoscale: { cpuPercent: 50 } })
    assert.ok(v.ok)
    const specs: WorkloadSpec[] = [v.spec, { ...v.spec, name: 'plain', autoscale: undefined }]
    let first = false
    const written: Array<[string, number]> = []
    const scaled = new Map<string, number>()
    const events: string[] = []
    const scaling = new Autoscaling({
      specs: () => specs,
      runsFirst: () => first,
      load: () => ({ running: 1, cpuMillis: [400] }),
      scaled: (w) => scaled.get(w),
      setScale: async (w, n) => { written.push([w, n]); scaled.set(w, n) },
      onScaled: (d) => { events.push(`${d.workload} ${d.from}->${d.to}`) },
      warn: (m) => { events.push(`warn ${m}`) }
    })
    await scaling.tick(0)
    assert.deepEqual(written, [], 'slot 0 runs elsewhere: not this node\'s to scale')
    first = true
    await scaling.tick(5_000)
    assert.deepEqual(written, [['burn', 4]], '400 m against a 100 m target: 4')
    assert.deepEqual(events, ['burn 1->4'])
  })

  it('instance reports carry cpuMillis, bounded', () => {
    const report = (cpuMillis: unknown): boolean => decodeInstanceReport(new TextEncoder().encode(JSON.stringify({
      v: INSTANCE_REPORT_VERSION, incarnation: 0, seq: 1, instances: [{ workload: 'w', index: 0, state: 'running', epoch: 1, since: 5, cpuMillis }]
    }))).ok
    assert.equal(report(250), true)
    assert.equal(report(-1), false)
    assert.equal(report(1.5), false)
    assert.equal(report(2_000_000), false)
    const ok = decodeInstanceReport(encodeInstanceReport({ v: INSTANCE_REPORT_VERSION, incarnation: 0, seq: 1, instances: [{ workload: 'w', index: 0, state: 'running', epoch: 1, since: 5, cpuMillis: 250 }] }))
    assert.ok(ok.ok && ok.report.instances[0].cpuMillis === 250)
  })
})
