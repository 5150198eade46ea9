import { spawn, type ChildProcess } from 'node:child_process'
import type { InstanceCgroup } from './cgroups.js'
import { ENTER_FAILED_EXIT_CODE } from './constants.js'

/**
 * The watchdog, a POSIX sh script. Node cannot set PR_SET_PDEATHSIG on a child, so each instance gets a
 * small sh process that holds the read end of a pipe whose only writer is the agent. The kernel closes
 * that pipe when the agent exits for ANY reason, SIGKILL and OOM kill included; `read` then sees EOF, and the
 * watchdog kills the instance's whole cgroup and removes it. The agent also closes the pipe itself when it
 * stops an instance for good, so the normal cleanup and the crash cleanup are the same path.
 *
 * Why sh and not a Node script: it is on every Linux host, starts in a millisecond with ~1 MB, and, as a
 * string, survives the CLI being bundled into one file (scripts/bundle-cli.mjs) where a shipped script's
 * path would not.
 *
 * Arguments: $1 the v2 directory or `-`, $2 the v1 freezer directory or `-`, then every cgroup directory.
 * Lines on stdin each carry the pgid of the current run (the fallback when there is no cgroup at all), or
 * `release`: a planned end, after which the agent lives on. After an unplanned one (the agent died) the
 * watchdog also removes the agent's and the base cgroup directories if they are empty, so a crash leaves
 * no empty cgroup behind to block the removal of the agent's own (rmdir never removes a non-empty one). It
 * does not after a planned end: the living agent may be creating a sibling in them at that moment.
 * It ignores INT, TERM, HUP and QUIT: a Ctrl-C or a `kill` of the agent's group must not take the watchdog
 * down before the agent's death closes its pipe.
 */
export const WATCHDOG_SCRIPT = String.raw`
trap '' INT TERM HUP QUIT PIPE
v2=$1; freezer=$2; shift 2
pgid=
planned=
while read -r line; do case $line in release) planned=1 ;; *) pgid=$line ;; esac; done
attempt=0
while :; do
  if [ "$v2" != - ] && [ -e "$v2/cgroup.kill" ]; then echo 1 > "$v2/cgroup.kill"; fi 2>/dev/null
  if [ "$freezer" != - ] && [ -d "$freezer" ]; then
    echo FROZEN > "$freezer/freezer.state"
    n=0
    while [ "$(cat "$freezer/freezer.state")" = FREEZING ] && [ $n -lt 100 ]; do sleep 0.01; n=$((n+1)); done
  fi 2>/dev/null
  for d in "$@"; do for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; done
  if [ "$freezer" != - ] && [ -d "$freezer" ]; then echo THAWED > "$freezer/freezer.state"; fi 2>/dev/null
  if [ -n "$pgid" ]; then kill -9 -"$pgid" 2>/dev/null; fi
  gone=1
  for d in "$@"; do if [ -d "$d" ] && ! rmdir "$d" 2>/dev/null; then gone=0; fi; done
  if [ $gone = 1 ]; then
    if [ -z "$planned" ]; then for d in "$@"; do p=$(dirname "$d"); rmdir "$p" "$(dirname "$p")" 2>/dev/null; done; fi
    exit 0
  fi
  attempt=$((attempt+1))
  if [ $attempt -ge 200 ]; then echo "dreammesh watchdog: cgroup not empty after 200 kills: $*" >&2; exit 1; fi
  sleep 0.05
done
`

/**
 * The entry wrapper: the instance's first process is `sh`, which writes its own pid into every cgroup.procs
 * and only then execs the command, so not one instruction of the command (nor any child it forks) runs
 * outside the cgroups. If any write fails it exits ENTER_FAILED_EXIT_CODE and never runs the command: an
 * instance outside its cgroup would be invisible to the watchdog. Spawning stopped (SIGSTOP, move, SIGCONT)
 * would also work, but a stop can be undone by anyone who sends SIGCONT, and a shell wrapper cannot.
 *
 * Arguments: the cgroup.procs files, `--`, then the command and its arguments.
 */
export const ENTER_SCRIPT = String.raw`
while [ "$1" != -- ]; do
  echo $$ > "$1" || { echo "dreammesh: cannot join cgroup $1" >&2; exit ${ENTER_FAILED_EXIT_CODE}; }
  shift
done
shift
exec "$@"
`

/** The shell the scripts run in. POSIX sh; dash on Debian. */
export const SHELL = '/bin/sh'

/** The argv that runs `command args` inside `procsFiles`' cgroups. */
export function enterArgs (procsFiles: string[], command: string, args: string[]): string[] {
  return ['-c', ENTER_SCRIPT, 'dreammesh-enter', ...procsFiles, '--', command, ...args]
}

/**
 * One watchdog process for one instance, for the instance's whole life (across its restarts). Spawn it
 * BEFORE the instance's first process: then there is no moment at which the instance runs unwatched.
 */
export class Watchdog {
  private readonly child: ChildProcess
  private readonly exited: Promise<number | null>
  private released = false

  constructor (cgroup: InstanceCgroup, onUnexpectedExit: (code: number | null) => void) {
    this.child = spawn(SHELL, ['-c', WATCHDOG_SCRIPT, 'dreammesh-watchdog', cgroup.v2Dir ?? '-', cgroup.freezerDir ?? '-', ...cgroup.dirs], {
      // stdin is the lifeline. Node opens its pipes close-on-exec, so no other child inherits the write end
      // (an instance holding it would keep its own watchdog from ever seeing EOF).
      stdio: ['pipe', 'ignore', 'inherit'],
      // Its own session: signals to the agent's process group (a terminal's Ctrl-C) do not reach it.
      detached: true
    })
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code) => {
        if (!this.released) onUnexpectedExit(code)
        resolve(code)
      })
      this.child.once('error', () => resolve(null))
    })
    this.child.stdin?.on('error', () => {})
    // The watchdog must never keep the agent alive by itself.
    this.child.unref()
    const stdin = this.child.stdin as unknown as { unref?: () => void } | null
    stdin?.unref?.()
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  /** Tells the watchdog the current run's process group, for hosts without any cgroup. */
  notePgid (pgid: number): void {
    if (!this.released) this.child.stdin?.write(`${pgid}\n`)
  }

  /**
   * Closes the lifeline: the watchdog kills whatever is left in the cgroups, removes them and exits.
   * Resolves with its exit code (0: cgroups gone).
   */
  async release (): Promise<number | null> {
    if (!this.released) this.child.stdin?.end('release\n')
    this.released = true
    return await this.exited
  }
}
