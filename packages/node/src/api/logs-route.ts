import type { IncomingMessage, ServerResponse } from 'node:http'
import { failure } from './reply.js'
import { resolveMember } from './resolve-member.js'
import { ambiguousName, fail, pathParam, unknownMember, WORKLOADS_OFF, type ApiContext } from './routes.js'

/**
 * `GET /v1/workloads/:name/logs?index=I&tail=N&follow=1&stream=stdout|stderr&node=NODE`: the instance's
 * log lines as NDJSON (`{ stream, line }`, `{ skipped }` when this reader fell behind, `{ end: true }`, or
 * `{ error }`), read over libp2p from the node that runs it (or ran it last), or from `node`.
 */
export async function workloadLogs (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
  const route = '/v1/workloads/:name/logs'
  const name = pathParam(ctx, res, route, raw, 'workload')
  if (name === undefined) return
  if (ctx.source.logs === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  const q = new URL(req.url ?? '', 'http://api.invalid').searchParams
  const index = Number(q.get('index') ?? '0')
  const tail = Number(q.get('tail') ?? '100')
  const stream = q.get('stream')
  if (!Number.isSafeInteger(index) || index < 0) return fail(ctx, res, route, failure(400, 'bad-query', 'index is a whole number'))
  if (!Number.isSafeInteger(tail) || tail < 0) return fail(ctx, res, route, failure(400, 'bad-query', 'tail is a whole number of lines'))
  if (stream !== null && stream !== 'stdout' && stream !== 'stderr') return fail(ctx, res, route, failure(400, 'bad-query', 'stream is stdout or stderr'))
  let node: string | undefined
  const wanted = q.get('node')
  if (wanted !== null) {
    const r = resolveMember([ctx.source.self(), ...ctx.source.members()], wanted)
    if (r.kind === 'ambiguous') return fail(ctx, res, route, ambiguousName(wanted, r.candidates))
    if (r.kind === 'unknown') return fail(ctx, res, route, unknownMember(wanted))
    node = r.member.id
  }
  const abort = new AbortController()
  res.once('close', () => { abort.abort() })
  let opened
  try {
    opened = await ctx.source.logs(name, { index, tail, follow: q.get('follow') === '1', streams: stream === null ? ['stdout', 'stderr'] : [stream] }, node, abort.signal)
  } catch (err) {
    return fail(ctx, res, route, failure(400, 'logs-refused', (err as Error).message))
  }
  if (opened === undefined) return fail(ctx, res, route, failure(404, 'unknown-workload', `no workload is called ${JSON.stringify(name)}`))
  ctx.metrics.requests.inc({ route, status: '200' })
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' })
  res.write(`${JSON.stringify({ node: opened.node, nodeName: opened.nodeName })}\n`)
  try {
    for await (const item of opened.lines) {
      if (!res.write(`${JSON.stringify(item)}\n`)) await new Promise(resolve => res.once('drain', resolve))
      if (abort.signal.aborted) return
    }
    res.end(`${JSON.stringify({ end: true })}\n`)
  } catch (err) {
    if (!abort.signal.aborted) res.end(`${JSON.stringify({ error: (err as Error).message })}\n`)
  }
}
