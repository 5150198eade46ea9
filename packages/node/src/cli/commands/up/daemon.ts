import { join } from 'node:path'
import type { MemberRole } from '@dreammesh/protocols'
import { openDataDir } from '../../../identity/data-dir.js'
import { lockDataDir } from '../../../identity/lock.js'
import { createDreamNode, type ConfigPresetName, type DreamNode } from '../../../node/dream-node.js'
import { parseClusterCode } from '../../../secret/cluster-code.js'
import { loadClusterCode, saveClusterCode } from '../../../secret/secret-store.js'
import { API_SOCKET_FILE, startApiServer } from '../../../api/index.js'
import { NodeApiSource } from '../../../node/api-source.js'
import { EXIT, type CliIo } from '../../command.js'
import { installCrashGuard } from './crash-guard.js'
import { DaemonLog } from './log.js'
import { requireLanInterface } from './network-check.js'

export interface DaemonOptions {
  dataDir: string
  name: string | undefined
  role: MemberRole
  cluster: string | undefined
  listen: string[]
  peers: string[]
  tags: string[]
  api: { host: string, port: number, token?: string } | undefined
  insecureOpen: boolean
  mdns: boolean
  config: ConfigPresetName
  quiet: boolean
}

/** Why the daemon is stopping; decides between a graceful leave and a plain stop, and the exit code. */
type StopReason = { kind: 'signal', signal: NodeJS.Signals } | { kind: 'leave-requested' } | { kind: 'name-taken', error: Error }

/**
 * `dreammesh up`: takes the data dir's lock, starts the node and its local API, logs what membership
 * decides, and stops cleanly on a signal or a `leave` request. The lock is released on every path out; a
 * kill -9 leaves a stale lock that the next `up` recognizes and clears.
 */
export async function runDaemon (options: DaemonOptions, io: CliIo): Promise<number> {
  const log = new DaemonLog(io, options.quiet)
  await openDataDir(options.dataDir)
  const lock = await lockDataDir(options.dataDir)
  try {
    requireLanInterface(options.listen)
    if (options.insecureOpen) {
      log.warn('--insecure-open: this node admits anyone who can reach it, and all cluster state is readable and ' +
        'writable by them. Use it for demos on a network you trust, never otherwise.')
    }
    const node = await createDreamNode({
      dataDir: options.dataDir,
      ...(options.name === undefined ? {} : { name: options.name }),
      role: options.role,
      tags: options.tags,
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
      insecureOpen: options.insecureOpen,
      config: options.config,
      listen: options.listen,
      bootstrap: options.peers,
      mdns: options.mdns,
      workloads: true
    })
    if (options.cluster !== undefined && (await loadClusterCode(options.dataDir)) === undefined) {
      await saveClusterCode(options.dataDir, parseClusterCode(options.cluster))
      log.info(`stored the cluster code in ${options.dataDir}; later runs need no --cluster`)
    }
    return await serve(node, options, log, io)
  } finally {
    await lock.release()
  }
}

async function serve (node: DreamNode, options: DaemonOptions, log: DaemonLog, io: CliIo): Promise<number> {
  let requestStop: (reason: StopReason) => void = () => {}
  const stopRequested = new Promise<StopReason>(resolve => { requestStop = resolve })
  const removeGuard = installCrashGuard(log, node.registry)
  logMembership(node, log)
  node.addEventListener('node:name-taken', event => { requestStop({ kind: 'name-taken', error: event.detail.error }) })

  node.addEventListener('node:warning', event => { log.warn(event.detail.message) })
  node.addEventListener('workload:autoscaled', ({ detail: d }) => { log.info(`autoscale ${d.workload}: ${d.from} -> ${d.to} instances (${d.reason})`) })
  await node.start()
  const source = new NodeApiSource(node, async () => { requestStop({ kind: 'leave-requested' }) })
  let api: Awaited<ReturnType<typeof startApiServer>> | undefined
  try {
    api = await startApiServer({
      socketPath: join(options.dataDir, API_SOCKET_FILE),
      ...(options.api === undefined ? {} : { tcp: options.api }),
      source,
      registry: node.registry,
      log
    })
  } catch (err) {
    await node.stop()
    throw err
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`)
      process.exit(EXIT.failed)
    }
    requestStop({ kind: 'signal', signal })
  }
  let stopping = false
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const self = node.self()
  log.info(`cluster ${node.clusterId}${node.isPrivate ? '' : ' (OPEN: no secret)'}; listening on ${node.getMultiaddrs().map(String).join(' ')}`)
  log.info(`local API on ${join(options.dataDir, API_SOCKET_FILE)}${api.tcpAddress === undefined ? '' : ` and http://${api.tcpAddress}`}`)
  io.out(`ready ${self.meta.name} ${node.peerId.toString()} ${self.meta.role}`)

  const reason = await stopRequested
  stopping = true
  try {
    if (reason.kind === 'name-taken') {
      log.error(reason.error.message)
    } else if (reason.kind === 'leave-requested' || (reason.kind === 'signal' && reason.signal === 'SIGINT')) {
      log.info(`${reason.kind === 'signal' ? reason.signal : 'leave requested'}: leaving the cluster`)
      await node.leave()
    } else {
      log.info(`${reason.signal}: stopping (no leave; peers will mark this node dead)`)
      await node.stop()
    }
  } finally {
    await api.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    removeGuard()
  }
  log.info('stopped')
  return reason.kind === 'name-taken' ? EXIT.failed : EXIT.ok
}

function logMembership (node: DreamNode, log: DaemonLog): void {
  const who = (m: { id: string, meta: { name: string } }): string => `${m.meta.name} (${m.id.slice(-8)})`
  node.addEventListener('member:joined', e => { log.info(`joined  ${who(e.detail.member)} ${e.detail.member.meta.role}`) })
  node.addEventListener('member:suspect', e => { log.info(`suspect ${who(e.detail.member)}`) })
  node.addEventListener('member:alive', e => { log.info(`alive   ${who(e.detail.member)} (refuted)`) })
  node.addEventListener('member:dead', e => { log.warn(`dead    ${who(e.detail.member)}`) })
  node.addEventListener('member:left', e => { log.info(`left    ${who(e.detail.member)}`) })
}
