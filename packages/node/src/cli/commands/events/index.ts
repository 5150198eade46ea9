import { ApiClient } from '../../../api/client.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const events: Command = {
  name: 'events',
  summary: 'follow membership and resource events, live',
  help: `usage: dreammesh events [--data-dir DIR] [--json]

Streams events from the node on this data dir as they happen, until Ctrl-C: members joining, suspected,
refuting, dead, leaving, updated, and resource changes.

flags:
  --json           one JSON object per line: {type, atMs, member: {...}, from?}
${COMMON_HELP}

examples:
  dreammesh events
  dreammesh events --json | jq -c 'select(.type == "member:dead")'`,
  options: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  async run (args, io) {
    const client = ApiClient.forDataDir(resolveDataDir(args.values['data-dir'] as string | undefined, io.env))
    for await (const event of client.events()) {
      if (args.values.json === true) {
        io.out(JSON.stringify(event))
        continue
      }
      const time = new Date(event.atMs).toISOString().slice(11, 23)
      const from = event.from === undefined ? '' : ` (reported by …${event.from.slice(-8)})`
      io.out(`${time} ${event.type.padEnd(18)} ${event.member.name} ${event.member.state}${from}`)
    }
    io.err('dreammesh events: the node closed the stream (it stopped)')
    return EXIT.ok
  }
}
