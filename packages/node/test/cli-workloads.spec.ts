import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CliProcesses, stackLines, type CliResult, type Daemon } from './support/cli-process.js'
import { pollUntil } from './support/poll.js'

/**
 * `run`, `ps` and `stop` against two real `dreammesh up` processes on loopback: a service written on one
 * node runs as a real process on exactly one of them, `ps --json` has the shape on both, a bad spec
 * lists every problem, and `stop` ends it. Needs cgroups (root), as CI has.
 */

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--config', 'local-test']

interface PsJson { name: string, kind: string, instances: Array<{ node: string, state: string, pid: number | null, epoch: number, since: string }> }

describe('cli: run, ps and stop on two `dreammesh up` processes', function () {
  this.timeout(90_000)
  let root: string
  let cli: CliProcesses
  let alpha: Daemon
  let beta: Daemon
  const dirs = { alpha: '', beta: '' }

  async function runOk (args: string[]): Promise<CliResult> {
    const result = await cli.run(args)
    assert.equal(result.code, 0, `dreammesh ${args.join(' ')} exited ${String(result.code)}:\n${result.stderr}`)
    assert.deepEqual(stackLines(result.stderr), [])
    return result
  }

  async function ps (dir: string): Promise<PsJson[]> {
    return JSON.parse((await runOk(['ps', '--json', '--data-dir', dir])).stdout) as PsJson[]
  }

  before(async function () {
    if (process.getuid?.() !== 0) this.skip()
    root = await mkdtemp(join(tmpdir(), 'dreammesh-cli-workloads-'))
    cli = new CliProcesses({ ...process.env, DREAMMESH_DATA_DIR: join(root, 'default'), DREAMMESH_DEBUG: '' })
    dirs.alpha = join(root, 'alpha')
    dirs.beta = join(root, 'beta')
    const code = (JSON.parse((await runOk(['init', '--data-dir', dirs.alpha, '--json'])).stdout) as { code: string }).code
    alpha = cli.up(dirs.alpha, ['--name', 'alpha', ...LOOPBACK])
    await alpha.ready
    beta = cli.up(dirs.beta, ['--name', 'beta', '--cluster', code, '--peer', alpha.listenAddrs()[0], ...LOOPBACK])
    await beta.ready
  })

  after(async () => {
    await cli?.killAll()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  it('run puts a service on exactly one node; ps --json shows it the same on both', async () => {
    await pollUntil(() => 'beta sees alpha', async () => (await cli.run(['members', 'alpha', '--data-dir', dirs.beta])).code === 0, 20_000)
    const ran = await runOk(['run', '--name', 'web', '--data-dir', dirs.alpha, '--', '/bin/sleep', '300'])
    assert.match(ran.stdout, /web: in the desired state/)
    let seen: PsJson[] = []
    await pollUntil(() => `web runs, as both nodes report (last: ${JSON.stringify(seen)})`, async () => {
      const [a, b] = await Promise.all([ps(dirs.alpha), ps(dirs.beta)])
      seen = a
      const running = (x: PsJson[]): Array<PsJson['instances'][number]> => x.find(w => w.name === 'web')?.instances.filter(i => i.state === 'running') ?? []
      return running(a).length === 1 && running(b).length === 1 && running(a)[0].node === running(b)[0].node
    }, 30_000)
    const web = seen.find(w => w.name === 'web')!
    assert.equal(web.kind, 'service')
    const instance = web.instances[0]
    assert.deepEqual(Object.keys(instance).sort(), ['epoch', 'node', 'pid', 'since', 'state'])
    assert.ok(['alpha', 'beta'].includes(instance.node))
    assert.ok(instance.pid !== null && existsSync(`/proc/${instance.pid}`), 'the process exists')
    const table = await runOk(['ps', '--data-dir', dirs.beta])
    assert.match(table.stdout, /^NAME\s+KIND\s+#\s+NODE\s+STATE/m)
    assert.match(table.stdout, /^web\s+service\s+0\s+(alpha|beta)\s+running/m)
  })

  it('a bad spec is refused with every problem listed, and no stack trace', async () => {
    const result = await cli.run(['run', '--name', 'Bad Name', '--kind', 'replicated', '--data-dir', dirs.alpha, '--', '/bin/true'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /problem/)
    assert.match(result.stderr, /name/)
    assert.match(result.stderr, /replicas/)
    assert.deepEqual(stackLines(result.stderr), [])
  })

  it('stop removes it, and its process ends', async () => {
    const pid = (await ps(dirs.alpha)).find(w => w.name === 'web')?.instances[0]?.pid
    await runOk(['stop', 'web', '--data-dir', dirs.beta])
    await pollUntil(() => 'web is gone from ps on both nodes', async () => {
      const [a, b] = await Promise.all([ps(dirs.alpha), ps(dirs.beta)])
      return !a.some(w => w.name === 'web') && !b.some(w => w.name === 'web')
    }, 20_000)
    await pollUntil(() => `web's process ${String(pid)} ends`, async () => pid === null || pid === undefined || !existsSync(`/proc/${pid}`), 20_000)
    const missing = await cli.run(['stop', 'web', '--data-dir', dirs.beta])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /no workload is called "web"/)
  })
})
