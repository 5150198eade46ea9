import { ApiClient } from '../../../api/client.js'
import type { WorkloadJson } from '../../../api/types.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'
import { renderTable } from '../../format/table.js'

export const ps: Command = {
  name: 'ps',
  summary: 'list the workloads and where each instance runs',
  help: `usage: dreammesh ps [--json] [--data-dir DIR]

Lists every workload in the desired state and its instances anywhere in the cluster: node, state
(starting, running, unhealthy, stopping, failed), pid, lease epoch and since when. Each node reports its own
instances, so this is the same on every node. Slots that wait for a node say why.

--json prints [{ name, kind, instances: [{ node, state, pid, epoch, since }] }] (node is the node's name;
since is an ISO time), plus pending slots and spec problems.

flags:
  --json         machine-readable output
${COMMON_HELP}

examples:
  dreammesh ps
  dreammesh ps --json | jq '.[] | select(.name == "web")'`,
  options: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  async run (args, io) {
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env)
    const workloads = await ApiClient.forDataDir(dataDir).get<WorkloadJson[]>('/v1/workloads')
    if (args.values.json === true) {
      io.out(JSON.stringify(workloads.map(w => ({
        name: w.name,
        kind: w.kind,
        instances: w.instances.map(i => ({ node: i.nodeName, state: i.state, pid: i.pid, epoch: i.epoch, since: new Date(i.since).toISOString() })),
        pending: w.pending,
        ...(w.problems === undefined ? {} : { problems: w.problems })
      })), null, 2))
      return EXIT.ok
    }
    const rows: string[][] = []
    for (const w of workloads) {
      for (const i of w.instances) rows.push([w.name, w.kind, String(i.index), i.nodeName, i.state, i.pid === null ? '-' : String(i.pid), String(i.epoch), new Date(i.since).toISOString().slice(11, 19)])
      for (const p of w.pending) rows.push([w.name, w.kind, String(p.index), '-', `pending: ${p.reason}`, '-', '-', '-'])
      if (w.problems !== undefined) rows.push([w.name, w.kind, '-', '-', `invalid: ${w.problems[0]}`, '-', '-', '-'])
      if (w.instances.length === 0 && w.pending.length === 0 && w.problems === undefined) rows.push([w.name, w.kind, '-', '-', 'placing', '-', '-', '-'])
    }
    io.out(rows.length === 0 ? 'no workloads; `dreammesh run --help` shows how to start one' : renderTable(['NAME', 'KIND', '#', 'NODE', 'STATE', 'PID', 'EPOCH', 'SINCE'], rows))
    return EXIT.ok
  }
}
