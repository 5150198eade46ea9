import { ApiClient } from '../../../api/client.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const revoke: Command = {
  name: 'revoke',
  summary: 'shut a lost or stolen machine out of the cluster for good',
  help: `usage: dreammesh revoke NODE [--reason TEXT] [--data-dir DIR]

Puts NODE (its name or its peer id) on the cluster's deny list, which every member holds in its desired
state. From then on every node hangs up on it and refuses its connections, even though it still knows the
cluster code. Use it for a laptop that was lost or stolen. The node on this data dir must be up; the deny
list reaches the others as soon as they are connected, and lasts across restarts.

A machine you revoke by mistake stays out: today there is no "allow" command (the desired state has the
record; issue 5 tracks it). To let a machine back in for now, give it a new identity (a new data dir).

flags:
  --reason TEXT    why, kept with the record (default "revoked")
${COMMON_HELP}

examples:
  dreammesh revoke old-laptop --reason "stolen on the train"
  dreammesh revoke 12D3KooWQk5Y4gwgg28JdGDRdFMpfd4xnC61JJRLnBuSG94Vjw3M`,
  options: { ...COMMON_OPTIONS, reason: { type: 'string' } },
  positionals: { min: 1, max: 1, name: 'NODE' },
  async run (args, io) {
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env)
    const node = args.positionals[0]
    const reason = (args.values.reason as string | undefined) ?? 'revoked'
    const answer = await ApiClient.forDataDir(dataDir).post<{ revoked: string }>(`/v1/members/${encodeURIComponent(node)}/revoke?reason=${encodeURIComponent(reason)}`)
    io.out(`revoked ${node} (${answer.revoked}): every member now refuses it`)
    return EXIT.ok
  }
}
