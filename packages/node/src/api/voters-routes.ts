import type { IncomingMessage, ServerResponse } from 'node:http'
import { failure } from './reply.js'
import { resolveMember } from './resolve-member.js'
import { ambiguousName, fail, ok, unknownMember, type ApiContext } from './routes.js'

/**
 * The lease voters (ADR 0009): `GET /v1/voters` lists them, `POST /v1/voters { add, remove }` changes the
 * list in the desired state. Each lease machine then walks from the old list to the new one a member at a
 * time, each step through a quorum of the list before it, so a change never needs every voter up.
 */

export function listVoters (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse): void {
  if (ctx.source.voters === undefined) return fail(ctx, res, '/v1/voters', failure(409, 'voters-off', 'this node does not run workloads'))
  ok(ctx, res, '/v1/voters', ctx.source.voters())
}

export async function changeVoters (ctx: ApiContext, _req: IncomingMessage, res: ServerResponse, _params: string[], body: Buffer): Promise<void> {
  const route = '/v1/voters'
  if (ctx.source.voters === undefined || ctx.source.setVoters === undefined) return fail(ctx, res, route, failure(409, 'voters-off', 'this node does not run workloads'))
  let b: { add?: unknown, remove?: unknown }
  try {
    b = JSON.parse(body.toString('utf8')) as typeof b
  } catch (err) {
    return fail(ctx, res, route, failure(400, 'bad-json', `the body is not JSON: ${(err as Error).message}`))
  }
  const names = (v: unknown): string[] | undefined => v === undefined ? [] : Array.isArray(v) && v.every(x => typeof x === 'string') ? v as string[] : undefined
  const add = names(b?.add)
  const remove = names(b?.remove)
  if (add === undefined || remove === undefined) return fail(ctx, res, route, failure(400, 'bad-body', 'the body is { "add": [NAME or peer id, ...], "remove": [...] }'))
  const members = [ctx.source.self(), ...ctx.source.members()]
  const current = ctx.source.voters().voters.map(v => v.id)
  const next = new Set(current)
  for (const wanted of add) {
    const r = resolveMember(members, wanted)
    if (r.kind === 'ambiguous') return fail(ctx, res, route, ambiguousName(wanted, r.candidates))
    if (r.kind === 'unknown') return fail(ctx, res, route, unknownMember(wanted))
    if (r.member.role !== 'server') return fail(ctx, res, route, failure(400, 'not-a-server', `${wanted} is a ${r.member.role}; only servers vote on leases (they stay up)`))
    next.add(r.member.id)
  }
  for (const wanted of remove) {
    const r = resolveMember(members, wanted)
    if (r.kind === 'ambiguous') return fail(ctx, res, route, ambiguousName(wanted, r.candidates))
    const id = r.kind === 'found' ? r.member.id : wanted
    if (!next.has(id)) return fail(ctx, res, route, failure(404, 'not-a-voter', `${wanted} is not a voter`))
    next.delete(id)
  }
  if (next.size === 0) return fail(ctx, res, route, failure(400, 'no-voters', 'at least one voter must remain, or nothing could be leased'))
  try {
    await ctx.source.setVoters([...next])
  } catch (err) {
    return fail(ctx, res, route, failure(400, 'voters-refused', (err as Error).message))
  }
  ok(ctx, res, route, ctx.source.voters())
}
