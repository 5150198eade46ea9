import { execFile } from 'node:child_process'
import { lstatSync, readdirSync, readlinkSync } from 'node:fs'
import { access, constants } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** bubblewrap on this host, or why not. */
export type Bubblewrap = { path: string, version: string } | { path?: undefined, missing: string }

/** Finds `bwrap` on PATH (Debian: `apt-get install bubblewrap`) and checks that it can make a sandbox here. */
export async function probeBubblewrap (pathEnv = process.env.PATH ?? '/usr/bin:/bin'): Promise<Bubblewrap> {
  let found: string | undefined
  for (const dir of pathEnv.split(delimiter)) {
    const candidate = join(dir, 'bwrap')
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) { found = candidate; break }
  }
  if (found === undefined) return { missing: 'bubblewrap is not installed (Debian: apt-get install bubblewrap); isolated instances cannot start' }
  const bwrap = found
  // Installed is not enough: a container may forbid the namespaces it needs. Try the very flags we use.
  const run = async (args: string[]): Promise<{ ok: boolean, out: string }> => await new Promise(resolve => {
    execFile(bwrap, args, { timeout: 5_000 }, (err, stdout, stderr) => resolve({ ok: err === null, out: `${stdout}${stderr}`.trim() }))
  })
  const version = await run(['--version'])
  const trial = await run([...sandboxArgs({ stateDir: tmpdir(), cwd: '/' }), '--', 'true'])
  if (!trial.ok) return { missing: `bubblewrap at ${bwrap} cannot create a sandbox here: ${trial.out}` }
  return { path: bwrap, version: version.out }
}

export interface SandboxOptions {
  /** The state dir on the host, bound read-write. */
  stateDir: string
  /** Where the state dir appears inside. @default stateDir */
  mountStateAt?: string
  cwd: string
}

/** Top-level host entries the sandbox gets its own version of, instead of the host's. */
const OWN_IN_SANDBOX = new Set(['proc', 'dev', 'tmp'])

/**
 * The bwrap flags of an isolated instance: every top-level entry of the host's root bound read-only (and
 * its symlinks, such as /bin -> usr/bin, recreated), a private /dev, /proc and /tmp, the state dir writable,
 * its own pid namespace (it sees and can signal only its own processes), and --die-with-parent, a second
 * line of defence next to the watchdog: bwrap's own parent is the agent.
 *
 * Why entry by entry and not `--ro-bind / /`: with the host root itself read-only, bwrap cannot create the
 * mount point for `mountStateAt` (/state, say) and fails. Here the sandbox's root is bwrap's own small
 * tmpfs, so a new top-level mount point can be made, while everything from the host stays read-only.
 */
export function sandboxArgs (options: SandboxOptions, rootEntries = hostRootEntries()): string[] {
  const root = rootEntries.flatMap(e => e.symlink !== undefined ? ['--symlink', e.symlink, `/${e.name}`] : ['--ro-bind', `/${e.name}`, `/${e.name}`])
  return [
    ...root,
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    '--bind', options.stateDir, options.mountStateAt ?? options.stateDir,
    '--unshare-pid',
    '--die-with-parent',
    // A new session: the sandboxed program cannot push input into the agent's terminal (TIOCSTI).
    '--new-session',
    '--chdir', options.cwd
  ]
}

/** The host's top-level entries, read at each start (a mount may have appeared since the last). */
export function hostRootEntries (): Array<{ name: string, symlink?: string }> {
  const entries: Array<{ name: string, symlink?: string }> = []
  for (const name of readdirSync('/')) {
    if (OWN_IN_SANDBOX.has(name)) continue
    try {
      entries.push(lstatSync(`/${name}`).isSymbolicLink() ? { name, symlink: readlinkSync(`/${name}`) } : { name })
    } catch { /* vanished while we looked */ }
  }
  return entries
}
