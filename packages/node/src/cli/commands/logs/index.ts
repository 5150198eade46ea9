import { ApiClient } from '../../../api/client.js'
import { MAX_TAIL_LINES } from '../../../logs/constants.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, UsageError, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

/** One NDJSON line of `GET /v1/workloads/W/logs` (api/logs-route.ts). */
interface LogsApiLine {
  stream?: string
  line?: string
  skipped?: number
  nodeName?: string
  running?: boolean
  end?: boolean
  error?: string
  code?: string
}

export const logs: Command = {
  name: 'logs',
  summary: 'print (and follow) an instance\'s output, from whichever node runs it',
  help: `usage: dreammesh logs W [-f] [--index I] [--tail N] [--stdout | --stderr] [--node NODE] [--data-dir DIR]

Prints the last lines of workload W's output, fetched over libp2p from the node that runs the instance, so
it works from any node: stdout lines on stdout, stderr lines on stderr. Each stream is kept in size-bounded
files on that node, and stays there after the instance ends (also after \`dreammesh stop W\`): by default the
node that runs it now is asked, else the one that ran it, else every node in turn; --node picks one.

With -f it then prints new lines as they come, until Ctrl-C or until the instance ends on that node. A
reader slower than the output is told how many lines it skipped; the node never queues more than a bound.

flags:
  -f, --follow      keep printing new lines
  --index I         which instance (default 0)
  --tail N          lines of history per stream (default 100, at most ${MAX_TAIL_LINES})
  --stdout          only stdout
  --stderr          only stderr
  --node NODE       read the logs kept on this node (a name or a peer id)
${COMMON_HELP}

examples:
  dreammesh logs web
  dreammesh logs web -f --tail 0
  dreammesh logs worker --index 2 --stderr --node server-3
  dreammesh logs web --tail 10000 | grep -c ERROR`,
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
    if (!/^\d{1,5}$/.test(tail) || Number(tail) > MAX_TAIL_LINES) throw new UsageError(`--tail ${JSON.stringify(tail)}: a whole number up to ${MAX_TAIL_LINES}`)
    if (v.stdout === true && v.stderr === true) throw new UsageError('--stdout and --stderr: pick one, or neither for both')
    const query = new URLSearchParams({ index, tail })
    if (v.follow === true) query.set('follow', '1')
    if (v.stdout === true) query.set('stream', 'stdout')
    if (v.stderr === true) query.set('stream', 'stderr')
    if (typeof v.node === 'string') query.set('node', v.node)
    const name = args.positionals[0]
    const instance = `${name}#${Number(index)}`
    const client = ApiClient.forDataDir(resolveDataDir(v['data-dir'] as string | undefined, io.env))
    // Ctrl-C ends a follow: the stream closes, the node frees its follower, and we exit 0.
    const stop = new AbortController()
    const onSignal = (): void => { stop.abort() }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      for await (const raw of client.lines(`/v1/workloads/${encodeURIComponent(name)}/logs?${query.toString()}`, { signal: stop.signal })) {
        const item = raw as LogsApiLine
        if (typeof item.line === 'string') {
          if (item.stream === 'stderr') io.err(item.line)
          else io.out(item.line)
        } else if (typeof item.skipped === 'number') {
          io.err(`dreammesh logs: skipped ${item.skipped} line(s) here: this reader fell behind`)
        } else if (typeof item.error === 'string') {
          io.err(`dreammesh logs: ${item.error}`)
          return EXIT.failed
        } else if (typeof item.nodeName === 'string' && v.follow === true) {
          io.err(item.running === false
            ? `(${instance} does not run on ${item.nodeName} now: its last lines only)`
            : `(following ${instance} on ${item.nodeName}; Ctrl-C stops)`)
        }
      }
      return EXIT.ok
    } finally {
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
    }
  }
}
