/**
 * Issue 5, with real parts: five `dreammesh up` servers, each in its own network namespace, found by mDNS,
 * all five lease voters. One singleton HTTP service, then, in order:
 *   1. its server is partitioned away alone: the minority stops its copy and the majority runs exactly one,
 *      never two at any sampled instant; both sides edit the desired state meanwhile, and after the heal
 *      every node has both edits;
 *   2. its node is lost as a machine is (link down, every process in its namespace killed, so nothing closes
 *      cleanly): the service answers again from another node;
 *   3. the agent alone is killed (kill -9): its child is gone before another server starts a copy;
 *   4. a workload with a state dir is moved between the namespaces: its bytes cross libp2p (each node has its
 *      own data dir) and `inspect --json` reports the same stateChecksum before and after;
 *   5. the node that runs it is drained: it ends empty, and the state moves along again.
 * Five servers keep a majority of voters through the two losses without restarting anyone. Needs root,
 * iproute2 and nftables, and cgroups; skips with the reason otherwise.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import type { Lan } from './netns/index.ts'
import { runCli } from './netns/dreammesh.ts'
import { ServerSuite } from './netns/server-suite.ts'
import type { RunningAt, SingletonService } from './netns/singleton.ts'

const SERVERS = 5
const PORT = 4711
/** A bound on each wait, not an expected speed. */
const WAIT_MS = 40_000
const POLL_MS = 200
/** How often the copies of the service are counted, in ms. */
const SAMPLE_MS = 20

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

