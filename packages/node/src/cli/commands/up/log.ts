import type { CliIo } from '../../command.js'

/** The daemon's log: one line per event on stderr, `HH:MM:SS.mmm level message`, for people and journald. */
export class DaemonLog {
  constructor (private readonly io: CliIo, private readonly quiet: boolean) {}

  info (message: string): void {
    if (!this.quiet) this.io.err(`${stamp()} info  ${message}`)
  }

  warn (message: string): void {
    this.io.err(`${stamp()} WARN  ${message}`)
  }

  error (message: string): void {
    this.io.err(`${stamp()} ERROR ${message}`)
  }
}

function stamp (): string {
  return new Date().toISOString().slice(11, 23)
}
