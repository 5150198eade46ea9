/**
 * Issue 5, with real parts: three `dreammesh up` servers, each in its own network namespace, found by mDNS.
 * A singleton HTTP service is run from one of them; its node is then lost as a machine is (link down, every
 * process in its namespace killed, so nothing closes cleanly), and the service answers again from another
 * node. Needs root, iproute2 and nftables, and cgroups; skips with the reason otherwise.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLan, skipWithoutNetns, type Lan } from './netns/index.ts'
import { dreammeshCli, membersOf, runCli, spawnUp, type MeshProcess } from './netns/dreammesh.ts'

const SERVERS = 3
const PORT = 4711
const HTTP_PORT = 8080
/** A bound on each wait, not an expected speed. */
const WAIT_MS = 40_000
const POLL_MS = 200
/** The service: a real HTTP server that says which namespace it runs in. */
const SERVER_JS = `require('http').createServer((q, s) => s.end(process.env.DREAMMESH_INSTANCE + ' ' + process.env.DREAMMESH_EPOCH)).listen(${HTTP_PORT})`

interface PsJson { name: string, instances: Array<{ node: string, state: string, pid: number | null, epoch: number }> }

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

describe('workload failover across processes (network namespaces)', function () {
  this.timeout(150_000)
  let lan: Lan | undefined
  let scratch = ''
  const nodes: MeshProcess[] = []

  before(async function () {
    skipWithoutNetns(this)
    if (dreammeshCli() === undefined) this.skip()
    scratch = mkdtempSync(join(tmpdir(), 'dreammesh-failover-'))
    lan = await createLan({ nodes: SERVERS })
    const init = await runCli(lan, 0, ['init', '--data-dir', join(scratch, 's0'), '--json'])
    assert.equal(init.code, 0, init.stderr)
    const code = (JSON.parse(init.stdout) as { code: string }).code
    for (let i = 0; i < SERVERS; i++) {
      const flags = ['--listen', `/ip4/${lan.nodes[i].addr}/tcp/${PORT}`, '--quiet', ...(i === 0 ? [] : ['--cluster', code])]
      nodes.push(spawnUp(lan, i, `s${i}`, join(scratch, `s${i}`), flags))
    }
    await Promise.all(nodes.map(async (n) => await n.ready))
    await until('all three servers see each other alive', async () => {
      const vs = await Promise.all(nodes.map(async (n) => await membersOf(n.dataDir)))
      return vs.every((v) => v !== undefined && v.filter((m) => m.state === 'alive').length === SERVERS)
    })
  })

  after(async () => {
    for (const n of nodes) if (!n.exited()) n.child.kill('SIGKILL')
    await lan?.destroy()
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true })
  })

  async function until (what: string, ok: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + WAIT_MS
    while (!await ok()) {
      if (performance.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${what}\n${nodes.map((n) => `--- ${n.name}\n${n.stderrTail()}`).join('\n')}`)
      await sleep(POLL_MS)
    }
  }

  async function ps (i: number): Promise<PsJson[] | undefined> {
    const r = await runCli(lan!, i, ['ps', '--json', '--data-dir', nodes[i].dataDir])
    return r.code === 0 ? JSON.parse(r.stdout) as PsJson[] : undefined
  }

  /** GET the service at member `target`'s address, from inside member `from`'s namespace. */
  async function answers (from: number, target: number): Promise<string | undefined> {
    const url = `http://${lan!.nodes[target].addr}:${HTTP_PORT}/`
    const r = await lan!.exec(from, process.execPath, ['-e', `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(1000) }).then(r => r.text()).then(t => process.stdout.write(t), () => process.exit(1))`])
    return r.code === 0 ? r.stdout : undefined
  }

  it('a singleton HTTP service runs on one server, and answers again from another after that machine is lost', async () => {
    const run = await runCli(lan!, 0, ['run', '--name', 'web', '--data-dir', nodes[0].dataDir, '--', process.execPath, '-e', SERVER_JS])
    assert.equal(run.code, 0, run.stderr)
    let holder = -1
    await until('web runs on exactly one server', async () => {
      const list = await ps(0)
      const running = list?.find((w) => w.name === 'web')?.instances.filter((i) => i.state === 'running') ?? []
      if (running.length !== 1) return false
      holder = nodes.findIndex((n) => n.name === running[0].node)
      return holder >= 0
    })
    const survivor = (holder + 1) % SERVERS
    await until(`web answers on ${nodes[holder].name}`, async () => (await answers(survivor, holder)) !== undefined)

    const lostAt = performance.now()
    await lan!.linkDown(holder)
    const rest = [0, 1, 2].filter((i) => i !== holder)
    let answeredBy = -1
    await until('web answers again from a surviving server', async () => {
      for (const t of rest) {
        if ((await answers(rest[0], t)) !== undefined) { answeredBy = t; return true }
      }
      return false
    })
    console.log(`      web answered again from ${nodes[answeredBy].name} ${((performance.now() - lostAt) / 1000).toFixed(1)} s after ${nodes[holder].name} was lost`)
    // Exactly one survivor runs it.
    const list = await ps(rest[0])
    const running = list?.find((w) => w.name === 'web')?.instances.filter((i) => i.state === 'running' && i.node !== nodes[holder].name) ?? []
    assert.equal(running.length, 1, JSON.stringify(list))
  })
})