describe('workloads across processes (network namespaces): partition, machine loss, agent kill', function () {
  this.timeout(300_000)
  const suite = new ServerSuite(WAIT_MS, POLL_MS)
  const nodes = suite.nodes
  let lan: Lan
  let web: SingletonService
  const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => { await suite.until(what, ok) }
  const allAlive = async (members: number[]): Promise<void> => { await suite.allAlive(members) }

  suite.hooks(SERVERS, 'dreammesh-failover-', PORT, (l, w) => { lan = l; web = w })

  /** Counts the service's copies every SAMPLE_MS until stopped; the most seen at once, and how many samples. */
  function sampleCopies (): { stop: () => { most: number, samples: number, at: string } } {
    let most = 0
    let samples = 0
    let at = ''
    const timer = setInterval(() => {
      const pids = web.copies()
      samples++
      if (pids.length > most) { most = pids.length; at = `${new Date().toISOString()}: pids ${pids.join(', ')}` }
    }, SAMPLE_MS)
    return { stop: () => { clearInterval(timer); return { most, samples, at } } }
  }

  let holder = -1

  it('partition the server that runs the singleton away alone: it stops its copy, the majority runs one, never two; edits on both sides converge after the heal', async () => {
    const run = await runCli(lan, 0, ['run', '--name', 'web', '--data-dir', nodes[0].dataDir, '--', ...web.command()])
    assert.equal(run.code, 0, run.stderr)
    let first: RunningAt | undefined
    await until('web runs on exactly one server', async () => (first = await web.runningOn(0)) !== undefined)
    holder = first!.holder
    const majority = nodes.map((_, i) => i).filter((i) => i !== holder)
    await until(`web answers on ${nodes[holder].name}`, async () => (await web.answers(majority[0], holder)) !== undefined)
    assert.deepEqual(web.copies().length, 1, 'one copy before the partition')

    const sampler = sampleCopies()
    lan.partition([holder], majority)
    let next: RunningAt | undefined
    try {
      await until('the majority runs web elsewhere', async () => (next = await web.runningOn(majority[0])) !== undefined && next.holder !== holder && next.pid !== null && existsSync(`/proc/${next.pid}`))
      // Both sides of the partition edit the desired state.
      const minorityEdit = await runCli(lan, holder, ['run', '--name', 'from-minority', '--data-dir', nodes[holder].dataDir, '--', '/bin/sleep', '600'])
      const majorityEdit = await runCli(lan, majority[0], ['run', '--name', 'from-majority', '--data-dir', nodes[majority[0]].dataDir, '--', '/bin/sleep', '600'])
      assert.equal(minorityEdit.code, 0, minorityEdit.stderr)
      assert.equal(majorityEdit.code, 0, majorityEdit.stderr)
      // The minority's copy is gone (its lease could not be renewed), and it does not start another.
      await until('the minority stopped its copy', async () => web.copies().length === 1)
      await sleep(2_000)
    } finally {
      lan.heal()
    }
    await allAlive(nodes.map((_, i) => i))
    await sleep(1_000)
    const seen = sampler.stop()
    assert.equal(seen.most, 1, `two copies ran at once (${seen.at}); ${seen.samples} samples`)
    console.log(`      ${seen.samples} samples every ${SAMPLE_MS} ms: never more than one copy; the majority started one on ${nodes[next!.holder].name}`)
    holder = next!.holder

    await until('every node has both edits made during the partition', async () => {
      const lists = await Promise.all(nodes.map(async (_, i) => await web.ps(i)))
      return lists.every((l) => l !== undefined && ['from-majority', 'from-minority'].every((n) => l.some((w) => w.name === n)))
    })
    for (const name of ['from-majority', 'from-minority']) assert.equal((await runCli(lan, 0, ['stop', name, '--data-dir', nodes[0].dataDir])).code, 0)
  })

  it('a singleton HTTP service answers again from another server after its machine is lost', async () => {
    await until('web runs on exactly one server', async () => { const r = await web.runningOn(0); if (r !== undefined) holder = r.holder; return r !== undefined })
    const { answeredBy, rest } = await suite.loseServiceMachine(holder)
    const list = await web.ps(rest[0])
    const running = list?.find((w) => w.name === 'web')?.instances.filter((i) => i.state === 'running' && i.node !== nodes[holder].name) ?? []
    assert.equal(running.length, 1, JSON.stringify(list))
    holder = answeredBy
  })

  it('kill -9 of the agent alone: its service is gone before another server starts a copy', async () => {
    const live = nodes.map((_, i) => i).filter((i) => !nodes[i].exited())
    const observer = live.find((i) => i !== holder)!
    let first: RunningAt | undefined
    await until('web runs on exactly one server', async () => (first = await web.runningOn(observer)) !== undefined && first.pid !== null)
    const { pid } = first!
    holder = first!.holder
    nodes[holder].child.kill('SIGKILL')
    // The watchdog kills the service's cgroup when the agent's pipe closes; note (every 10 ms) when its
    // process is gone, apart from the slower `ps` polls.
    let goneAt: number | undefined
    const watch = setInterval(() => { if (goneAt === undefined && !existsSync(`/proc/${pid}`)) goneAt = Date.now() }, 10)
    let next: RunningAt | undefined
    try {
      await until('another server runs web', async () => (next = await web.runningOn(observer)) !== undefined && next.holder !== holder)
    } finally {
      clearInterval(watch)
    }
    assert.ok(goneAt !== undefined, `the killed agent's service (pid ${pid}) still runs`)
    const startedAt = Date.parse(next!.since)
    console.log(`      the old copy was gone ${((startedAt - goneAt) / 1000).toFixed(2)} s before the new one started on ${nodes[next!.holder].name}`)
    assert.ok(goneAt < startedAt, `the new copy started at ${next!.since}, before the old one was gone (${new Date(goneAt).toISOString()})`)
  })

  /** Members that still run (not lost, not killed). */
  const live = (): number[] => nodes.map((_, i) => i).filter((i) => !nodes[i].exited() && !lost.has(i))
  const lost = new Set<number>()

  async function cli (i: number, args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
    // Before any `--`: what follows it is the workload's command.
    return await runCli(lan, i, [args[0], '--data-dir', nodes[i].dataDir, ...args.slice(1)])
  }

  async function notesOn (from: number): Promise<{ node: number, epoch: number } | undefined> {
    const running = (await web.ps(from))?.find((w) => w.name === 'notes')?.instances.filter((i) => i.state === 'running') ?? []
    if (running.length !== 1) return undefined
    const node = nodes.findIndex((n) => n.name === running[0].node)
    return node < 0 ? undefined : { node, epoch: running[0].epoch }
  }

  it('move: a state dir crosses libp2p between namespaces; the stateChecksum is equal afterwards', async () => {
    for (const [i, n] of nodes.entries()) if (n.exited()) lost.add(i)
    const [a] = live()
    const app = ['/bin/sh', '-c', '[ -f "$DREAMMESH_STATE_DIR/blob" ] || head -c 300000 /dev/urandom > "$DREAMMESH_STATE_DIR/blob"; exec sleep 600']
    const ran = await cli(a, ['run', '--name', 'notes', '--state-dir', 'notes', '--', ...app])
    assert.equal(ran.code, 0, ran.stderr)
    let at: Awaited<ReturnType<typeof notesOn>>
    await until('notes runs', async () => (at = await notesOn(a)) !== undefined)
    await until('its state is recorded', async () => {
      const r = await cli(a, ['inspect', 'notes', '--json'])
      return r.code === 0 && (JSON.parse(r.stdout) as { stateChecksum: string | null }).stateChecksum !== null
    })
    const before = JSON.parse((await cli(a, ['inspect', 'notes', '--json'])).stdout) as { stateChecksum: string }
    const target = live().find((i) => i !== at!.node)!
    const moved = await cli(a, ['move', 'notes', '--to', nodes[target].name])
    assert.equal(moved.code, 0, moved.stderr)
    console.log(`      ${moved.stdout.trim()}`)
    await until('notes runs on the target', async () => (await notesOn(a))?.node === target)
    const after = JSON.parse((await cli(live().find((i) => i !== target)!, ['inspect', 'notes', '--json'])).stdout) as { stateChecksum: string, stateHome: { nodeName: string } }
    assert.equal(after.stateHome.nodeName, nodes[target].name)
    assert.equal(after.stateChecksum, before.stateChecksum)
  })

  it('drain: the node that runs it ends empty, and the state moves along', async () => {
    const at = (await notesOn(live()[0]))!
    const other = live().find((i) => i !== at.node)!
    const drained = await cli(other, ['drain', nodes[at.node].name, '--timeout', '40'])
    assert.equal(drained.code, 0, drained.stderr)
    assert.match(drained.stdout, /is empty/)
    let now: Awaited<ReturnType<typeof notesOn>>
    await until('notes runs elsewhere', async () => (now = await notesOn(other)) !== undefined && now.node !== at.node)
    const list = await web.ps(other)
    assert.ok(list?.every((w) => w.instances.every((i) => i.node !== nodes[at.node].name || !['starting', 'running', 'stopping'].includes(i.state))), JSON.stringify(list))
  })
})
