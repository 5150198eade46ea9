import { ApiClient } from '../../../api/client.js'
import type { MemberJson } from '../../../api/types.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'
import { MEMBER_COLUMNS, memberRow } from '../../format/member-row.js'
import { renderTable } from '../../format/table.js'

export const members: Command = {
  name: 'members',
  summary: 'every member, this node included (or one, by name or peer id)',
  help: `usage: dreammesh members [NODE] [--data-dir DIR] [--json]

Lists every member the node on this data dir knows, itself included (as \`serf members\` does). With NODE
(a member's name or peer id), shows that one member.

flags:
  --json           print [{id, name, role, state, incarnation, addrs, tags, resources, lastHeardMs, rttMs}]
                   (or one such object for NODE)
${COMMON_HELP}

examples:
  dreammesh members
  dreammesh members --json
  dreammesh members desk --json`,
  options: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  positionals: { min: 0, max: 1, name: 'a node (name or peer id)' },
  async run (args, io) {
    const client = ApiClient.forDataDir(resolveDataDir(args.values['data-dir'] as string | undefined, io.env))
    const json = args.values.json === true
    const wanted = args.positionals[0]
    if (wanted !== undefined) {
      const member = await client.get<MemberJson>(`/v1/members/${encodeURIComponent(wanted)}`)
      io.out(json ? JSON.stringify(member, null, 2) : renderTable(MEMBER_COLUMNS, [memberRow(member)]))
      return EXIT.ok
    }
    const [self, others] = await Promise.all([client.get<MemberJson>('/v1/self'), client.get<MemberJson[]>('/v1/members')])
    if (json) {
      io.out(JSON.stringify([self, ...others]))
      return EXIT.ok
    }
    io.out(renderTable(MEMBER_COLUMNS, [memberRow(self, true), ...others.map(m => memberRow(m))]))
    return EXIT.ok
  }
}
