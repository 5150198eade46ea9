/**
 * dreammesh across processes: real `dreammesh up` daemons, each in its own network namespace on one bridge,
 * with the default `lan` membership preset. They find each other by mDNS alone (no --peer), a stranger with
 * a wrong secret (and one with none) dials them directly and is refused at the pnet/noise gate, an nftables
 * partition splits the view and a heal joins it again, and a kill -9 is reported dead by every survivor.
 *
 * The tests share one cluster and run in order; each first waits for the view it starts from, so a failure
 * says where it is. Needs root, iproute2 and nftables; skips with the reason otherwise.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLan, skipWithoutNetns, type Lan } from './netns/index.ts'
import { apiGet, counterSum, dreammeshCli, membersOf, runCli, spawnUp, type MemberJson, type MeshProcess } from './netns/dreammesh.ts'

/** Four members and the stranger's namespace. */
const MEMBERS = 4
const STRANGER = MEMBERS
const PORT = 4711
/** A bound on each wait, not an expected speed: the lan preset decides a death in a few seconds. */
const WAIT_MS = 30_000
const POLL_MS = 200
/** How long the stranger keeps dialing while the members are watched. */
const STRANGER_WATCH_MS = 6_000
/** A rejected handshake is counted as an inbound upgrade error on the member's TCP listener. */
const UPGRADE_ERRORS = 'libp2p_tcp_listener_errors_total'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

