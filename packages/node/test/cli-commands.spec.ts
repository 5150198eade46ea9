import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMMANDS } from '../src/cli/main.js'
import { CliProcesses, stackLines, type CliResult } from './support/cli-process.js'

/**
 * The `dreammesh` CLI as a person meets it, in real processes: init, --help, flag mistakes, and `up` refusing
 * to start for reasons a person can fix, each with one clear line and never a stack trace. Every `up` here
 * listens on loopback only (or in a network namespace of its own) and never starts mDNS.
 */

/** What `dreammesh init` prints: 28 characters in groups of 4. */
const CODE_PATTERN = /^[0-9a-z]{4}(-[0-9a-z]{4}){6}$/
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']

function assertNoStack (result: CliResult): void {
  assert.deepEqual(stackLines(result.stderr), [], `a stack trace on stderr:\n${result.stderr}`)
  assert.deepEqual(stackLines(result.stdout), [], `a stack trace on stdout:\n${result.stdout}`)
}

/** A failure a person can act on: the exit code, one message naming the command, no stack. */
function assertClearFailure (result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, `exit ${String(result.code)}, expected ${code}; stderr:\n${result.stderr}`)
  assert.match(result.stderr, message)
  assert.match(result.stderr, /^dreammesh \w+: /m, 'the message names the command')
  assertNoStack(result)
}

/** Runs `each` over `items`, two at a time (each CLI process spends about a second loading). */
async function inPairs<T> (items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 2) await Promise.all(items.slice(i, i + 2).map(each))
}

