import { ApiClient } from '../../../api/client.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, UsageError, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const scale: Command = {
  name: 'scale',
  summary: 'set how many instances a cluster-aware workload runs (within its min..max)',
  help: `usage: dreammesh scale W N [--data-dir DIR]

Sets the instance count of cluster-aware workload W to N in the desired state. Placement clamps it into the
workload's --min..--max. New instances start under their own leases; the ones above N get a stop notice
(SIGTERM) and are stopped. The instances themselves can ask for the same through the SDK.

flags:
${COMMON_HELP}

examples:
  dreammesh scale render 4`,
  options: { ...COMMON_OPTIONS },
  positionals: { min: 2, max: 2, name: 'W N' },
  async run (args, io) {
    const [name, count] = args.positionals
    if (!/^\d{1,4}$/.test(count)) throw new UsageError(`N ${JSON.stringify(count)} is not a whole number`)
    const client = ApiClient.forDataDir(resolveDataDir(args.values['data-dir'] as string | undefined, io.env))
    await client.post(`/v1/workloads/${encodeURIComponent(name)}/scale`, { instances: Number(count) })
    io.out(`${name}: scaled to ${count} instance(s) (clamped into its min..max); \`dreammesh ps\` shows them`)
    return EXIT.ok
  }
}
