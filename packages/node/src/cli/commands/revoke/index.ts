import { ApiClient } from '../../../api/client.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const revoke: Command = {
  name: 'revoke',
  summary: 'shut a lost or stolen machine out of the cluster for good',
  help: `usage: dreammesh revoke NODE [--reason TEXT] [--undo] [--data-dir DIR]

Puts NODE (its name or its peer id) on the cluster's deny list, which every member holds in its desired
state. From then on every node hangs up on it and refuses its connections, even though it still knows the
cluster code. Use it for a laptop that was lost or stolen. The node on this data dir must be up; the deny
list reaches the others as soon as they are connected, and lasts across restarts.

A machine revoked by mistake is let back in with --undo (by its peer id, which \`revoke\` printed; its name
is forgotten once it is no longer a member). A revoke made at the same time as the undo, on another node,
wins: revocation errs on the safe side.

flags:
  --reason TEXT    why, kept with the record (default "revoked")
  --undo           take NODE off the deny list: it may connect again
${COMMON_HELP}

examples:
  dreammesh revoke old-laptop --reason "stolen on the train"
  dreammesh revoke 12D3KooWQk5Y4gwgg28JdGDRdFMpfd4xnC61JJRLnBuSG94Vjw3M
  dreammesh revoke 12D3KooWQk5Y4gwgg28JdGDRdFMpfd4xnC61JJRLnBuSG94Vjw3M --undo`,
  options: { ...COMMON_OPTIONS, reason: { type: 'string' }, undo: { type: 'boolean' } },
  positionals: { min: 1, max: 1, name: 'NODE' },
  async run (args, io) {
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env)
    const node = args.positionals[0]
    const reason = (args.values.reason as string | undefined) ?? 'revoked'
    if (args.values.undo === true) {
      const answer = await ApiClient.forDataDir(dataDir).post<{ allowed: string }>(`/v1/members/${encodeURIComponent(node)}/revoke?undo=1`)
      io.out(`${node} (${answer.allowed}) is no longer revoked: it may connect again`)
      return EXIT.ok
    }
    const answer = await ApiClient.forDataDir(dataDir).post<{ revoked: string }>(`/v1/members/${encodeURIComponent(node)}/revoke?reason=${encodeURIComponent(reason)}`)
    io.out(`revoked ${node} (${answer.revoked}): every member now refuses it`)
    return EXIT.ok
  }
}
