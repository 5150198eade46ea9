import { parseArgs } from 'node:util'
import { EXIT, UsageError, type CliIo, type Command, type ParsedArgs } from './command.js'
import { describeError } from './errors.js'
import { init } from './commands/init/index.js'
import { up } from './commands/up/index.js'
import { status } from './commands/status/index.js'
import { members } from './commands/members/index.js'
import { events } from './commands/events/index.js'
import { leave } from './commands/leave/index.js'
import { revoke } from './commands/revoke/index.js'
import { run } from './commands/run/index.js'
import { ps } from './commands/ps/index.js'
import { stop } from './commands/stop/index.js'
import { scale } from './commands/scale/index.js'
import { move } from './commands/move/index.js'
import { drain } from './commands/drain/index.js'
import { inspect } from './commands/inspect/index.js'
import { voters } from './commands/voters/index.js'
import { logs } from './commands/logs/index.js'

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [init, up, status, members, events, leave, run, ps, logs, inspect, stop, scale, move, drain, voters, revoke]

const OVERVIEW = `dreammesh: a home or office cluster of equal peers, with no central controller.

usage: dreammesh <command> [flags]

commands:
${COMMANDS.map(c => `  ${c.name.padEnd(9)}${c.summary}`).join('\n')}

Run \`dreammesh <command> --help\` for its flags and examples.

Start here:
  dreammesh init                       # on the first machine: prints the cluster code
  dreammesh up --cluster <code>        # on each machine (the first needs no --cluster)
  dreammesh status                     # who is in the cluster`

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main (argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find(c => c.name === rest[0]) : undefined
    io.out(topic?.help ?? OVERVIEW)
    return EXIT.ok
  }
  if (name === '--version') {
    io.out('dreammesh 0.1.0')
    return EXIT.ok
  }
  const command = COMMANDS.find(c => c.name === name)
  if (command === undefined) {
    io.err(`dreammesh: unknown command ${JSON.stringify(name)}; the commands are ${COMMANDS.map(c => c.name).join(', ')} (see \`dreammesh --help\`)`)
    return EXIT.usage
  }
  let args: ParsedArgs
  try {
    args = parseCommandArgs(command, rest)
  } catch (err) {
    io.err(`dreammesh ${command.name}: ${(err as Error).message}; see \`dreammesh ${command.name} --help\``)
    return EXIT.usage
  }
  if (args.values.help === true) {
    io.out(command.help)
    return EXIT.ok
  }
  try {
    return await command.run(args, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`dreammesh ${command.name}: ${err.message}; see \`dreammesh ${command.name} --help\``)
      return EXIT.usage
    }
    io.err(`dreammesh ${command.name}: ${describeError(err, io.env)}`)
    return EXIT.failed
  }
}

function parseCommandArgs (command: Command, argv: string[]): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true })
  } catch (err) {
    // node:util's messages are good but mention internals ("ERR_PARSE_ARGS_..."): keep the sentence.
    throw new UsageError((err as Error).message.replace(/^.*?: /, '').replace(/\. To specify.*$/, ''))
  }
  const limits = command.positionals ?? { min: 0, max: 0, name: '' }
  if (parsed.positionals.length > limits.max) {
    throw new UsageError(limits.max === 0
      ? `takes no arguments, got ${JSON.stringify(parsed.positionals[0])}`
      : `takes at most ${limits.max} ${limits.name}, got ${parsed.positionals.length}`)
  }
  if (parsed.positionals.length < limits.min && parsed.values.help !== true) throw new UsageError(`needs ${limits.name}`)
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals }
}
