import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiClient } from '../src/api/client.js'
import { CliProcesses, stackLines, type CliResult, type Daemon } from './support/cli-process.js'
import { pollUntil } from './support/poll.js'

/**
 * `move`, `inspect` and `drain` against three real `dreammesh up` processes, each with its own data dir: a
 * service's state dir crosses libp2p when it moves (the bytes on the new node equal the old ones, and
 * `inspect --json` reports the same stateChecksum before and after), and a drained node ends empty with the
 * state carried along again. Needs cgroups (root), as CI has.
 */

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--config', 'local-test']
const NAMES = ['alpha', 'beta', 'gamma'] as const
type Name = typeof NAMES[number]

interface Instance { node: string, state: string, pid: number | null, epoch: number }
interface PsJson { name: string, instances: Instance[] }
interface Inspect { lastTransfer: { snapshotAgeMs?: number } | null, stateChecksum: string | null, stateHome: { nodeName: string, epoch: number } | null, moves: Array<{ toName: string }> }

/** Writes 200 kB of random state once, then serves nothing and sleeps: a program that knows nothing of clusters. */
const APP = ['/bin/sh', '-c', '[ -f "$DREAMMESH_STATE_DIR/blob" ] || head -c 200000 /dev/urandom > "$DREAMMESH_STATE_DIR/blob"; exec sleep 600']

