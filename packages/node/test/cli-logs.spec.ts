import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CliProcesses, stackLines, type CliResult } from './support/cli-process.js'
import { pollUntil } from './support/poll.js'

/**
 * `dreammesh logs` against two real `dreammesh up` processes, each with its own data dir: an instance's
 * output read from the node that does not run it (over libp2p), followed with -f until Ctrl-C, and still
 * readable after `stop` removed its workload (the node that ran it keeps the files, and the reader finds
 * it). Needs cgroups (root), as CI has.
 */

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--config', 'local-test']
const NAMES = ['alpha', 'beta'] as const
type Name = typeof NAMES[number]
/** A numbered line on stdout and on stderr every 50 ms. */
const TALKER = ['/bin/sh', '-c', 'i=0; while :; do echo "line $i"; echo "oops $i" >&2; i=$((i+1)); sleep 0.05; done']

interface Instance { node: string, state: string }
interface PsJson { name: string, instances: Instance[] }

describe('cli: logs on two `dreammesh up` processes', function () {
  this.timeout(120_000)
  let root: string
  let cli: CliProcesses
  const dirs = {} as Record<Name, string>
  /** Where talker runs, and the other node. */
  let runner: Name
  let other: Name

  async function runOk (args: string[]): Promise<CliResult> {
    const result = await cli.run(args)
    assert.equal(result.code, 0, `dreammesh ${args.join(' ')} exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`)
    assert.deepEqual(stackLines(result.stderr), [])
    return result
  }
  const numbered = (text: string, word: string): number[] => (text.match(new RegExp(`^${word} \\d+$`, 'gm')) ?? []).map(l => Number(l.slice(word.length + 1)))
  const consecutive = (ns: number[]): boolean => ns.every((n, i) => i === 0 || n === ns[i - 1] + 1)

  before(async function () {
    if (process.getuid?.() !== 0) this.skip()
    root = await mkdtemp(join(tmpdir(), 'dreammesh-cli-logs-'))
    cli = new CliProcesses({ ...process.env, DREAMMESH_DATA_DIR: join(root, 'default'), DREAMMESH_DEBUG: '' })
    for (const n of NAMES) dirs[n] = join(root, n)
    const code = (JSON.parse((await runOk(['init', '--data-dir', dirs.alpha, '--json'])).stdout) as { code: string }).code
    const first = cli.up(dirs.alpha, ['--name', 'alpha', ...LOOPBACK])
    await first.ready
    const second = cli.up(dirs.beta, ['--name', 'beta', '--cluster', code, '--peer', first.listenAddrs()[0], ...LOOPBACK])
    await second.ready
    await pollUntil(() => 'alpha and beta see each other', async () => (await cli.run(['members', 'beta', '--data-dir', dirs.alpha])).code === 0 &&
      (await cli.run(['members', 'alpha', '--data-dir', dirs.beta])).code === 0, 30_000)
    await runOk(['run', '--name', 'talker', '--data-dir', dirs.alpha, '--', ...TALKER])
    let at: Instance | undefined
    await pollUntil(() => 'talker runs', async () => {
      const ps = JSON.parse((await runOk(['ps', '--json', '--data-dir', dirs.alpha])).stdout) as PsJson[]
      at = ps.find(w => w.name === 'talker')?.instances.find(i => i.state === 'running')
      return at !== undefined
    }, 30_000)
    runner = at!.node as Name
    other = NAMES.find(n => n !== runner)!
  })

  after(async () => {
    await cli?.killAll()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  it('prints the tail of both streams, read over libp2p by the node that does not run it', async () => {
    await pollUntil(() => 'talker has printed 5 lines', async () => numbered((await runOk(['logs', 'talker', '--stdout', '--data-dir', dirs[other]])).stdout, 'line').length >= 5, 10_000)
    const tail = await runOk(['logs', 'talker', '--tail', '3', '--data-dir', dirs[other]])
    assert.equal(numbered(tail.stdout, 'line').length, 3, tail.stdout)
    assert.ok(consecutive(numbered(tail.stdout, 'line')))
    assert.equal(numbered(tail.stderr, 'oops').length, 3, 'stderr lines go to stderr')
    const onlyErr = await runOk(['logs', 'talker', '--stderr', '--tail', '2', '--data-dir', dirs[other]])
    assert.equal(onlyErr.stdout, '')
    assert.equal(numbered(onlyErr.stderr, 'oops').length, 2)
  })

  it('-f prints new lines in order as they come, and Ctrl-C ends it cleanly', async () => {
    const follow = cli.background(['logs', 'talker', '-f', '--tail', '0', '--stdout', '--data-dir', dirs[other]])
    await pollUntil(() => `logs -f printed new lines (so far: ${follow.stdout.slice(-200)})`, async () => numbered(follow.stdout, 'line').length >= 5, 10_000)
    follow.signal('SIGINT')
    const ended = await follow.exited
    assert.equal(ended.code, 0, ended.stderr)
    assert.deepEqual(stackLines(ended.stderr), [])
    assert.match(ended.stderr, new RegExp(`following talker#0 on ${runner}`))
    assert.ok(consecutive(numbered(ended.stdout, 'line')), `in order, none lost: ${numbered(ended.stdout, 'line').join(',')}`)
  })

  it('bad input: unknown workload, unknown instance, wrong --node, bad flags; --help has examples', async () => {
    const unknown = await cli.run(['logs', 'nothing', '--data-dir', dirs.alpha])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no workload is called "nothing", and no node keeps logs of nothing#0/)
    const index = await cli.run(['logs', 'talker', '--index', '3', '--data-dir', dirs.alpha])
    assert.equal(index.code, 1)
    assert.match(index.stderr, /no node keeps logs of talker#3 \(asked /)
    const wrong = await cli.run(['logs', 'talker', '--node', other, '--data-dir', dirs.alpha])
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, new RegExp(`${other} keeps no logs of talker#0`))
    for (const bad of [['--tail', 'lots'], ['--tail', '10001'], ['--index', '-1'], ['--stdout', '--stderr'], []]) {
      const r = await cli.run(['logs', ...(bad.length === 0 ? [] : ['talker']), ...bad, '--data-dir', dirs.alpha])
      assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`)
      assert.deepEqual(stackLines(r.stderr), [])
    }
    const help = await runOk(['logs', '--help'])
    assert.match(help.stdout, /examples:\n\s+dreammesh logs web/)
  })

  it('after stop, the logs are still read from the node that ran it, from anywhere; -f then just prints them', async () => {
    const before = numbered((await runOk(['logs', 'talker', '--tail', '1', '--stdout', '--data-dir', dirs.alpha])).stdout, 'line')[0]
    await runOk(['stop', 'talker', '--data-dir', dirs.alpha])
    await pollUntil(() => 'talker is gone from ps', async () => !(await runOk(['ps', '--json', '--data-dir', dirs[other]])).stdout.includes('"talker"'), 30_000)
    for (const on of NAMES) {
      const after = await runOk(['logs', 'talker', '--tail', '5', '--stdout', '--data-dir', dirs[on]])
      const ns = numbered(after.stdout, 'line')
      assert.equal(ns.length, 5, `${on}: ${after.stdout}`)
      assert.ok(ns[4] >= before, `the last lines, up to the stop (${before} was printed before it): ${ns.join(',')}`)
    }
    const followed = await runOk(['logs', 'talker', '-f', '--tail', '2', '--stdout', '--data-dir', dirs[other]])
    assert.equal(numbered(followed.stdout, 'line').length, 2)
    assert.match(followed.stderr, new RegExp(`talker#0 does not run on ${runner} now`))
  })
})
