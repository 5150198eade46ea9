import { ApiClient } from '../../../api/client.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const stop: Command = {
  name: 'stop',
  summary: 'stop a workload everywhere and remove it from the desired state',
  help: `usage: dreammesh stop W [--data-dir DIR]

Removes workload W from the cluster's desired state. Every node that runs an instance of it stops it
(SIGTERM, then SIGKILL after its grace) and gives its lease back.

flags:
${COMMON_HELP}

examples:
  dreammesh stop web`,
  options: { ...COMMON_OPTIONS },
  positionals: { min: 1, max: 1, name: 'W' },
  async run (args, io) {
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env)
    const name = args.positionals[0]
    await ApiClient.forDataDir(dataDir).post(`/v1/workloads/${encodeURIComponent(name)}/stop`)
    io.out(`${name}: removed from the desired state; its instances are stopping`)
    return EXIT.ok
  }
}
