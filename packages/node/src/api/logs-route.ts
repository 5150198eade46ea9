import type { IncomingMessage, ServerResponse } from 'node:http'
import { LogsRefusedError, MAX_TAIL_LINES } from '../logs/index.js'
import { failure, type Failure } from './reply.js'
import { resolveMember } from './resolve-member.js'
import { ambiguousName, fail, pathParam, unknownMember, WORKLOADS_OFF, type ApiContext } from './routes.js'

const ROUTE = '/v1/workloads/:name/logs'

/**
 * `GET /v1/workloads/:name/logs?index=I&tail=N&follow=1&stream=stdout|stderr&node=NODE`: an instance's log
 * lines as NDJSON, read over libp2p from the node that runs it (or ran it), or from `node`
 * (docs/protocol/logs.md, "The local API"). A first line `{ node, nodeName, index, running }` says where they
 * come from; then `{ stream, line, node, index }` per line, `{ skipped, node, index }` where this reader fell
 * behind, and last `{ end: true }` or `{ error, code }`. Refusals before the first line are HTTP errors: 404
 * when no node keeps logs of the instance.
 */
export async function workloadLogs (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
  const name = pathParam(ctx, res, ROUTE, raw, 'workload')
  if (name === undefined) return
  if (ctx.source.logs === undefined) return fail(ctx, res, ROUTE, WORKLOADS_OFF)
  const q = new URL(req.url ?? '', 'http://api.invalid').searchParams
  const index = wholeNumber(q.get('index'), 0)
  const tail = wholeNumber(q.get('tail'), 100)
  const stream = q.get('stream')
  const follow = q.get('follow')
  if (index === undefined) return fail(ctx, res, ROUTE, failure(400, 'bad-query', 'index is a whole number'))
  if (tail === undefined || tail > MAX_TAIL_LINES) return fail(ctx, res, ROUTE, failure(400, 'bad-query', `tail is a whole number of lines, at most ${MAX_TAIL_LINES}`))
  if (stream !== null && stream !== 'stdout' && stream !== 'stderr') return fail(ctx, res, ROUTE, failure(400, 'bad-query', 'stream is stdout or stderr'))
  if (follow !== null && !['0', '1', 'true', 'false'].includes(follow)) return fail(ctx, res, ROUTE, failure(400, 'bad-query', 'follow is 1 or 0'))
  let node: string | undefined
  const wanted = q.get('node')
  if (wanted !== null) {
    const r = resolveMember([ctx.source.self(), ...ctx.source.members()], wanted)
    if (r.kind === 'ambiguous') return fail(ctx, res, ROUTE, ambiguousName(wanted, r.candidates))
    if (r.kind === 'unknown') return fail(ctx, res, ROUTE, unknownMember(wanted))
    node = r.member.id
  }
  const abort = new AbortController()
  res.once('close', () => { abort.abort() })
  const streams: Array<'stdout' | 'stderr'> = stream === null ? ['stdout', 'stderr'] : [stream]
  const request = { index, tail, follow: follow === '1' || follow === 'true', streams }
  let opened
  try {
    opened = await ctx.source.logs(name, request, node, abort.signal)
  } catch (err) {
    if (abort.signal.aborted) return
    return fail(ctx, res, ROUTE, refused(ctx, name, err as Error))
  }
  if (opened === undefined) return fail(ctx, res, ROUTE, failure(404, 'unknown-workload', `no workload is called ${JSON.stringify(name)}`))
  ctx.metrics.requests.inc({ route: ROUTE, status: '200' })
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' })
  const where = { node: opened.node, index }
  res.write(`${JSON.stringify({ node: opened.node, nodeName: opened.nodeName, index, running: opened.running })}\n`)
  try {
    for await (const item of opened.lines) {
      if (abort.signal.aborted) return
      // The client reads slower than the lines come: stop pulling, so the node's bounded queue takes the excess.
      if (!res.write(`${JSON.stringify({ ...item, ...where })}\n`)) await drained(res)
    }
    res.end(`${JSON.stringify({ end: true })}\n`)
  } catch (err) {
    if (abort.signal.aborted) return
    const code = err instanceof LogsRefusedError ? err.code : 'logs-failed'
    res.end(`${JSON.stringify({ error: (err as Error).message, code })}\n`)
  }
}

/** The HTTP answer to a read no node accepted. */
function refused (ctx: ApiContext, name: string, err: Error): Failure {
  if (!(err instanceof LogsRefusedError)) return failure(502, 'logs-unreachable', err.message)
  if (err.code === 'unknown-instance') {
    const exists = ctx.source.workloads?.().some(w => w.name === name) === true
    return failure(404, 'unknown-instance', exists ? err.message : `no workload is called ${JSON.stringify(name)}, and ${err.message}`)
  }
  if (err.code === 'too-many-followers') return failure(503, err.code, err.message)
  return failure(400, err.code, err.message)
}

/** A query's whole number, `fallback` when absent, undefined when it is not one. */
function wholeNumber (text: string | null, fallback: number): number | undefined {
  if (text === null) return fallback
  if (!/^\d{1,9}$/.test(text)) return undefined
  return Number(text)
}

/** Resolves when the response can take more, or is gone. */
async function drained (res: ServerResponse): Promise<void> {
  await new Promise<void>(resolve => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}