describe('cli: commands, help and clear errors (real processes)', function () {
  this.timeout(60_000)

  let root: string
  let cli: CliProcesses
  let code: string

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dreammesh-cli-'))
    // Never the platform default (/var/lib/dreammesh as root): every command gets an explicit dir or this one.
    cli = new CliProcesses({ ...process.env, DREAMMESH_DATA_DIR: join(root, 'default'), DREAMMESH_DEBUG: '' })
  })

  after(async () => {
    await cli?.killAll()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  it('init prints a code; init --json prints {code, clusterId, peerId, dataDir}', async () => {
    const text = await cli.run(['init', '--data-dir', join(root, 'text')])
    assert.equal(text.code, 0, text.stderr)
    const printed = /cluster code:\s+(\S+)/.exec(text.stdout)?.[1]
    assert.ok(printed !== undefined && CODE_PATTERN.test(printed), `no code in:\n${text.stdout}`)
    assertNoStack(text)

    const json = await cli.run(['init', '--data-dir', join(root, 'json'), '--json'])
    assert.equal(json.code, 0, json.stderr)
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>
    assert.deepEqual(Object.keys(parsed).sort(), ['clusterId', 'code', 'dataDir', 'peerId'])
    assert.match(String(parsed.code), CODE_PATTERN)
    assert.match(String(parsed.peerId), /^12D3KooW/)
    assert.equal(parsed.dataDir, join(root, 'json'))
    assert.notEqual(parsed.code, printed, 'each init makes a new secret')
    code = String(parsed.code)
  })

  it('a second init on a data dir refuses without --force (exit 2) and replaces the secret with it', async () => {
    const dir = join(root, 'json')
    const again = await cli.run(['init', '--data-dir', dir, '--json'])
    assertClearFailure(again, 2, /already holds a cluster secret.*--force/)
    assert.equal(again.stdout, '', 'nothing printed as a result')

    const forced = await cli.run(['init', '--data-dir', dir, '--json', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    const replaced = JSON.parse(forced.stdout) as { code: string }
    assert.notEqual(replaced.code, code, '--force makes a new secret')
    code = replaced.code
  })

  it('--help, on its own and on every command, exits 0 and shows usage and examples', async () => {
    const overview = await cli.run(['--help'])
    assert.equal(overview.code, 0)
    for (const c of COMMANDS) assert.match(overview.stdout, new RegExp(`^  ${c.name}\\s`, 'm'), `the overview lists ${c.name}`)
    // `-h` once (the flag is common to every command), `--help` on each; two processes at a time.
    const asks = [...COMMANDS.map(c => [c.name, '--help']), [COMMANDS[0].name, '-h']]
    await inPairs(asks, async ([name, flag]) => {
      const help = await cli.run([name, flag])
      assert.equal(help.code, 0, `${name} ${flag}: ${help.stderr}`)
      assert.match(help.stdout, new RegExp(`^usage: dreammesh ${name}`, 'm'))
      assert.match(help.stdout, /^examples:\n(  dreammesh .+\n?)+/m, `${name} ${flag} shows examples`)
      assert.equal(help.stderr, '')
    })
  })

  it('an unknown flag or command exits 2 with a clear message and no stack trace', async () => {
    await inPairs(COMMANDS, async c => {
      const result = await cli.run([c.name, '--no-such-flag'])
      assertClearFailure(result, 2, new RegExp(`dreammesh ${c.name}: Unknown option '--no-such-flag'; see \`dreammesh ${c.name} --help\``))
    })
    const command = await cli.run(['frobnicate'])
    assert.equal(command.code, 2)
    assert.match(command.stderr, /unknown command "frobnicate"/)
    assertNoStack(command)
    const positional = await cli.run(['status', 'extra'])
    assertClearFailure(positional, 2, /takes no arguments/)
  })

  it('bad values of workload flags exit 2 before any node is asked', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--name', 'x', '--replicate-state', '3q', '--', '/bin/true'], /--replicate-state "3q": expected a duration/],
      [['run', '--name', 'x', '--min', 'one', '--', '/bin/true'], /--min "one" is not a whole number/],
      [['run', '--', '/bin/true'], /--name is required/],
      [['run', '--name', 'x'], /CMD is required/],
      [['run', '--name', 'x', '--kind', 'vm', '--kernel', '/k', '--', '/bin/true'], /a vm takes no CMD/],
      [['run', '--name', 'x', '--kind', 'vm', '--kernel', '/k', '--forward', '80'], /--forward "80": expected HOST:GUEST/],
      [['move', 'web'], /--to NODE is required/],
      [['move', 'web', '--to', 'b', '--index', '-1'], /--index|Unknown option/],
      [['scale', 'web', 'lots'], /N "lots" is not a whole number/],
      [['drain', 'x', '--timeout', 'soon'], /--timeout "soon": expected whole seconds/]
    ]
    await inPairs(cases, async ([args, message]) => { assertClearFailure(await cli.run(args), 2, message) })
  })

  it('up with a malformed cluster code exits 1 and says what is wrong with it', async () => {
    for (const bad of ['abc', `${code}x`, code.replace(/[0-9a-z]/, '!')]) {
      const result = await cli.run(['up', '--data-dir', join(root, 'bad-code'), '--cluster', bad, ...LOOPBACK])
      assertClearFailure(result, 1, /cluster code/i)
    }
  })

  it('up with a data dir that cannot be created (its parent is a file) exits 1', async () => {
    const file = join(root, 'a-file')
    await writeFile(file, 'not a directory')
    const result = await cli.run(['up', '--data-dir', join(file, 'node'), '--cluster', code, ...LOOPBACK])
    assertClearFailure(result, 1, /data dir .* is not usable/)
    const init = await cli.run(['init', '--data-dir', join(file, 'node')])
    assertClearFailure(init, 1, /data dir .* is not usable/)
  })

  it('up on a port already in use exits 1 and names the address', async () => {
    const holder: Server = createServer()
    await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
    try {
      const port = (holder.address() as AddressInfo).port
      const result = await cli.run(['up', '--data-dir', join(root, 'port'), '--cluster', code, '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--no-mdns'])
      assertClearFailure(result, 1, new RegExp(`already in use \\(.*${port}.*\\)`))
    } finally {
      await new Promise(resolve => holder.close(resolve))
    }
  })

  it('status, members and leave with no node running on the data dir exit 1 and say so', async () => {
    await inPairs(['status', 'members', 'leave'], async name => {
      const result = await cli.run([name, '--data-dir', join(root, 'json')])
      assert.equal(result.code, 1, `${name}: ${result.stderr}`)
      assert.match(result.stderr, new RegExp(`^dreammesh ${name}: no dreammesh node is running with data dir`, 'm'))
      assertNoStack(result)
    })
  })

  it('up where only loopback is up (a fresh network namespace) exits 1: no usable network interface', async function () {
    if (process.getuid?.() !== 0) this.skip() // creating a network namespace needs root
    const ns = `dm-cli-${process.pid}`
    try {
      execFileSync('ip', ['netns', 'add', ns])
    } catch (err) {
      console.log(`      skipped: cannot create a network namespace (${(err as Error).message.split('\n')[0]})`)
      this.skip()
    }
    try {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
      // The default listen address (0.0.0.0), no mDNS: the check must refuse before anything is announced.
      const result = await cli.run(['up', '--data-dir', join(root, 'netns'), '--cluster', code, '--no-mdns'], { wrapper: ['ip', 'netns', 'exec', ns] })
      assertClearFailure(result, 1, /no usable network interface/)
    } finally {
      execFileSync('ip', ['netns', 'delete', ns])
    }
  })
})
