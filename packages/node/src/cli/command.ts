import type { ParseArgsConfig } from 'node:util'

/** Where a command writes: stdout for results (tables, JSON, the code), stderr for logs and errors. */
export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  env: NodeJS.ProcessEnv
}

/** One `dreammesh` command: its own folder, its own flags and `--help`. */
export interface Command {
  name: string
  /** One line for `dreammesh --help`. */
  summary: string
  /** The whole `--help` text: usage, what it does, flags, examples. */
  help: string
  options: NonNullable<ParseArgsConfig['options']>
  /** Whether positional arguments are allowed (e.g. a member name). */
  positionals?: { min: number, max: number, name: string }
  /** Runs it; resolves to the exit code. */
  run: (args: ParsedArgs, io: CliIo) => Promise<number>
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

/** A mistake in how the command was called: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** The exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** `--data-dir` and `--help`, which every command takes. */
export const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const satisfies NonNullable<ParseArgsConfig['options']>

/** The text of the common flags, for each command's help. */
export const COMMON_HELP = `  --data-dir DIR   the node's data dir (default: $DREAMMESH_DATA_DIR, else the platform's usual place)
  -h, --help       this help`
