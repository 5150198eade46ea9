/**
 * The namespace harness itself: members reach each other, multicast (mDNS) crosses the bridge, partitions
 * block and heal, a lost machine is cut off with its processes dead, and nothing is left behind.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync, type ChildProcess } from 'node:child_process'
import { createLan, skipWithoutNetns, sweepStale, tablesIn, PARTITION_TABLE, type Lan } from './netns/index.ts'

const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'netns', 'probe.ts')
const ECHO_PORT = 7000
/** A ping that gets no answer in this long counts as blocked; on a bridge an answer takes well under 1 ms. */
const PING_WAIT_MS = 700
const MDNS_WAIT_MS = 3_000

describe('netns harness', function () {
  this.timeout(30_000)
  let lan: Lan | undefined
  const children: ChildProcess[] = []

  before(function () { skipWithoutNetns(this) })
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await lan?.destroy()
    lan = undefined
  })

  /** Starts echo servers in the given members and waits until each is bound. */
  async function echo (l: Lan, members: number[]): Promise<void> {
    for (const i of members) {
      const child = l.spawn(i, process.execPath, [PROBE, 'echo', l.nodes[i].addr, String(ECHO_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] })
      children.push(child)
      await once(child.stdout!, 'data')
    }
  }
  async function reaches (l: Lan, from: number, to: number): Promise<boolean> {
    const r = await l.exec(from, process.execPath, [PROBE, 'ping', l.nodes[to].addr, String(ECHO_PORT), String(PING_WAIT_MS)])
    return r.code === 0
  }

  it('members reach each other over the bridge', async () => {
    lan = await createLan({ nodes: 3 })
    await echo(lan, [0, 1, 2])
    for (const [a, b] of [[0, 1], [1, 2], [2, 0]]) assert.ok(await reaches(lan, a, b), `${a} -> ${b}`)
  })

  it('multicast to 224.0.0.251:5353 crosses the bridge (mDNS can work)', async () => {
    lan = await createLan({ nodes: 2 })
    const listener = lan.spawn(1, process.execPath, [PROBE, 'mdns-listen', lan.nodes[1].addr, String(MDNS_WAIT_MS)], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.push(listener)
    await once(listener.stdout!, 'data')
    const sender = lan.spawn(0, process.execPath, [PROBE, 'mdns-send', String(MDNS_WAIT_MS)])
    children.push(sender)
    const [code] = await once(listener, 'exit')
    assert.equal(code, 0, 'the listener got no multicast datagram')
  })

  it('partition blocks traffic between the groups only, and heal restores it', async () => {
    lan = await createLan({ nodes: 3 })
    await echo(lan, [0, 1, 2])
    lan.partition([0], [1])
    assert.equal(await reaches(lan, 0, 1), false, '0 -> 1 while partitioned')
    assert.equal(await reaches(lan, 1, 0), false, '1 -> 0 while partitioned')
    assert.ok(await reaches(lan, 2, 0), 'a member outside both groups still reaches 0')
    assert.ok(await reaches(lan, 2, 1), 'a member outside both groups still reaches 1')
    assert.ok(tablesIn(lan.nodes[0].ns).some((t) => t.includes(PARTITION_TABLE)))
    lan.heal()
    assert.ok(await reaches(lan, 0, 1), '0 -> 1 after heal')
    assert.ok(await reaches(lan, 1, 0), '1 -> 0 after heal')
    assert.ok(!tablesIn(lan.nodes[0].ns).some((t) => t.includes(PARTITION_TABLE)))
  })

  it('linkDown kills every process in the namespace and isolates it', async () => {
    lan = await createLan({ nodes: 2 })
    await echo(lan, [0, 1])
    const sleeper = lan.spawn(1, 'sleep', ['600'])
    children.push(sleeper)
    const exited = once(sleeper, 'exit')
    await lan.linkDown(1)
    const [, signal] = await exited
    assert.equal(signal, 'SIGKILL')
    assert.deepEqual(spawnSync('ip', ['netns', 'pids', lan.nodes[1].ns], { encoding: 'utf8' }).stdout.trim(), '')
    assert.equal(await reaches(lan, 0, 1), false)
  })

  it('destroy leaves no namespace, link, nft table or process behind', async () => {
    const l = await createLan({ nodes: 3 })
    await echo(l, [0, 1, 2])
    l.partition([0], [1, 2])
    await l.destroy()
    assert.ok(!spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.includes(l.prefix))
    assert.deepEqual(readdirSync('/sys/class/net').filter((x) => x.startsWith(l.prefix)), [])
    assert.ok(!spawnSync('ip', ['link'], { encoding: 'utf8' }).stdout.includes(l.prefix))
    assert.ok(!spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout.includes(PARTITION_TABLE))
    for (const c of children) assert.ok(c.exitCode !== null || c.signalCode !== null, 'a child survived destroy')
  })

  it('sweeps what a crashed run left behind', () => {
    let deadPid = 4_194_000
    while (existsSync(`/proc/${deadPid}`)) deadPid++
    const stale = `dmt-${deadPid.toString(36)}-0`
    spawnSync('ip', ['netns', 'add', `${stale}-n0`])
    spawnSync('ip', ['link', 'add', `${stale}br`, 'type', 'bridge'])
    const removed = sweepStale()
    assert.ok(removed.includes(`${stale}-n0`) && removed.includes(`${stale}br`), `removed: ${removed.join(', ')}`)
    assert.ok(!spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.includes(stale))
    assert.ok(!existsSync(`/sys/class/net/${stale}br`))
  })
})
