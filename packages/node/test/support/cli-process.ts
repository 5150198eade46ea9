import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sweepAgentCgroups } from './cgroup-sweep.js'

/**
 * The `dreammesh` CLI as real processes, for tests: the installed launcher (packages/node/bin/dreammesh.js)
 * run by this very Node, with captured output. Every process started here is tracked, so `killAll()` in an
 * `after` hook leaves nothing running even when a test failed half-way.
 */

/** packages/node/bin/dreammesh.js, found from dist/test/support/ (compiled) or test/support/ (source). */
export const DREAMMESH_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []), 'bin', 'dreammesh.js')

/** How long one short command (init, status, members, leave, --help) may take, in ms. A bound. */
export const COMMAND_BUDGET_MS = 15_000
/** How long `up` may take to print its ready line, in ms. A bound. */
export const READY_BUDGET_MS = 15_000

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The ready line `up` prints on stdout: `ready NAME PEER_ID ROLE`. */
export interface Ready {
  name: string
  id: string
  role: string
}

/** Lines that only a JavaScript stack trace prints; a person should never see them. */
export function stackLines (text: string): string[] {
  return text.split('\n').filter(line => /^\s+at /.test(line))
}

/** A running `dreammesh up`. */
export class Daemon {
  stdout = ''
  stderr = ''
  readonly exited: Promise<CliResult>
  readonly ready: Promise<Ready>

  constructor (readonly child: ChildProcess, readonly dataDir: string) {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { this.stdout += s })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { this.stderr += s })
    this.exited = new Promise(resolve => {
      child.on('close', (code, signal) => { resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }) })
    })
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`up did not print ready within ${READY_BUDGET_MS} ms; stderr:\n${this.stderr}`)) }, READY_BUDGET_MS)
      const check = (): void => {
        const m = /^ready (\S+) (\S+) (\S+)$/m.exec(this.stdout)
        if (m === null) return
        clearTimeout(timer)
        resolve({ name: m[1], id: m[2], role: m[3] })
      }
      child.stdout?.on('data', check)
      void this.exited.then(r => {
        clearTimeout(timer)
        reject(new Error(`up exited (code ${String(r.code)}, signal ${String(r.signal)}) before ready; stderr:\n${r.stderr}`))
      })
    })
    // A rejection nobody awaits (the test expected a failure) must not become an unhandled rejection.
    this.ready.catch(() => {})
  }

  get pid (): number {
    if (this.child.pid === undefined) throw new Error('the process did not start')
    return this.child.pid
  }

  /** The listen multiaddrs the log line `listening on ...` names (each ends in /p2p/<id>). */
  listenAddrs (): string[] {
    const m = /listening on (.+)$/m.exec(this.stderr)
    return m === null ? [] : m[1].trim().split(/\s+/)
  }

  signal (signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}

/** Starts and tracks CLI processes; one per spec file. */
export class CliProcesses {
  private readonly children = new Set<ChildProcess>()
  /** Every `up` started, whose cgroups killAll sweeps. */
  private readonly daemons: Daemon[] = []

  constructor (private readonly env: NodeJS.ProcessEnv) {}

  /** `wrapper` runs the command inside another one, e.g. `['ip', 'netns', 'exec', NAME]`. */
  private spawn (args: string[], extraEnv: NodeJS.ProcessEnv = {}, wrapper: string[] = []): ChildProcess {
    const command = [...wrapper, process.execPath, DREAMMESH_BIN, ...args]
    const child = spawn(command[0], command.slice(1), {
      env: { ...this.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.children.add(child)
    child.on('close', () => { this.children.delete(child) })
    return child
  }

  /** Runs one command to its end. */
  async run (args: string[], options: { env?: NodeJS.ProcessEnv, budgetMs?: number, wrapper?: string[] } = {}): Promise<CliResult> {
    const child = this.spawn(args, options.env, options.wrapper)
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const budgetMs = options.budgetMs ?? COMMAND_BUDGET_MS
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`dreammesh ${args.join(' ')} did not finish within ${budgetMs} ms; stderr:\n${stderr}`))
      }, budgetMs)
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        resolve({ code, signal, stdout, stderr })
      })
    })
  }

  /** Starts any long-running command (such as `logs -f`); its output gathers in the returned Daemon. */
  background (args: string[]): Daemon {
    return new Daemon(this.spawn(args), '')
  }

  /** Starts `dreammesh up --data-dir DIR ...args`. */
  up (dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
    const daemon = new Daemon(this.spawn(['up', '--data-dir', dataDir, ...args], env), dataDir)
    this.daemons.push(daemon)
    return daemon
  }

  /** SIGKILLs every process still running and waits for them to be gone. */
  async killAll (): Promise<void> {
    const left = [...this.children]
    await Promise.all(left.map(async child => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise(resolve => child.once('close', resolve))
      child.kill('SIGKILL')
      await gone
    }))
    // What the killed agents left in the cgroup hierarchies (their ids are in their ready lines).
    const ids = await Promise.all(this.daemons.map(async d => await d.ready.then(r => r.id, () => undefined)))
    await sweepAgentCgroups(ids.filter((id): id is string => id !== undefined))
  }
}
