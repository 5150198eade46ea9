import type { IncomingMessage, ServerResponse } from 'node:http'
import { failure } from './reply.js'
import { resolveMember } from './resolve-member.js'
import { ambiguousName, fail, ok, pathParam, unknownMember, WORKLOADS_OFF, type ApiContext } from './routes.js'

/**
 * Operations on running workloads: drain a node, move a slot, scale a cluster-aware workload, inspect one.
 * Each writes the desired state (fsynced before the answer) or reads this node's view; none waits for the
 * cluster to act, so the CLI follows progress itself.
 */

/** Resolves a member by name or peer id for an operation; answers the error itself and returns undefined. */
function member (ctx: ApiContext, res: ServerResponse, route: string, wanted: string): string | undefined {
  const resolution = resolveMember([ctx.source.self(), ...ctx.source.members()], wanted)
  if (resolution.kind === 'ambiguous') { fail(ctx, res, route, ambiguousName(wanted, resolution.candidates)); return undefined }
  if (resolution.kind === 'unknown') { fail(ctx, res, route, unknownMember(wanted)); return undefined }
  return resolution.member.id
}

function jsonBody (ctx: ApiContext, res: ServerResponse, route: string, body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = body.byteLength === 0 ? {} : JSON.parse(body.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
    fail(ctx, res, route, failure(400, 'bad-body', 'the body is a JSON object'))
  } catch (err) {
    fail(ctx, res, route, failure(400, 'bad-json', `the body is not JSON: ${(err as Error).message}`))
  }
  return undefined
}

function knownWorkload (ctx: ApiContext, res: ServerResponse, route: string, name: string): boolean {
  if (ctx.source.workloads?.().some(w => w.name === name) === true) return true
  fail(ctx, res, route, failure(404, 'unknown-workload', `no workload is called ${JSON.stringify(name)}`))
  return false
}

export async function drainMember (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
  const route = '/v1/members/:id/drain'
  const wanted = pathParam(ctx, res, route, raw, 'member')
  if (wanted === undefined) return
  if (ctx.source.drain === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  const id = member(ctx, res, route, wanted)
  if (id === undefined) return
  const undo = new URL(req.url ?? '', 'http://api.invalid').searchParams.get('undo') === '1'
  await ctx.source.drain(id, !undo)
  ok(ctx, res, route, { node: id, draining: !undo })
}

export async function moveWorkload (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, [raw]: string[], body: Buffer): Promise<void> {
  const route = '/v1/workloads/:name/move'
  const name = pathParam(ctx, res, route, raw, 'workload')
  if (name === undefined) return
  if (ctx.source.move === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  const b = jsonBody(ctx, res, route, body)
  if (b === undefined || !knownWorkload(ctx, res, route, name)) return
  const index = b.index ?? 0
  if (typeof b.to !== 'string') return fail(ctx, res, route, failure(400, 'bad-body', 'the body names the target node: { "to": NAME or peer id }'))
  if (!Number.isInteger(index) || (index as number) < 0) return fail(ctx, res, route, failure(400, 'bad-body', '"index" is a whole number'))
  if (b.fresh !== undefined && typeof b.fresh !== 'boolean') return fail(ctx, res, route, failure(400, 'bad-body', '"fresh" is true or false'))
  const to = member(ctx, res, route, b.to)
  if (to === undefined) return
  await ctx.source.move(name, index as number, to, b.fresh === true)
  ok(ctx, res, route, { workload: name, index, to })
}

export async function scaleWorkload (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, [raw]: string[], body: Buffer): Promise<void> {
  const route = '/v1/workloads/:name/scale'
  const name = pathParam(ctx, res, route, raw, 'workload')
  if (name === undefined) return
  if (ctx.source.scale === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  const b = jsonBody(ctx, res, route, body)
  if (b === undefined || !knownWorkload(ctx, res, route, name)) return
  if (!Number.isInteger(b.instances) || (b.instances as number) < 0) return fail(ctx, res, route, failure(400, 'bad-body', 'the body is { "instances": N }, a whole number'))
  const kind = ctx.source.workloads?.().find(w => w.name === name)?.kind
  if (kind !== 'cluster-aware') return fail(ctx, res, route, failure(400, 'not-scalable', `${name} is a ${String(kind)} workload; only cluster-aware workloads scale (a replicated one changes its replicas with \`run\`)`))
  try {
    await ctx.source.scale(name, b.instances as number)
  } catch (err) {
    return fail(ctx, res, route, failure(400, 'scale-refused', (err as Error).message))
  }
  ok(ctx, res, route, { workload: name, instances: b.instances })
}

export async function inspectWorkload (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
  const route = '/v1/workloads/:name'
  const name = pathParam(ctx, res, route, raw, 'workload')
  if (name === undefined) return
  if (ctx.source.inspect === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  const detail = await ctx.source.inspect(name)
  if (detail === undefined) return fail(ctx, res, route, failure(404, 'unknown-workload', `no workload is called ${JSON.stringify(name)}`))
  ok(ctx, res, route, detail)
}

export async function leaveSlot (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, [raw]: string[], body: Buffer): Promise<void> {
  const route = '/v1/workloads/:name/leave'
  const name = pathParam(ctx, res, route, raw, 'workload')
  if (name === undefined) return
  if (ctx.source.leaveSlot === undefined) return fail(ctx, res, route, WORKLOADS_OFF)
  const b = jsonBody(ctx, res, route, body)
  if (b === undefined || !knownWorkload(ctx, res, route, name)) return
  if (!Number.isInteger(b.index) || (b.index as number) < 0) return fail(ctx, res, route, failure(400, 'bad-body', 'the body is { "index": I, "node"?: NAME or peer id }'))
  const node = member(ctx, res, route, typeof b.node === 'string' ? b.node : ctx.source.self().id)
  if (node === undefined) return
  const to = await ctx.source.leaveSlot(name, b.index as number, node)
  if (to === undefined) return fail(ctx, res, route, failure(409, 'nowhere-else', `no other node can run ${name}#${String(b.index)} now; it stays where it is`))
  ok(ctx, res, route, { workload: name, index: b.index, from: node, to })
}