describe('dreammesh across processes (network namespaces, mDNS)', function () {
  this.timeout(120_000)
  let lan: Lan | undefined
  let scratch = ''
  let code = ''
  const members: MeshProcess[] = []
  const ids: string[] = []
  const others: MeshProcess[] = []

  const dataDir = (name: string): string => join(scratch, name)
  const listen = (i: number): string => `/ip4/${lan!.nodes[i].addr}/tcp/${PORT}`
  const live = (): MeshProcess[] => members.filter((p) => !p.exited())
  const views = async (ps: readonly MeshProcess[]): Promise<Array<MemberJson[] | undefined>> => await Promise.all(ps.map(async (p) => await membersOf(p.dataDir)))
  const show = (v: MemberJson[] | undefined): string => v === undefined ? 'no answer' : v.map((m) => `${m.name}:${m.state}`).join(' ')

  /** Polls until every node in `ps` sees what `ok` wants; on a timeout, fails with each view and log. */
  async function until (what: string, ps: readonly MeshProcess[], ok: (self: MeshProcess, view: MemberJson[]) => boolean): Promise<void> {
    const deadline = performance.now() + WAIT_MS
    for (;;) {
      const vs = await views(ps)
      const bad = ps.filter((p, i) => vs[i] === undefined || !ok(p, vs[i]))
      if (bad.length === 0) return
      if (performance.now() > deadline) {
        const lines = ps.map((p, i) => `  ${p.name}: ${show(vs[i])}`)
        const logs = bad.map((p) => `--- ${p.name} stderr (tail) ---\n${p.stderrTail()}`)
        throw new Error(`not within ${WAIT_MS} ms: ${what}\n${lines.join('\n')}\n${logs.join('\n')}`)
      }
      await sleep(POLL_MS)
    }
  }
  const seesAllAlive = (names: readonly string[]) => (_: MeshProcess, v: MemberJson[]): boolean =>
    names.every((n) => v.some((m) => m.name === n && m.state === 'alive'))
  const stateOf = (v: MemberJson[], name: string): string | undefined => v.find((m) => m.name === name)?.state

  /** `dreammesh members --json` of a member, run inside its namespace as a user would. */
  async function membersCli (p: MeshProcess): Promise<MemberJson[]> {
    const r = await runCli(lan!, p.ref, ['members', '--json', '--data-dir', p.dataDir])
    assert.equal(r.code, 0, `members --json on ${p.name} failed: ${r.stderr}`)
    return JSON.parse(r.stdout) as MemberJson[]
  }

  /** Sum of rejected inbound upgrades on each member's listener. */
  async function upgradeErrors (ps: readonly MeshProcess[]): Promise<number[]> {
    return await Promise.all(ps.map(async (p) => {
      const r = await apiGet(p.dataDir, '/metrics')
      assert.equal(r?.status, 200, `${p.name}: /metrics did not answer`)
      return counterSum(r!.body, UPGRADE_ERRORS, 'inbound_upgrade')
    }))
  }

  /**
   * A stranger started with `flags` in the fifth namespace, dialing every live member directly: it must
   * never appear in any member's list, see nobody itself, leave the members' views as they were, and be
   * refused at every member's gate (counted as rejected inbound upgrades).
   */
  async function strangerIsRefused (name: string, flags: readonly string[]): Promise<void> {
    const ps = live()
    const names = ps.map((p) => p.name)
    await until('the members see each other alive before the stranger starts', ps, seesAllAlive(names))
    const before = await views(ps)
    const errors0 = await upgradeErrors(ps)

    const peers = ps.flatMap((p) => ['--peer', `${listen(members.indexOf(p))}/p2p/${ids[members.indexOf(p)]}`])
    const stranger = spawnUp(lan!, STRANGER, name, dataDir(name), ['--listen', listen(STRANGER), ...peers, ...flags])
    others.push(stranger)
    const strangerId = await stranger.ready
    try {
      // Watch every member's list the whole time; the stranger is also refused on every member's listener.
      const deadline = performance.now() + WAIT_MS
      const watchUntil = performance.now() + STRANGER_WATCH_MS
      let errors = errors0
      for (;;) {
        const vs = await views(ps)
        vs.forEach((v, i) => {
          const seen = v?.find((m) => m.id === strangerId || m.name === name)
          assert.equal(seen, undefined, `${ps[i].name} lists the stranger ${name}: ${show(v)}`)
        })
        const own = await membersOf(stranger.dataDir)
        assert.deepEqual(own?.map((m) => m.id), [strangerId], `the stranger ${name} learned of members: ${show(own)}\n${stranger.stderrTail()}`)
        errors = await upgradeErrors(ps)
        const refusedByAll = errors.every((e, i) => e > errors0[i])
        if (refusedByAll && performance.now() > watchUntil) break
        if (performance.now() > deadline) {
          assert.fail(`not every member counted a rejected handshake within ${WAIT_MS} ms: ` +
            `${ps.map((p, i) => `${p.name} ${errors0[i]} -> ${errors[i]}`).join(', ')}\n--- ${name} stderr ---\n${stranger.stderrTail()}`)
        }
        await sleep(POLL_MS)
      }
      const rejected = errors.map((e, i) => e - errors0[i])
      console.log(`      ${name}: rejected inbound upgrades per member ${rejected.join(', ')}`)
      assert.ok(rejected.every((r) => r > 0))

      // The same through the CLI a user would run, and nothing changed in the members' views.
      for (const [i, p] of ps.entries()) {
        const list = await membersCli(p)
        assert.ok(!list.some((m) => m.id === strangerId), `${p.name}: members --json lists the stranger`)
        const key = (v: readonly MemberJson[]): string[] => v.map((m) => `${m.id} ${m.name} ${m.state} ${m.addrs.join(',')}`).sort()
        assert.deepEqual(key(list), key(before[i]!), `${p.name}: its member list changed while the stranger dialed`)
      }
    } finally {
      stranger.child.kill('SIGKILL')
      if (!stranger.exited()) await once(stranger.child, 'exit')
    }
  }

  before(async function () {
    skipWithoutNetns(this)
    if (dreammeshCli() === undefined) {
      console.log('    skipped: the dreammesh CLI is not built (npm run build)')
      this.skip()
    }
    scratch = mkdtempSync(join(tmpdir(), 'dreammesh-netns-mesh-'))
    lan = await createLan({ nodes: MEMBERS + 1 })
    const init = await runCli(lan, 0, ['init', '--data-dir', dataDir('m0'), '--json'])
    assert.equal(init.code, 0, `init failed: ${init.stderr}`)
    code = (JSON.parse(init.stdout) as { code: string }).code
    for (let i = 0; i < MEMBERS; i++) {
      // No --peer: members find each other by mDNS alone. m0 holds the code from init; the others are given it.
      const flags = ['--listen', listen(i), ...(i === 0 ? [] : ['--cluster', code])]
      members.push(spawnUp(lan, i, `m${i}`, dataDir(`m${i}`), flags))
    }
    ids.push(...await Promise.all(members.map(async (p) => await p.ready)))
  })

  after(async () => {
    for (const p of [...members, ...others]) if (!p.exited()) p.child.kill('SIGKILL')
    await lan?.destroy()
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true })
  })

  it('four `dreammesh up` processes join by mDNS alone: each sees all four alive', async () => {
    const names = members.map((p) => p.name)
    await until('every member sees all four alive', members, seesAllAlive(names))
    for (const [i, p] of members.entries()) {
      const list = await membersCli(p)
      assert.equal(list[0].id, ids[i], `${p.name}: members --json starts with itself`)
      assert.deepEqual(list.map((m) => m.name).sort(), names, `${p.name}: members --json`)
    }
  })

  it('a stranger with a wrong secret, dialing every member directly, is refused and never appears', async () => {
    const init = await runCli(lan!, STRANGER, ['init', '--data-dir', dataDir('stranger'), '--json'])
    assert.equal(init.code, 0, `init failed: ${init.stderr}`)
    assert.notEqual((JSON.parse(init.stdout) as { code: string }).code, code)
    await strangerIsRefused('stranger', [])
  })

  it('a stranger with no secret (--insecure-open), dialing every member directly, is refused and never appears', async () => {
    await strangerIsRefused('open-stranger', ['--insecure-open'])
  })

  it('an nftables partition {m0,m1} | {m2,m3} splits the view, and after heal there is one view again', async () => {
    const names = members.map((p) => p.name)
    await until('all four alive before the partition', members, seesAllAlive(names))
    const [a, b] = [[0, 1], [2, 3]]
    lan!.partition(a, b)
    try {
      // Each side marks the other side dead (not only suspect, so the heal has to merge views that
      // disagree on who is dead), and its own side alive.
      await until('each side sees the other side dead', members, (self, v) => {
        const mine = a.includes(members.indexOf(self)) ? a : b
        return members.every((p, i) => stateOf(v, p.name) === (mine.includes(i) ? 'alive' : 'dead'))
      })
    } finally {
      lan!.heal()
    }
    const healed = performance.now()
    await until('one view after heal: everyone alive everywhere', members, seesAllAlive(names))
    console.log(`      one view again ${((performance.now() - healed) / 1000).toFixed(1)} s after heal`)
  })

  it('kill -9 of one member: every other reports it dead', async () => {
    const names = members.map((p) => p.name)
    await until('all four alive before the kill', members, seesAllAlive(names))
    const victim = members[MEMBERS - 1]
    const exited = once(victim.child, 'exit')
    process.kill(victim.pid, 'SIGKILL')
    const [, signal] = await exited
    assert.equal(signal, 'SIGKILL')
    const survivors = live()
    assert.equal(survivors.length, MEMBERS - 1)
    await until(`every survivor reports ${victim.name} dead`, survivors, (_, v) => stateOf(v, victim.name) === 'dead')
    for (const p of survivors) {
      const list = await membersCli(p)
      assert.equal(list.find((m) => m.name === victim.name)?.state, 'dead', `${p.name}: members --json`)
      for (const q of survivors) assert.equal(list.find((m) => m.name === q.name)?.state, 'alive', `${p.name} sees ${q.name}`)
    }
  })
})
