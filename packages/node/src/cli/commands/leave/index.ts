import { ApiClient } from '../../../api/client.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const leave: Command = {
  name: 'leave',
  summary: 'leave the cluster gracefully and stop the node',
  help: `usage: dreammesh leave [--data-dir DIR]

Tells the node on this data dir to leave the cluster: it announces the leave, waits a few gossip rounds so
every peer marks it "left" (not "dead"), and exits. Its identity and cluster code stay in the data dir, so
\`dreammesh up\` brings it back.

flags:
${COMMON_HELP}

examples:
  dreammesh leave
  dreammesh leave --data-dir /srv/dreammesh`,
  options: { ...COMMON_OPTIONS },
  async run (args, io) {
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env)
    await ApiClient.forDataDir(dataDir).post('/v1/leave')
    io.out(`the node on ${dataDir} is leaving the cluster`)
    return EXIT.ok
  }
}
