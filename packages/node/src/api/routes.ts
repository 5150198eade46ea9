import type { IncomingMessage, ServerResponse } from 'node:http'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Registry } from 'prom-client'
import { MAX_REQUEST_BODY_BYTES } from './constants.js'
import { EventStream } from './event-stream.js'
import type { RequestGuard } from './guard.js'
import type { ApiMetrics } from './metrics.js'
import { changeVoters, listVoters } from './voters-routes.js'
import { workloadLogs } from './logs-route.js'
import { drainMember, inspectWorkload, leaveSlot, moveWorkload, scaleWorkload } from './operations-routes.js'
import { failure, readBody, sendJson, sendText, type Failure } from './reply.js'
import { resolveMember } from './resolve-member.js'
import type { ApiErrorBody, ApiSource, MemberJson } from './types.js'

/** What every listener's handler shares. */
export interface ApiContext {
  source: ApiSource
  registry: Registry
  metrics: ApiMetrics
  /** Open event streams, so `close()` can end them. */
  streams: Set<EventStream>
  maxEventStreams: number
  maxEventBacklog: number
  heartbeatIntervalMs: number
  overflowFlushTimeoutMs: number
  warn: (message: string) => void
}

type Handler = (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, params: string[], body: Buffer) => Promise<void> | void

interface Route {
  /** The route's label in `dreammesh_api_requests_total`: a template, so the label set stays bounded. */
  template: string
  pattern: RegExp
  method: 'GET' | 'POST'
  handle: Handler
}

/** The route label of requests that match no route, and of requests too malformed to route. */
const UNKNOWN_ROUTE = 'unknown'

const ROUTES: Route[] = [
  { template: '/v1/self', pattern: /^\/v1\/self$/, method: 'GET', handle: (ctx, _req, res) => { ok(ctx, res, '/v1/self', ctx.source.self()) } },
  { template: '/v1/members', pattern: /^\/v1\/members$/, method: 'GET', handle: (ctx, _req, res) => { ok(ctx, res, '/v1/members', ctx.source.members()) } },
  { template: '/v1/members/:id', pattern: /^\/v1\/members\/([^/]+)$/, method: 'GET', handle: member },
  { template: '/v1/events', pattern: /^\/v1\/events$/, method: 'GET', handle: events },
  { template: '/v1/leave', pattern: /^\/v1\/leave$/, method: 'POST', handle: leave },
  { template: '/v1/members/:id/revoke', pattern: /^\/v1\/members\/([^/]+)\/revoke$/, method: 'POST', handle: revoke },
  { template: '/v1/workloads', pattern: /^\/v1\/workloads$/, method: 'GET', handle: (ctx, _req, res) => { listWorkloads(ctx, res) } },
  { template: '/v1/workloads', pattern: /^\/v1\/workloads$/, method: 'POST', handle: runWorkload },
  { template: '/v1/workloads/:name/stop', pattern: /^\/v1\/workloads\/([^/]+)\/stop$/, method: 'POST', handle: stopWorkload },
  { template: '/v1/workloads/:name/logs', pattern: /^\/v1\/workloads\/([^/]+)\/logs$/, method: 'GET', handle: workloadLogs },
  { template: '/v1/workloads/:name', pattern: /^\/v1\/workloads\/([^/]+)$/, method: 'GET', handle: inspectWorkload },
  { template: '/v1/workloads/:name/move', pattern: /^\/v1\/workloads\/([^/]+)\/move$/, method: 'POST', handle: moveWorkload },
  { template: '/v1/workloads/:name/leave', pattern: /^\/v1\/workloads\/([^/]+)\/leave$/, method: 'POST', handle: leaveSlot },
  { template: '/v1/workloads/:name/scale', pattern: /^\/v1\/workloads\/([^/]+)\/scale$/, method: 'POST', handle: scaleWorkload },
  { template: '/v1/voters', pattern: /^\/v1\/voters$/, method: 'GET', handle: listVoters },
  { template: '/v1/voters', pattern: /^\/v1\/voters$/, method: 'POST', handle: changeVoters },
  { template: '/v1/members/:id/drain', pattern: /^\/v1\/members\/([^/]+)\/drain$/, method: 'POST', handle: drainMember },
  { template: '/metrics', pattern: /^\/metrics$/, method: 'GET', handle: metrics }
]

/** The request handler of one listener: route, guard, method, body bound, then the endpoint. */
export function createRequestHandler (ctx: ApiContext, guard: RequestGuard): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, guard, req, res).catch(err => {
      ctx.warn(`local API: ${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`)
      res.destroy()
    })
  }
}

