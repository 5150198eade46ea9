import { openDataDir } from '../../../identity/data-dir.js'
import { clusterIdOf, generateClusterCode } from '../../../secret/cluster-code.js'
import { loadClusterCode, saveClusterCode } from '../../../secret/secret-store.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, UsageError, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const init: Command = {
  name: 'init',
  summary: 'create a new cluster: its secret, printed as a code to type on the other machines',
  help: `usage: dreammesh init [--data-dir DIR] [--json] [--force]

Creates a new cluster on this machine: a random cluster secret (130 bits), stored in the data dir
(mode 0600), and this node's identity. Prints the secret as a code of 28 characters; on each other
machine, run \`dreammesh up --cluster <code>\` once. Peers without the code cannot connect at all.

Keep the code like a password: anyone who has it can join the cluster.

flags:
  --json           print {"code": ..., "clusterId": ..., "peerId": ..., "dataDir": ...} instead of text
  --force          replace the data dir's existing cluster secret (this node leaves its old cluster)
${COMMON_HELP}

examples:
  dreammesh init
  dreammesh init --data-dir /srv/dreammesh --json`,
  options: { ...COMMON_OPTIONS, json: { type: 'boolean' }, force: { type: 'boolean' } },
  async run (args, io) {
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env)
    await openDataDir(dataDir)
    const existing = await loadClusterCode(dataDir)
    if (existing !== undefined && args.values.force !== true) {
      throw new UsageError(`the data dir ${dataDir} already holds a cluster secret (cluster ${clusterIdOf(existing)}); ` +
        '`dreammesh up` uses it. To start a new cluster instead, pass --force or use another --data-dir')
    }
    const code = generateClusterCode()
    await saveClusterCode(dataDir, code)
    // Loaded here: the libp2p crypto stack is slow to load, and only this line needs it.
    const { loadOrCreateIdentity } = await import('../../../identity/identity.js')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(dataDir)).toString()
    if (args.values.json === true) {
      io.out(JSON.stringify({ code: code.text, clusterId: clusterIdOf(code), peerId, dataDir }))
      return EXIT.ok
    }
    io.out(`A new cluster (id ${clusterIdOf(code)}), stored in ${dataDir}.

  cluster code:  ${code.text}

On this machine:      dreammesh up${args.values['data-dir'] === undefined ? '' : ` --data-dir ${dataDir}`}
On each other one:    dreammesh up --cluster ${code.text}

Keep the code like a password: whoever has it can join.`)
    return EXIT.ok
  }
}
