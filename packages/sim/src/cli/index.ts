import { UsageError } from '../cli-args.js'
import { membershipCommand } from './membership.js'
import { placementCommand } from './placement.js'

/** A CLI command, declared (after Lodestar's CLI): the docs and `--help` are generated from it. */
export interface Command {
  name: string
  describe: string
  examples: Array<{ command: string, description: string }>
  usage: () => string
  handler: (argv: string[], io: CliIo) => Promise<number>
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

const commands: Command[] = [membershipCommand, placementCommand]

function topHelp (): string {
  return [
    'dreammesh-sim: the deterministic simulator of dreammesh',
    '',
    'Usage: dreammesh-sim <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(12)}${c.describe}`),
    '',
    'Run "dreammesh-sim <command> --help" for its flags and examples.'
  ].join('\n')
}

/** The one CLI factory, used by the binary and by the tests. */
export function getCli (): { run: (argv: string[], io: CliIo) => Promise<number>, commands: Command[] } {
  return {
    commands,
    async run (argv, io) {
      const [name, ...rest] = argv
      if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
        io.stdout.write(topHelp() + '\n')
        return name === undefined ? 2 : 0
      }
      const command = commands.find((c) => c.name === name)
      if (command === undefined) {
        io.stderr.write(`dreammesh-sim: unknown command "${name}"\n\n${topHelp()}\n`)
        return 2
      }
      if (rest.includes('--help') || rest.includes('-h')) {
        io.stdout.write(command.usage() + '\n')
        return 0
      }
      try {
        return await command.handler(rest, io)
      } catch (err) {
        if (err instanceof UsageError) {
          io.stderr.write(`dreammesh-sim ${command.name}: ${err.message}\nRun "dreammesh-sim ${command.name} --help" for the flags.\n`)
          return 2
        }
        throw err
      }
    }
  }
}
