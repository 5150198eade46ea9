import { ApiClient } from '../../../api/client.js'
import type { WorkloadDetailJson } from '../../../api/types.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const inspect: Command = {
  name: 'inspect',
  summary: 'show everything about one workload: spec, slots, instances, moves and its state',
  help: `usage: dreammesh inspect W [--json] [--data-dir DIR]

Shows workload W in full: its spec with defaults filled in, where each slot is placed and why, its running
instances, standing moves and scale, which node holds the newest copy of its state, and the sha256 of that
state's archive (asked of that node over libp2p: the same sum before and after a move means the bytes
arrived intact).

--json prints the whole record, including stateChecksum.

flags:
  --json         machine-readable output
${COMMON_HELP}

examples:
  dreammesh inspect notes
  dreammesh inspect notes --json | jq -r .stateChecksum`,
  options: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, name: 'W' },
  async run (args, io) {
    const client = ApiClient.forDataDir(resolveDataDir(args.values['data-dir'] as string | undefined, io.env))
    const d = await client.get<WorkloadDetailJson>(`/v1/workloads/${encodeURIComponent(args.positionals[0])}`)
    if (args.values.json === true) {
      io.out(JSON.stringify(d, null, 2))
      return EXIT.ok
    }
    const lines = [`${d.name} (${d.kind})`]
    for (const i of d.instances) lines.push(`  #${i.index} on ${i.nodeName}: ${i.state}, pid ${String(i.pid ?? '-')}, epoch ${i.epoch}, since ${new Date(i.since).toISOString()}`)
    for (const p of d.pending) lines.push(`  #${p.index} pending: ${p.detail}`)
    for (const m of d.moves) lines.push(`  move: #${m.index} to ${m.toName}${m.fresh ? ' (fresh)' : ''}`)
    if (d.scale !== null) lines.push(`  scale: ${d.scale}`)
    if (d.stateHome !== null) lines.push(`  state: newest copy on ${d.stateHome.nodeName} (epoch ${d.stateHome.epoch}), sha256 ${d.stateChecksum ?? `unknown (${d.stateChecksumError ?? 'not asked'})`}`)
    for (const w of d.waitingForState) lines.push(`  #${w.index} waits for its state: ${w.why}`)
    if (d.lastTransfer !== null) lines.push(`  last transfer here: ${d.lastTransfer.bytes} bytes from ${d.lastTransfer.from} in ${d.lastTransfer.ms} ms`)
    if (d.problems !== undefined) lines.push(`  problems: ${d.problems.join('; ')}`)
    lines.push(`  spec: ${JSON.stringify(d.spec)}`)
    io.out(lines.join('\n'))
    return EXIT.ok
  }
}
