import { setFlagsFromString } from 'node:v8'
import { multiaddr } from '@multiformats/multiaddr'
import { COMMON_HELP, COMMON_OPTIONS, UsageError, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'
import { CONFIG_PRESETS, type ConfigPresetName } from '../../../node/config-presets.js'
import { DEFAULT_LISTEN } from '../../../node/constants.js'

/** The environment variable that carries the API token, so it stays out of `ps`. */
export const API_TOKEN_ENV = 'DREAMMESH_API_TOKEN'

export const up: Command = {
  name: 'up',
  summary: 'run this machine\'s node in the foreground: join the cluster and stay in it',
  help: `usage: dreammesh up [--data-dir DIR] [--name NAME] [--role server|client] [--cluster CODE]
                    [--listen MULTIADDR]... [--peer MULTIADDR]... [--tag TAG]... [--api HOST:PORT]
                    [--insecure-open] [--no-mdns] [--config home|lan|wan|local-test] [--quiet]

Runs the node in the foreground until SIGINT or SIGTERM. It finds the other nodes of its cluster on the
LAN by mDNS, with nothing to configure; --peer adds peers to join through (another subnet, no multicast).
The first run on a machine needs the cluster code (--cluster), which is then kept in the data dir.

It serves the local API on a unix socket in the data dir (used by \`status\`, \`members\`, \`events\`,
\`leave\`), and with --api also on TCP. Logs go to stderr; one "ready" line goes to stdout when the node
is up. SIGINT (Ctrl-C) leaves the cluster gracefully (peers mark it "left"); SIGTERM stops without a leave
(peers mark it "dead", as a service manager's restart wants). A second signal exits at once.

flags:
  --name NAME          the member name, unique in the cluster (default: the host name)
  --role ROLE          server or client (default: server); equal standing in every protocol
  --cluster CODE       the code printed by \`dreammesh init\` on the first machine; stored on first use
  --listen MULTIADDR   where to listen, repeatable (default: ${DEFAULT_LISTEN.join(' ')})
  --peer MULTIADDR     a peer to join through, e.g. /ip4/192.168.1.10/tcp/4711/p2p/12D3Koo..., repeatable
  --tag TAG            a capability tag gossiped with this member (e.g. gpu, printer), repeatable
  --api HOST:PORT      also serve the API on TCP; a non-loopback HOST needs a token in $${API_TOKEN_ENV}
  --insecure-open      admit anyone who can reach this node (no cluster secret). Demos only
  --no-mdns            do not announce or look for peers on the LAN (use --peer)
  --config PRESET      membership timing: home (default: probes every 500 ms), lan (every 200 ms: faster
                       detection, about twice the idle CPU), wan, or local-test (fast, one machine only)
  --quiet              log warnings and errors only
${COMMON_HELP}

examples:
  dreammesh up                                        # a machine that ran \`dreammesh init\`
  dreammesh up --cluster k7qm-2x9d-... --name desk --role client
  dreammesh up --listen /ip4/0.0.0.0/tcp/4711 --peer /ip4/10.0.0.5/tcp/4711/p2p/12D3KooW...
  DREAMMESH_DATA_DIR=/tmp/n2 dreammesh up --name n2 --listen /ip4/127.0.0.1/tcp/0 --no-mdns --peer ...`,
  options: {
    ...COMMON_OPTIONS,
    name: { type: 'string' },
    role: { type: 'string' },
    cluster: { type: 'string' },
    listen: { type: 'string', multiple: true },
    peer: { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
    api: { type: 'string' },
    'insecure-open': { type: 'boolean' },
    'no-mdns': { type: 'boolean' },
    config: { type: 'string' },
    quiet: { type: 'boolean' }
  },
  async run (args, io) {
    const v = args.values
    const role = (v.role as string | undefined) ?? 'server'
    if (role !== 'server' && role !== 'client') throw new UsageError(`--role is server or client, not ${JSON.stringify(role)}`)
    const config = (v.config as string | undefined) ?? 'home'
    if (!(config in CONFIG_PRESETS)) throw new UsageError(`--config is one of ${Object.keys(CONFIG_PRESETS).join(', ')}, not ${JSON.stringify(config)}`)
    const name = v.name as string | undefined
    if (name !== undefined && (name.trim() === '' || Buffer.byteLength(name) > 64)) throw new UsageError('--name must be 1 to 64 bytes')
    const listen = (v.listen as string[] | undefined) ?? DEFAULT_LISTEN
    const peers = (v.peer as string[] | undefined) ?? []
    for (const [flag, addrs] of [['--listen', listen], ['--peer', peers]] as const) {
      for (const addr of addrs) {
        try {
          multiaddr(addr)
        } catch (err) {
          throw new UsageError(`${flag} ${JSON.stringify(addr)} is not a multiaddr (${(err as Error).message}); e.g. /ip4/0.0.0.0/tcp/4711`)
        }
      }
    }
    // A daemon lives for days beside the user's own work. Loading libp2p churns through some 40 MB of
    // short-lived objects, and by default V8 keeps the heap it grew for them: RSS stays near 130 MB. In
    // optimize-for-size mode it grows the heap less eagerly (ADR 0008: max RSS 128 → 96 MB). Set before the
    // import, so that the load itself runs under it.
    setFlagsFromString('--optimize-for-size')
    // Loaded here, not at the top: libp2p takes a second to load, and `--help` or a typo should not wait.
    const { runDaemon } = await import('./daemon.js')
    return await runDaemon({
      dataDir: resolveDataDir(v['data-dir'] as string | undefined, io.env),
      name,
      role,
      cluster: v.cluster as string | undefined,
      listen,
      peers,
      tags: (v.tag as string[] | undefined) ?? [],
      api: parseApiFlag(v.api as string | undefined, io.env[API_TOKEN_ENV]),
      insecureOpen: v['insecure-open'] === true,
      mdns: v['no-mdns'] !== true,
      config: config as ConfigPresetName,
      quiet: v.quiet === true
    }, io)
  }
}

function parseApiFlag (flag: string | undefined, token: string | undefined): { host: string, port: number, token?: string } | undefined {
  if (flag === undefined) return undefined
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(flag)
  const port = Number(match?.[2])
  if (match === null || port > 65535) throw new UsageError(`--api takes HOST:PORT (e.g. 127.0.0.1:4712), not ${JSON.stringify(flag)}`)
  const host = match[1].replace(/^\[|\]$/g, '')
  return token === undefined || token === '' ? { host, port } : { host, port, token }
}
