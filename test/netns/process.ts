/**
 * Processes inside a namespace. `ip netns exec` execs the command in place, so a spawned child's PID is the
 * command's own, and signals reach it directly.
 */
import { execFile, spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { pidsIn } from './ip.ts'

/** Default limit on one `exec`, so a wedged command cannot hang a test. */
const EXEC_TIMEOUT_MS = 30_000
/** How often `killAll` looks whether the processes are gone. */
const KILL_POLL_MS = 20
/** How long `killAll` waits for SIGKILLed processes to be reaped before giving up. */
const KILL_WAIT_MS = 5_000

export interface ExecResult { code: number, stdout: string, stderr: string }
export interface ExecOptions { env?: NodeJS.ProcessEnv, timeoutMs?: number, input?: string }
export interface SpawnOptions { env?: NodeJS.ProcessEnv, stdio?: StdioOptions, cwd?: string }

/** Runs a command to completion inside `ns`. Never rejects on a non-zero exit: the code is in the result. */
export async function execIn (ns: string, cmd: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  return await new Promise((resolve) => {
    const child = execFile('ip', ['netns', 'exec', ns, cmd, ...args], {
      encoding: 'utf8',
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? EXEC_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** Starts a long-running command inside `ns`; the caller owns the child (see `killAllIn` for cleanup). */
export function spawnIn (ns: string, cmd: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    env: options.env ?? process.env,
    stdio: options.stdio ?? 'ignore',
    cwd: options.cwd
  })
}

/**
 * SIGKILLs every process in `ns` and waits until none is left. SIGKILL and not SIGTERM: this stands in for a
 * machine that vanishes, so nothing may run a shutdown path (leave messages, clean closes).
 */
export async function killAllIn (ns: string): Promise<void> {
  const until = performance.now() + KILL_WAIT_MS
  for (;;) {
    const pids = pidsIn(ns)
    if (pids.length === 0) return
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch { /* exited meanwhile */ }
    }
    if (performance.now() > until) throw new Error(`processes ${pids.join(',')} in ${ns} survived SIGKILL`)
    await new Promise((resolve) => setTimeout(resolve, KILL_POLL_MS))
  }
}
