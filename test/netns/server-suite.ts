/**
 * The fixture of the workload suites in namespaces: `count` dreammesh servers on a LAN of their own, found by
 * mDNS, one singleton service to watch, waits that explain themselves when they time out, and a teardown
 * that leaves no process, namespace, cgroup or data dir behind.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sweepCgroups } from './cgroups.ts'
import { dreammeshCli, membersOf, startServers, type MeshProcess } from './dreammesh.ts'
import { createLan, skipWithoutNetns, type Lan } from './index.ts'
import { SingletonService } from './singleton.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export class ServerSuite {
  lan: Lan | undefined
  readonly nodes: MeshProcess[] = []
  web: SingletonService | undefined
  private scratch = ''
  private readonly waitMs: number
  private readonly pollMs: number

  constructor (waitMs: number, pollMs: number) {
    this.waitMs = waitMs
    this.pollMs = pollMs
  }

  /**
   * Registers the suite's mocha hooks: skip without namespaces or a built CLI, start `count` servers before
   * the tests (then `ready` with the LAN and the service), stop them after.
   */
  hooks (count: number, prefix: string, port: number, ready: (lan: Lan, web: SingletonService) => void): void {
    const start = async (): Promise<void> => {
      await this.start(count, prefix, port)
      ready(this.lan!, this.web!)
    }
    before(async function (this: Mocha.Context) {
      skipWithoutNetns(this)
      if (dreammeshCli() === undefined) this.skip()
      await start()
    })
    after(async () => { await this.stop() })
  }

  /** Starts the servers and waits until all see each other alive. */
  async start (count: number, prefix: string, port: number): Promise<void> {
    this.scratch = mkdtempSync(join(tmpdir(), prefix))
    const lan = this.lan = await createLan({ nodes: count })
    this.web = new SingletonService(lan, this.nodes)
    await startServers(lan, this.scratch, count, port, this.nodes)
    await this.allAlive(this.nodes.map((_, i) => i))
  }

  async stop (): Promise<void> {
    for (const n of this.nodes) if (!n.exited()) n.child.kill('SIGKILL')
    await this.lan?.destroy()
    await sweepCgroups(this.nodes)
    if (this.scratch !== '') rmSync(this.scratch, { recursive: true, force: true })
  }

  /** Polls `ok` until it holds; past the bound, fails with what every node runs and why. */
  async until (what: string, ok: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + this.waitMs
    while (!await ok()) {
      if (performance.now() > deadline) throw new Error(`not within ${this.waitMs} ms: ${what}\n${await this.web?.diagnosis() ?? ''}`)
      await sleep(this.pollMs)
    }
  }

  /**
   * Loses the machine of `holder`, which runs the service, as a machine is lost (link down, every process
   * in its namespace killed), once the service answers there; waits until it answers from one of the others.
   * Returns who answered and how long after the loss, and logs it.
   */
  async loseServiceMachine (holder: number): Promise<{ answeredBy: number, rest: number[] }> {
    const web = this.web!
    const rest = this.nodes.map((_, i) => i).filter((i) => i !== holder)
    await this.until(`web answers on ${this.nodes[holder].name}`, async () => (await web.answers(rest[0], holder)) !== undefined)
    const lostAt = performance.now()
    await this.lan!.linkDown(holder)
    let answeredBy = -1
    await this.until('web answers again from a surviving server', async () => {
      for (const t of rest) if ((await web.answers(rest[0], t)) !== undefined) { answeredBy = t; return true }
      return false
    })
    console.log(`      web answered again from ${this.nodes[answeredBy].name} ${((performance.now() - lostAt) / 1000).toFixed(1)} s after ${this.nodes[holder].name} was lost`)
    return { answeredBy, rest }
  }

  async allAlive (members: number[]): Promise<void> {
    await this.until(`servers ${members.join(',')} see each other alive`, async () => {
      const vs = await Promise.all(members.map(async (i) => await membersOf(this.nodes[i].dataDir)))
      return vs.every((v) => v !== undefined && members.every((j) => v.some((m) => m.name === this.nodes[j].name && m.state === 'alive')))
    })
  }
}
