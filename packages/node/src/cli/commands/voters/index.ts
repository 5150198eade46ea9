import { ApiClient } from '../../../api/client.js'
import type { VotersJson } from '../../../api/types.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'
import { renderTable } from '../../format/table.js'

export const voters: Command = {
  name: 'voters',
  summary: 'list or change the servers that vote on leases',
  help: `usage: dreammesh voters [--add NODE]... [--remove NODE]... [--json] [--data-dir DIR]

Every lease (who runs a singleton, and later who owns a screen or the keyboard) is granted by a majority of
the voters: servers named in the desired state. The first \`run\` names the live servers, up to five. Add a
new server, or remove one you retire, here; each node's lease machine then moves from the old list to the
new one a member at a time, each step agreed by a majority of the list before it. Keep an odd number (3 or
5): a majority of 4 survives one lost server, as 3 does.

flags:
  --add NODE      make a server (name or peer id) a voter; may repeat
  --remove NODE   stop a server voting; may repeat
  --json          machine-readable output
${COMMON_HELP}

examples:
  dreammesh voters
  dreammesh voters --add server-4 --add server-5
  dreammesh voters --remove old-server`,
  options: { ...COMMON_OPTIONS, add: { type: 'string', multiple: true }, remove: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  async run (args, io) {
    const client = ApiClient.forDataDir(resolveDataDir(args.values['data-dir'] as string | undefined, io.env))
    const add = (args.values.add as string[] | undefined) ?? []
    const remove = (args.values.remove as string[] | undefined) ?? []
    const answer = add.length + remove.length > 0
      ? await client.post<VotersJson>('/v1/voters', { add, remove })
      : await client.get<VotersJson>('/v1/voters')
    if (args.values.json === true) {
      io.out(JSON.stringify(answer, null, 2))
      return EXIT.ok
    }
    if (answer.voters.length === 0) {
      io.out('no voters yet: the first `dreammesh run` names the live servers')
      return EXIT.ok
    }
    io.out(renderTable(['NAME', 'ID', 'STATE', 'ROLE'], answer.voters.map(v => [v.name ?? '?', v.id, v.denied ? 'revoked' : v.state ?? 'unknown', v.role ?? '?'])))
    const inForce = answer.inForce
    const desired = answer.voters.filter(v => !v.denied).map(v => v.id).sort().join()
    if (inForce !== null && inForce.voters.join() !== desired) {
      io.out(`in force on this node: version ${inForce.version}, ${inForce.voters.length} voter(s); moving to the list above one member at a time`)
    }
    return EXIT.ok
  }
}
