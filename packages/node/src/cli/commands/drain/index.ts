import { ApiClient } from '../../../api/client.js'
import type { MemberJson, WorkloadJson } from '../../../api/types.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'
import { followWorkloads, OCCUPYING_STATES, timeoutSeconds } from '../../format/follow.js'

export const drain: Command = {
  name: 'drain',
  summary: 'move every workload off a node (respecting constraints), then report it empty',
  help: `usage: dreammesh drain NODE [--undo] [--no-wait] [--timeout S] [--data-dir DIR]

Marks NODE (a name or a peer id) as draining in the desired state. Nothing new is placed there, and every
instance running there moves to another node that satisfies its constraints: it is stopped first (SIGTERM,
then a wait for a clean exit), its state dir follows it over libp2p, and it starts on the new node under a
new lease. The command follows the moves and reports the node empty, or after --timeout what is still there
and why. The node stays drained until \`drain NODE --undo\`.

flags:
  --undo          take NODE back: placement may use it again (nothing moves back by itself)
  --no-wait       mark it and return at once
  --timeout S     give up waiting after S seconds (default 120); the drain itself stays in force
${COMMON_HELP}

examples:
  dreammesh drain server-2
  dreammesh drain server-2 --undo`,
  options: { ...COMMON_OPTIONS, undo: { type: 'boolean' }, 'no-wait': { type: 'boolean' }, timeout: { type: 'string' } },
  positionals: { min: 1, max: 1, name: 'NODE' },
  async run (args, io) {
    const v = args.values
    const timeout = timeoutSeconds(v.timeout as string | undefined, 120)
    const client = ApiClient.forDataDir(resolveDataDir(v['data-dir'] as string | undefined, io.env))
    const wanted = args.positionals[0]
    const undo = v.undo === true
    const answer = await client.post<{ node: string }>(`/v1/members/${encodeURIComponent(wanted)}/drain${undo ? '?undo=1' : ''}`)
    const node = answer.node
    if (undo) {
      io.out(`${wanted}: no longer draining; new instances may be placed there`)
      return EXIT.ok
    }
    if (v['no-wait'] === true) {
      io.out(`${wanted}: draining; \`dreammesh ps\` shows the moves`)
      return EXIT.ok
    }
    const started = performance.now()
    const onNode = (ws: WorkloadJson[]): string[] => ws.flatMap(w => w.instances.filter(i => i.node === node && OCCUPYING_STATES.has(i.state)).map(i => `${w.name}#${i.index} (${i.state})`))
    const before = onNode(await client.get<WorkloadJson[]>('/v1/workloads')).length
    let last = ''
    const result = await followWorkloads(client, ws => onNode(ws).length === 0, timeout * 1000, ws => {
      const left = onNode(ws).join(', ')
      if (left !== last) io.err(`draining ${wanted}: still there: ${left}`)
      last = left
    })
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    if (result.done) {
      io.out(`${wanted} is empty: ${before} instance(s) moved off in ${seconds} s`)
      return EXIT.ok
    }
    const self = await client.get<MemberJson>('/v1/self')
    const pending = result.workloads.flatMap(w => w.pending.map(p => `${w.name}#${p.index}: ${p.detail}`))
    io.err(`dreammesh drain: after ${timeout} s ${wanted} still runs ${onNode(result.workloads).join(', ')} (asked on ${self.name})${pending.length > 0 ? `; waiting for a node: ${pending.join('; ')}` : ''}`)
    return EXIT.failed
  }
}
