import { ApiClient } from '../../../api/client.js'
import type { MemberJson } from '../../../api/types.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'
import { MEMBER_COLUMNS, memberRow } from '../../format/member-row.js'
import { renderTable } from '../../format/table.js'

export const status: Command = {
  name: 'status',
  summary: 'this node and every member it knows, as a table (or JSON)',
  help: `usage: dreammesh status [--data-dir DIR] [--json]

Asks the node running on this data dir (\`dreammesh up\`) for its view of the cluster: this node (marked *)
and every member it knows, with role, state (alive, suspect, dead, left), CPU, memory, load, when it was
last heard from, and the round-trip time. Dead and left members stay listed for at least 60 s (120 s with
the lan preset; 30 s with local-test).

flags:
  --json           print {"self": {...}, "members": [{...}]} (members does not repeat self); each member is
                   {id, name, role, state, incarnation, addrs, tags, resources, lastHeardMs, rttMs}
${COMMON_HELP}

examples:
  dreammesh status
  dreammesh status --json | jq '.members[] | select(.state == "alive") | .name'`,
  options: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  async run (args, io) {
    const client = ApiClient.forDataDir(resolveDataDir(args.values['data-dir'] as string | undefined, io.env))
    const [self, members] = await Promise.all([client.get<MemberJson>('/v1/self'), client.get<MemberJson[]>('/v1/members')])
    if (args.values.json === true) {
      io.out(JSON.stringify({ self, members }, null, 2))
      return EXIT.ok
    }
    const alive = members.filter(m => m.state === 'alive').length + 1
    io.out(`${alive} of ${members.length + 1} members alive\n`)
    io.out(renderTable(MEMBER_COLUMNS, [memberRow(self, true), ...members.map(m => memberRow(m))]))
    return EXIT.ok
  }
}
