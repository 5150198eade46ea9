/**
 * Issue 5's first proof with real parts, as the issue states it: a 3-server cluster (each `dreammesh up`
 * in its own network namespace, found by mDNS, all three the lease voters) runs a singleton HTTP service;
 * its node is lost as a machine is (its link down, every process in its namespace killed, so nothing
 * closes cleanly); the service answers again from another server, and exactly one copy runs. The two
 * survivors are a majority of the three voters. Needs root, iproute2, nftables and cgroups.
 */
import assert from 'node:assert/strict'
import type { Lan } from './netns/index.ts'
import { runCli } from './netns/dreammesh.ts'
import { ServerSuite } from './netns/server-suite.ts'
import type { RunningAt, SingletonService } from './netns/singleton.ts'

const SERVERS = 3
const PORT = 4711
/** A bound on each wait, not an expected speed. */
const WAIT_MS = 40_000

describe('a 3-server cluster: a singleton HTTP service survives the loss of its machine (network namespaces)', function () {
  this.timeout(180_000)
  const suite = new ServerSuite(WAIT_MS, 100)
  const nodes = suite.nodes
  let lan: Lan
  let web: SingletonService
  const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => { await suite.until(what, ok) }

  suite.hooks(SERVERS, 'dreammesh-three-', PORT, (l, w) => { lan = l; web = w })

  it('its machine is lost: the service answers again from another server, one copy', async () => {
    const run = await runCli(lan, 0, ['run', '--name', web.name, '--data-dir', nodes[0].dataDir, '--', ...web.command()])
    assert.equal(run.code, 0, run.stderr)
    let at: RunningAt | undefined
    await until('web runs on exactly one server', async () => (at = await web.runningOn(0)) !== undefined)
    const holder = at!.holder
    const { answeredBy, rest } = await suite.loseServiceMachine(holder)
    await until('both survivors say it runs on exactly one of them', async () => {
      const seen = await Promise.all(rest.map(async (i) => await web.runningOn(i)))
      return seen.every((s) => s !== undefined && s.holder === answeredBy)
    })
    assert.deepEqual(web.copies().length, 1, 'one copy of the service on the machine, the lost node\'s included')
  })
})
