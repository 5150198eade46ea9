import { ApiClient } from '../../../api/client.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, UsageError, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const logs: Command = {
  name: 'logs',
  summary: 'print (and follow) an instance\'s output, from whichever node runs it',
  help: `usage: dreammesh logs W [-f] [--index I] [--tail N] [--stdout | --stderr] [--node NODE] [--data-dir DIR]

Prints the last lines of workload W's output (stdout and stderr, each kept in size-bounded files on the
node that runs the instance), fetched over libp2p from that node, so it works from any node. With -f it
then follows new lines until Ctrl-C, or until the instance ends. An ended instance's logs stay readable on
the node that ran it (--node picks a node; by default the one that runs it now, else the one that ran it
last). A reader slower than the output is told how many lines it skipped.

flags:
  -f, --follow      keep printing new lines
  --index I         which instance (default 0)
  --tail N          lines of history per stream (default 100, at most 10000)
  --stdout          only stdout
  --stderr          only stderr
  --node NODE       read the logs kept on this node (a name or a peer id)
${COMMON_HELP}

examples:
  dreammesh logs web
  dreammesh logs web -f --tail 0
  dreammesh logs worker --index 2 --stderr --node server-3`,
  options: {
    ...COMMON_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    index: { type: 'string' },
    tail: { type: 'string' },
    stdout: { type: 'boolean' },
    stderr: { type: 'boolean' },
    node: { type: 'string' }
  },
  positionals: { min: 1, max: 1, name: 'W' },
  async run (args, io) {
    const v = args.values
    const index = (v.index as string | undefined) ?? '0'
    const tail = (v.tail as string | undefined) ?? '100'
    if (!/^\d{1,6}$/.test(index)) throw new UsageError(`--index ${JSON.stringify(index)} is not a whole number`)
    if (!/^\d{1,5}$/.test(tail) || Number(tail) > 10_000) throw new UsageError(`--tail ${JSON.stringify(tail)}: a whole number up to 10000`)
    if (v.stdout === true && v.stderr === true) throw new UsageError('--stdout and --stderr: pick one, or neither for both')
    const query = new URLSearchParams({ index, tail })
    if (v.follow === true) query.set('follow', '1')
    if (v.stdout === true) query.set('stream', 'stdout')
    if (v.stderr === true) query.set('stream', 'stderr')
    if (typeof v.node === 'string') query.set('node', v.node)
    const name = args.positionals[0]
    const client = ApiClient.forDataDir(resolveDataDir(v['data-dir'] as string | undefined, io.env))
    const stop = new AbortController()
    const onSignal = (): void => { stop.abort() }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      for await (const raw of client.lines(`/v1/workloads/${encodeURIComponent(name)}/logs?${query.toString()}`, { signal: stop.signal })) {
        const item = raw as { stream?: string, line?: string, skipped?: number, error?: string, nodeName?: string, end?: boolean }
        if (typeof item.line === 'string') {
          if (item.stream === 'stderr') io.err(item.line)
          else io.out(item.line)
        } else if (typeof item.skipped === 'number') {
          io.err(`dreammesh logs: skipped ${item.skipped} line(s): this reader fell behind`)
        } else if (typeof item.error === 'string') {
          io.err(`dreammesh logs: ${item.error}`)
          return EXIT.failed
        } else if (typeof item.nodeName === 'string' && v.follow === true) {
          io.err(`(following ${name}#${index} on ${item.nodeName}; Ctrl-C stops)`)
        }
      }
      return EXIT.ok
    } finally {
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
    }
  }
}