async function handle (ctx: ApiContext, guard: RequestGuard, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let pathname: string
  try {
    pathname = new URL(req.url ?? '', 'http://api.invalid').pathname
  } catch {
    return fail(ctx, res, UNKNOWN_ROUTE, failure(400, 'bad-url', `cannot parse the request target ${JSON.stringify(req.url)}`))
  }
  const matches = ROUTES.map(route => ({ route, match: route.pattern.exec(pathname) })).filter(m => m.match !== null)
  if (matches.length === 0) {
    return fail(ctx, res, UNKNOWN_ROUTE, failure(404, 'unknown-route', `no such endpoint: ${pathname} (see GET /v1/self, /v1/members, /v1/members/:id, /v1/events, /metrics; POST /v1/leave, /v1/members/:id/revoke; GET and POST /v1/workloads, POST /v1/workloads/:name/stop, /move, /scale; GET /v1/workloads/:name; POST /v1/members/:id/drain)`))
  }
  const template = matches[0].route.template
  const denied = guard(req)
  if (denied !== undefined) return fail(ctx, res, template, denied)
  const found = matches.find(m => m.route.method === req.method)
  if (found === undefined) {
    const allow = matches.map(m => m.route.method).join(', ')
    return fail(ctx, res, template, failure(405, 'method-not-allowed', `${pathname} takes ${allow}, not ${req.method}`, { Allow: allow }))
  }
  const body = await readBody(req, MAX_REQUEST_BODY_BYTES)
  if (body === 'too-large') {
    // The rest of the body is never read, so this connection cannot carry another request.
    return fail(ctx, res, template, failure(413, 'body-too-large', `the request body exceeds MAX_REQUEST_BODY_BYTES (${MAX_REQUEST_BODY_BYTES} bytes)`, { Connection: 'close' }))
  }
  try {
    await found.route.handle(ctx, req, res, (found.match as RegExpExecArray).slice(1), body)
  } catch (err) {
    // The source is the node's code: whatever it throws is answered and logged, never a crash.
    ctx.warn(`local API: ${req.method} ${pathname} failed: ${(err as Error).stack ?? String(err)}`)
    if (res.headersSent) res.destroy()
    else fail(ctx, res, template, failure(500, 'internal', `internal error: ${(err as Error).message}`))
  }
}

/** A path parameter, percent-decoded; undefined (answered 400) when the encoding is broken. */
export function pathParam (ctx: ApiContext, res: ServerResponse, route: string, raw: string, what: string): string | undefined {
  try {
    return decodeURIComponent(raw)
  } catch {
    fail(ctx, res, route, failure(400, 'bad-url', `the ${what} ${JSON.stringify(raw)} is not valid percent-encoding`))
    return undefined
  }
}

/** 409 for a name several members share: reported with the candidates, never guessed. */
export function ambiguousName (wanted: string, candidates: readonly MemberJson[]): Failure {
  const listed = candidates.map(m => `${m.id} (${m.state})`).join(', ')
  const body: ApiErrorBody = {
    error: `the name ${JSON.stringify(wanted)} is shared by ${candidates.length} members: ${listed}; use a peer id`,
    code: 'ambiguous-name',
    candidates: candidates.map(m => ({ id: m.id, name: m.name, state: m.state }))
  }
  return { status: 409, body }
}

export function unknownMember (wanted: string): Failure {
  return failure(404, 'unknown-member', `no member has the peer id or name ${JSON.stringify(wanted)}`)
}

function member (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, [raw]: string[]): void {
  const route = '/v1/members/:id'
  const wanted = pathParam(ctx, res, route, raw, 'member')
  if (wanted === undefined) return
  const resolution = resolveMember([ctx.source.self(), ...ctx.source.members()], wanted)
  if (resolution.kind === 'found') return ok(ctx, res, route, resolution.member)
  fail(ctx, res, route, resolution.kind === 'unknown' ? unknownMember(wanted) : ambiguousName(wanted, resolution.candidates))
}

/** The longest revocation reason kept, in characters (it travels in the desired state). */
const MAX_REVOKE_REASON_CHARS = 200