describe('cli: move with state, inspect and drain on three `dreammesh up` processes', function () {
  this.timeout(180_000)
  let root: string
  let cli: CliProcesses
  const dirs = {} as Record<Name, string>
  const daemons: Daemon[] = []

  async function runOk (args: string[]): Promise<CliResult> {
    const result = await cli.run(args)
    assert.equal(result.code, 0, `dreammesh ${args.join(' ')} exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`)
    assert.deepEqual(stackLines(result.stderr), [])
    return result
  }
  const ps = async (on: Name): Promise<PsJson[]> => JSON.parse((await runOk(['ps', '--json', '--data-dir', dirs[on]])).stdout) as PsJson[]
  const inspect = async (on: Name, name = 'notes'): Promise<Inspect> => JSON.parse((await runOk(['inspect', name, '--json', '--data-dir', dirs[on]])).stdout) as Inspect
  const running = async (on: Name, name = 'notes'): Promise<Instance | undefined> => (await ps(on)).find(w => w.name === name)?.instances.find(i => i.state === 'running')
  const blobSum = (node: string, name = 'notes'): string => createHash('sha256').update(readFileSync(join(dirs[node as Name], 'state', name, 'blob'))).digest('hex')

  before(async function () {
    if (process.getuid?.() !== 0) this.skip()
    root = await mkdtemp(join(tmpdir(), 'dreammesh-cli-move-'))
    cli = new CliProcesses({ ...process.env, DREAMMESH_DATA_DIR: join(root, 'default'), DREAMMESH_DEBUG: '' })
    for (const n of NAMES) dirs[n] = join(root, n)
    const code = (JSON.parse((await runOk(['init', '--data-dir', dirs.alpha, '--json'])).stdout) as { code: string }).code
    const first = cli.up(dirs.alpha, ['--name', 'alpha', ...LOOPBACK])
    daemons.push(first)
    await first.ready
    for (const n of ['beta', 'gamma'] as const) {
      const d = cli.up(dirs[n], ['--name', n, '--cluster', code, '--peer', first.listenAddrs()[0], ...LOOPBACK])
      daemons.push(d)
      await d.ready
    }
    await pollUntil(() => 'alpha sees both others', async () => (await cli.run(['members', 'gamma', '--data-dir', dirs.beta])).code === 0 &&
      (await cli.run(['members', 'beta', '--data-dir', dirs.alpha])).code === 0 && (await cli.run(['members', 'gamma', '--data-dir', dirs.alpha])).code === 0, 30_000)
  })

  after(async () => {
    await cli?.killAll()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  it('move carries the state dir across libp2p: equal bytes, equal stateChecksum, downtime reported', async () => {
    await runOk(['run', '--name', 'notes', '--state-dir', 'notes', '--data-dir', dirs.alpha, '--', ...APP])
    let first: Instance | undefined
    await pollUntil(() => 'notes runs', async () => (first = await running('beta')) !== undefined, 30_000)
    const from = first!.node as Name
    await pollUntil(() => 'the state is written', async () => existsSync(join(dirs[from], 'state', 'notes', 'blob')), 10_000)
    await pollUntil(() => 'the state home is recorded', async () => (await inspect('alpha')).stateHome?.nodeName === from, 10_000)
    const before = await inspect('alpha')
    assert.match(before.stateChecksum ?? '', /^[0-9a-f]{64}$/)
    const sumBefore = blobSum(from)
    const to = NAMES.find(n => n !== from)!

    const moved = await runOk(['move', 'notes', '--to', to, '--data-dir', dirs.gamma])
    assert.match(moved.stdout, new RegExp(`notes#0 runs on ${to}`))
    assert.match(moved.stdout, /downtime \d+\.\d\d s/)
    console.log(`      ${moved.stdout.trim()}`)

    const now = await running(to)
    assert.equal(now?.node, to, 'it runs on the target')
    assert.ok(now.epoch > first!.epoch, 'under a newer lease')
    assert.equal(blobSum(to), sumBefore, 'the bytes crossed intact')
    const after = await inspect('beta')
    assert.equal(after.stateHome?.nodeName, to)
    assert.equal(after.stateChecksum, before.stateChecksum, 'the state archive checksum is equal afterwards')
    const instances = (await ps('alpha')).find(w => w.name === 'notes')!.instances.filter(i => i.state === 'running')
    assert.equal(instances.length, 1, 'never two')
    // The old copy is kept on its node (it was authoritative until the new one ran).
    assert.ok(existsSync(join(dirs[from], 'state', 'notes', 'blob')))
  })

  it('drain empties a node, carries the state along, and --undo takes it back', async () => {
    const where = (await running('alpha'))!.node as Name
    const sum = blobSum(where)
    const drained = await runOk(['drain', where, '--data-dir', dirs.alpha])
    assert.match(drained.stdout, new RegExp(`${where} is empty: 1 instance\\(s\\) moved off`))
    let now: Instance | undefined
    await pollUntil(() => 'notes runs elsewhere', async () => (now = await running('alpha')) !== undefined && now.node !== where, 30_000)
    assert.equal(blobSum(now!.node), sum)
    const undo = await runOk(['drain', where, '--undo', '--data-dir', dirs.beta])
    assert.match(undo.stdout, /no longer draining/)
  })

  it('bad input: an unknown node, an unknown workload, a missing --to', async () => {
    const unknownNode = await cli.run(['move', 'notes', '--to', 'nowhere', '--data-dir', dirs.alpha])
    assert.notEqual(unknownNode.code, 0)
    assert.match(unknownNode.stderr, /nowhere/)
    const unknownWorkload = await cli.run(['move', 'nothing', '--to', 'beta', '--data-dir', dirs.alpha])
    assert.notEqual(unknownWorkload.code, 0)
    assert.match(unknownWorkload.stderr, /no workload is called "nothing"/)
    const missing = await cli.run(['move', 'notes', '--data-dir', dirs.alpha])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /--to NODE is required/)
    const scale = await cli.run(['scale', 'notes', '3', '--data-dir', dirs.alpha])
    assert.notEqual(scale.code, 0)
    assert.match(scale.stderr, /only cluster-aware workloads scale/)
    for (const r of [unknownNode, unknownWorkload, missing, scale]) assert.deepEqual(stackLines(r.stderr), [])
  })
  it('voters: list, remove one and add it back; a bad name is refused', async () => {
    interface Voters { voters: Array<{ id: string, name: string | null, state: string | null }>, inForce: { voters: string[] } | null }
    const list = JSON.parse((await runOk(['voters', '--json', '--data-dir', dirs.beta])).stdout) as Voters
    assert.deepEqual(list.voters.map(v => v.name).sort(), ['alpha', 'beta', 'gamma'])
    const fewer = JSON.parse((await runOk(['voters', '--remove', 'gamma', '--json', '--data-dir', dirs.alpha])).stdout) as Voters
    assert.deepEqual(fewer.voters.map(v => v.name).sort(), ['alpha', 'beta'])
    const back = JSON.parse((await runOk(['voters', '--add', 'gamma', '--json', '--data-dir', dirs.alpha])).stdout) as Voters
    assert.deepEqual(back.voters.map(v => v.name).sort(), ['alpha', 'beta', 'gamma'])
    // Each node's lease machine walks there a member at a time; wait until all three have arrived, so the
    // next test does not lose a voter of a two-member step.
    const wanted = back.voters.map(v => v.id).sort().join()
    await pollUntil(() => 'every node uses the three voters again', async () => {
      const all = await Promise.all(NAMES.map(async n => JSON.parse((await runOk(['voters', '--json', '--data-dir', dirs[n]])).stdout) as Voters))
      return all.every(v => v.inForce?.voters.join() === wanted)
    }, 40_000)
    const bad = await cli.run(['voters', '--add', 'nowhere', '--data-dir', dirs.alpha])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /nowhere/)
    assert.deepEqual(stackLines(bad.stderr), [])
  })

  it('revoke --undo takes a peer off the deny list, and says so when it was not on it', async () => {
    const stranger = '12D3KooWQk5Y4gwgg28JdGDRdFMpfd4xnC61JJRLnBuSG94Vjw3M'
    const notDenied = await cli.run(['revoke', stranger, '--undo', '--data-dir', dirs.alpha])
    assert.notEqual(notDenied.code, 0)
    assert.match(notDenied.stderr, /not on the deny list/)
    await runOk(['revoke', stranger, '--data-dir', dirs.alpha])
    const undone = await runOk(['revoke', stranger, '--undo', '--data-dir', dirs.beta])
    assert.match(undone.stdout, /no longer revoked/)
  })

  it('--replicate-state: standbys keep snapshots; when the node holding the state dies, it restarts elsewhere from the newest one and reports its age', async () => {
    await ApiClient.forDataDir(dirs.alpha).post('/v1/workloads', { name: 'journal', kind: 'service', stateDir: 'journal', replicateStateEveryMs: 1_000, command: APP[0], args: APP.slice(1) })
    let first: Instance | undefined
    await pollUntil(() => 'journal runs', async () => (first = await running('alpha', 'journal')) !== undefined, 30_000)
    const victim = first!.node as Name
    await pollUntil(() => 'the state is written', async () => existsSync(join(dirs[victim], 'state', 'journal', 'blob')), 10_000)
    const sum = blobSum(victim, 'journal')
    const standbys = NAMES.filter(n => n !== victim)
    await pollUntil(() => 'both standbys keep a snapshot', async () => standbys.every(n => existsSync(join(dirs[n], 'snapshots', 'journal.json'))), 20_000)
    daemons.find(d => d.dataDir === dirs[victim])!.child.kill('SIGKILL')
    let now: Instance | undefined
    await pollUntil(() => 'journal runs on a standby', async () => (now = await running(standbys[0], 'journal')) !== undefined && now.node !== victim, 40_000)
    assert.equal(blobSum(now!.node, 'journal'), sum, 'the snapshot held the same bytes')
    const detail = await inspect(now!.node as Name, 'journal')
    assert.ok(typeof detail.lastTransfer?.snapshotAgeMs === 'number', `the age of the snapshot is reported: ${JSON.stringify(detail.lastTransfer)}`)
    assert.ok(detail.lastTransfer.snapshotAgeMs < 60_000)
    console.log(`      restarted on ${now!.node} from a snapshot ${(detail.lastTransfer.snapshotAgeMs / 1000).toFixed(1)} s old`)
  })

})
