/**
 * Runs `ip` and `nft` synchronously, throwing with the command and its stderr when one fails. Set-up and
 * tear-down are a few dozen short commands, so blocking is simpler than a queue of promises and costs
 * milliseconds.
 */
import { spawnSync } from 'node:child_process'

/** A single `ip`/`nft` call should never take long; a hung one (a wedged netlink socket) must not hang CI. */
const COMMAND_TIMEOUT_MS = 10_000

export interface RunResult { status: number, stdout: string, stderr: string }

/** Runs a command, returning its result whatever its exit status. */
export function tryRun (cmd: string, args: readonly string[], input?: string): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: COMMAND_TIMEOUT_MS })
  if (r.error !== undefined) return { status: -1, stdout: '', stderr: r.error.message }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** Runs a command and returns its stdout, or throws saying which command failed and why. */
export function run (cmd: string, args: readonly string[], input?: string): string {
  const r = tryRun(cmd, args, input)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`)
  return r.stdout
}

export const ip = (...args: string[]): string => run('ip', args)

/** Runs `nft -f -` inside a namespace with the given ruleset text. */
export function nftIn (ns: string, ruleset: string): void {
  run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], ruleset)
}

/** The PIDs of every process in a namespace (`ip netns pids`). */
export function pidsIn (ns: string): number[] {
  const r = tryRun('ip', ['netns', 'pids', ns])
  if (r.status !== 0) return []
  return r.stdout.split(/\s+/).filter((s) => s !== '').map(Number)
}