async function revoke (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
  const route = '/v1/members/:id/revoke'
  const wanted = pathParam(ctx, res, route, raw, 'member')
  if (wanted === undefined) return
  const query = new URL(req.url ?? '', 'http://api.invalid').searchParams
  const reason = (query.get('reason') ?? 'revoked').slice(0, MAX_REVOKE_REASON_CHARS)
  const self = ctx.source.self()
  const resolution = resolveMember([self, ...ctx.source.members()], wanted)
  if (query.get('undo') === '1') {
    const id = resolution.kind === 'found' ? resolution.member.id : wanted
    if (resolution.kind === 'ambiguous') return fail(ctx, res, route, ambiguousName(wanted, resolution.candidates))
    if (resolution.kind === 'unknown' && !isPeerId(wanted)) return fail(ctx, res, route, unknownMember(wanted))
    if (ctx.source.allow === undefined) return fail(ctx, res, route, failure(409, 'allow-off', 'this node cannot change the deny list'))
    if (!await ctx.source.allow(id)) return fail(ctx, res, route, failure(404, 'not-revoked', `${wanted} is not on the deny list`))
    return ok(ctx, res, route, { allowed: id })
  }
  if (resolution.kind === 'ambiguous') return fail(ctx, res, route, ambiguousName(wanted, resolution.candidates))
  // An unknown peer id may still be revoked (a machine lost before it ever joined); an unknown name may not.
  const id = resolution.kind === 'found' ? resolution.member.id : wanted
  if (resolution.kind === 'unknown' && !isPeerId(wanted)) return fail(ctx, res, route, unknownMember(wanted))
  if (id === self.id) return fail(ctx, res, route, failure(400, 'revoke-self', 'a node cannot revoke itself; revoke it from another member'))
  try {
    await ctx.source.revoke(id, reason)
  } catch (err) {
    return fail(ctx, res, route, failure(400, 'revoke-refused', (err as Error).message))
  }
  ok(ctx, res, route, { revoked: id, reason })
}

function isPeerId (text: string): boolean {
  try {
    peerIdFromString(text)
    return true
  } catch {
    return false
  }
}

export const WORKLOADS_OFF = failure(409, 'workloads-off', 'this node does not run workloads (started without them)')

function listWorkloads (ctx: ApiContext, res: ServerResponse): void {
  const workloads = ctx.source.workloads?.()
  if (workloads === undefined) return fail(ctx, res, '/v1/workloads', WORKLOADS_OFF)
  ok(ctx, res, '/v1/workloads', workloads)
}

async function runWorkload (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, _params: string[], body: Buffer): Promise<void> {
  const route = '/v1/workloads'
  let spec: unknown
  try {
    spec = JSON.parse(body.toString('utf8'))
  } catch (err) {
    return fail(ctx, res, route, failure(400, 'bad-json', `the body is not JSON: ${(err as Error).message}`))
  }
  if (ctx.source.run === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  const result = await ctx.source.run(spec)
  if (!result.ok) return fail(ctx, res, route, { status: 400, body: { error: `the workload spec has ${result.problems.length} problem(s):\n  ${result.problems.join('\n  ')}`, code: 'bad-spec', problems: result.problems } })
  ok(ctx, res, route, result.value)
}

async function stopWorkload (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
  const route = '/v1/workloads/:name/stop'
  const name = pathParam(ctx, res, route, raw, 'workload')
  if (name === undefined) return
  if (ctx.source.stopWorkload === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  if (!await ctx.source.stopWorkload(name)) return fail(ctx, res, route, failure(404, 'unknown-workload', `no workload is called ${JSON.stringify(name)}`))
  ok(ctx, res, route, { stopped: name })
}

function events (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse): void {
  const route = '/v1/events'
  if (ctx.streams.size >= ctx.maxEventStreams) {
    return fail(ctx, res, route, failure(503, 'too-many-streams', `this node already serves MAX_EVENT_STREAMS (${ctx.maxEventStreams}) event streams`))
  }
  ctx.metrics.requests.inc({ route, status: '200' })
  const stream = new EventStream(res, {
    maxEventBacklog: ctx.maxEventBacklog,
    heartbeatIntervalMs: ctx.heartbeatIntervalMs,
    overflowFlushTimeoutMs: ctx.overflowFlushTimeoutMs,
    onOverflow: () => {
      ctx.metrics.eventOverflows.inc()
      ctx.warn(`local API: an event client fell more than ${ctx.maxEventBacklog} events behind; its stream was closed`)
    }
  })
  ctx.streams.add(stream)
  ctx.metrics.eventStreams.inc()
  const unsubscribe = ctx.source.subscribe(event => { stream.push(event) })
  res.once('close', () => {
    unsubscribe()
    ctx.streams.delete(stream)
    ctx.metrics.eventStreams.dec()
  })
}

function leave (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse): void {
  ctx.metrics.requests.inc({ route: '/v1/leave', status: '202' })
  // Answer first: leaving stops the node, and stopping it closes this server.
  sendJson(res, 202, { leaving: true }, {}, () => {
    ctx.source.leave().catch(err => { ctx.warn(`local API: leave failed: ${(err as Error).message}`) })
  })
}

async function metrics (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await ctx.registry.metrics()
  ctx.metrics.requests.inc({ route: '/metrics', status: '200' })
  sendText(res, 200, ctx.registry.contentType, text)
}

export function ok (ctx: ApiContext, res: ServerResponse, route: string, value: unknown): void {
  ctx.metrics.requests.inc({ route, status: '200' })
  sendJson(res, 200, value)
}

export function fail (ctx: ApiContext, res: ServerResponse, route: string, f: Failure): void {
  ctx.metrics.requests.inc({ route, status: String(f.status) })
  sendJson(res, f.status, f.body, f.headers)
}
