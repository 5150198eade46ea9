import { homedir, platform } from 'node:os'
import { join } from 'node:path'

/** The environment variable that overrides the default data dir (a `--data-dir` flag overrides both). */
export const DATA_DIR_ENV = 'DREAMMESH_DATA_DIR'

/**
 * The data dir a command uses: `--data-dir`, else $DREAMMESH_DATA_DIR, else the platform's usual place for
 * a service's state: /var/lib/dreammesh for root on Linux, $XDG_STATE_HOME/dreammesh (or
 * ~/.local/state/dreammesh) for a user, ~/Library/Application Support/dreammesh on macOS, and
 * %LOCALAPPDATA%\dreammesh on Windows.
 */
export function resolveDataDir (flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined && flag !== '') return flag
  const fromEnv = env[DATA_DIR_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  switch (platform()) {
    case 'darwin': return join(homedir(), 'Library', 'Application Support', 'dreammesh')
    case 'win32': return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'dreammesh')
    default:
      if (process.getuid?.() === 0) return '/var/lib/dreammesh'
      return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'dreammesh')
  }
}
