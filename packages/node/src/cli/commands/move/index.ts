import { ApiClient } from '../../../api/client.js'
import type { WorkloadDetailJson, WorkloadJson } from '../../../api/types.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, UsageError, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'
import { followWorkloads, timeoutSeconds } from '../../format/follow.js'

export const move: Command = {
  name: 'move',
  summary: 'move a workload, with its state, to another node',
  help: `usage: dreammesh move W --to NODE [--index I] [--fresh] [--no-wait] [--timeout S] [--data-dir DIR]

Moves an instance of W to NODE (a name or a peer id), with its state, for applications that know nothing
about clusters:
  1. the old instance gets SIGTERM, and the agent waits for a clean exit (SIGKILL after its grace);
  2. its state dir crosses libp2p as a checksummed archive;
  3. the new node restores it (atomically) and starts the instance under a new lease.
The old copy stays authoritative until the new one runs, so a crash of either side loses nothing. The
command follows the move and reports the downtime and the state's checksum. The move stays in force (the
slot stays on NODE) until another move.

flags:
  --to NODE      where to run it
  --index I      which instance of a replicated workload (default 0)
  --fresh        start it on NODE without its old state (when the node holding the state is gone for good)
  --no-wait      write the move and return at once
  --timeout S    give up waiting after S seconds (default 120)
${COMMON_HELP}

examples:
  dreammesh move notes --to laptop
  dreammesh move db --to server-3 --fresh`,
  options: { ...COMMON_OPTIONS, to: { type: 'string' }, index: { type: 'string' }, fresh: { type: 'boolean' }, 'no-wait': { type: 'boolean' }, timeout: { type: 'string' } },
  positionals: { min: 1, max: 1, name: 'W' },
  async run (args, io) {
    const v = args.values
    const name = args.positionals[0]
    const target = v.to as string | undefined
    if (target === undefined) throw new UsageError('--to NODE is required')
    const indexText = (v.index as string | undefined) ?? '0'
    if (!/^\d{1,5}$/.test(indexText)) throw new UsageError(`--index ${JSON.stringify(indexText)} is not a whole number`)
    const index = Number(indexText)
    const timeout = timeoutSeconds(v.timeout as string | undefined, 120)
    const client = ApiClient.forDataDir(resolveDataDir(v['data-dir'] as string | undefined, io.env))
    const slotOf = (ws: WorkloadJson[]): WorkloadJson['instances'] => ws.find(w => w.name === name)?.instances.filter(i => i.index === index) ?? []
    const before = slotOf(await client.get<WorkloadJson[]>('/v1/workloads'))
    const old = before.find(i => i.state === 'running')
    const answer = await client.post<{ to: string }>(`/v1/workloads/${encodeURIComponent(name)}/move`, { to: target, index, fresh: v.fresh === true })
    if (old?.node === answer.to) {
      io.out(`${name}#${index} already runs on ${target}`)
      return EXIT.ok
    }
    if (v['no-wait'] === true) {
      io.out(`${name}#${index}: moving to ${target}; \`dreammesh ps\` shows it`)
      return EXIT.ok
    }
    // Downtime runs from the old instance's SIGTERM (its report turns `stopping`) to the new one running.
    let stoppedAt: number | undefined
    let lastSeenRunning = Date.now()
    let lastLine = ''
    const result = await followWorkloads(client, ws => slotOf(ws).some(i => i.node === answer.to && i.state === 'running'), timeout * 1000, ws => {
      const here = slotOf(ws)
      const oldNow = here.find(i => old !== undefined && i.node === old.node)
      if (oldNow?.state === 'running') lastSeenRunning = Date.now()
      if (oldNow?.state === 'stopping' && stoppedAt === undefined) stoppedAt = oldNow.since
      const line = here.map(i => `${i.nodeName}: ${i.state}`).join(', ') || 'between nodes'
      if (line !== lastLine) io.err(`moving ${name}#${index}: ${line}`)
      lastLine = line
    })
    if (!result.done) {
      const detail = await client.get<WorkloadDetailJson>(`/v1/workloads/${encodeURIComponent(name)}`)
      const why = detail.waitingForState.map(w => w.why).join('; ')
      io.err(`dreammesh move: ${name}#${index} does not run on ${target} after ${timeout} s${why === '' ? '' : `: ${why}`}`)
      return EXIT.failed
    }
    const now = slotOf(result.workloads).find(i => i.node === answer.to && i.state === 'running')
    const detail = await client.get<WorkloadDetailJson>(`/v1/workloads/${encodeURIComponent(name)}`)
    const parts = [`${name}#${index} runs on ${target} (epoch ${String(now?.epoch)})`]
    if (old !== undefined && now !== undefined) parts.push(`downtime ${((now.since - (stoppedAt ?? lastSeenRunning)) / 1000).toFixed(2)} s`)
    if (detail.stateChecksum !== null) parts.push(`state sha256 ${detail.stateChecksum} (${String(detail.stateBytes)} bytes)`)
    io.out(parts.join('; '))
    return EXIT.ok
  }
}
