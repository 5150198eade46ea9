import { LOGS_OPEN_TIMEOUT_MS, LOGS_SEARCH_BUDGET_MS, MAX_LOG_SEARCH_NODES } from './constants.js'
import type { LogReading } from './log-lines.js'
import type { LogService } from './log-service.js'
import { instanceName, LogsRefusedError, type LogItem, type LogsRequest } from './request.js'

/**
 * Which node to read an instance's logs from. The instance board says where it runs now, and where it ran
 * while its node still reports it; an instance that ended and was forgotten (its workload stopped, say) left
 * its log files on whichever node ran it, so the other members are asked in turn after that.
 */

/** An instance as the board reports it. */
export interface ReportedInstance { workload: string, index: number, state: string, node: string }
/** A member as membership sees it. */
export interface KnownMember { id: string, state: string, meta: { name?: string } }

/** States in which an instance runs, so its log grows. */
const RUNNING_STATES = new Set(['starting', 'running', 'unhealthy', 'stopping'])

/**
 * The nodes to ask, in order: those that run the instance now, those that report it otherwise, this node,
 * then every other live member; at most `max`.
 */
export function logCandidates (
  instances: ReportedInstance[], slot: { workload: string, index: number }, selfId: string, members: KnownMember[], max = MAX_LOG_SEARCH_NODES
): string[] {
  const reports = instances.filter(i => i.workload === slot.workload && i.index === slot.index)
  const live = members.filter(m => m.state === 'alive' || m.state === 'suspect').map(m => m.id).sort()
  const ordered = [
    ...reports.filter(i => RUNNING_STATES.has(i.state)).map(i => i.node),
    ...reports.map(i => i.node),
    selfId,
    ...live
  ]
  return [...new Set(ordered)].slice(0, max)
}

/** A read that one node accepted. */
export interface FoundLogs {
  node: string
  nodeName: string
  running: boolean
  lines: AsyncGenerator<LogItem>
}

/** The dependencies of `openInstanceLogs`: the node's LogService and what it knows of the cluster. */
export interface LogsLocator {
  service: Pick<LogService, 'open'>
  /** The instance board's reports. */
  instances: ReportedInstance[]
  selfId: string
  /** Every member this node knows, itself included (for names and liveness). */
  members: KnownMember[]
  /** The whole search, in ms. @default LOGS_SEARCH_BUDGET_MS */
  searchBudgetMs?: number
}

/**
 * Opens a read of an instance's logs: from `wanted` when given, else from the first candidate node that keeps
 * them (see logCandidates). Rejects with LogsRefusedError('unknown-instance') naming the nodes asked (and any
 * that could not be reached) when none does, or with the first other refusal (a node that keeps them but
 * serves too many followers, say).
 */
export async function openInstanceLogs (locator: LogsLocator, request: LogsRequest, wanted: string | undefined, signal: AbortSignal): Promise<FoundLogs> {
  const names = new Map(locator.members.map(m => [m.id, m.meta.name ?? m.id]))
  const nameOf = (id: string): string => names.get(id) ?? id
  const candidates = wanted !== undefined ? [wanted] : logCandidates(locator.instances, request, locator.selfId, locator.members)
  const asked: string[] = []
  const unreachable: string[] = []
  const deadline = performance.now() + (locator.searchBudgetMs ?? LOGS_SEARCH_BUDGET_MS)
  for (const node of candidates) {
    signal.throwIfAborted()
    const leftMs = Math.floor(deadline - performance.now())
    if (leftMs <= 0) {
      unreachable.push(`${nameOf(node)} (not asked: the search took its ${locator.searchBudgetMs ?? LOGS_SEARCH_BUDGET_MS} ms)`)
      continue
    }
    let reading: LogReading
    try {
      reading = await locator.service.open(node, request, signal, Math.min(LOGS_OPEN_TIMEOUT_MS, leftMs))
    } catch (err) {
      if (err instanceof LogsRefusedError) {
        if (err.code !== 'unknown-instance') throw new LogsRefusedError(err.code, `${nameOf(node)}: ${err.message}`)
        asked.push(nameOf(node))
        continue
      }
      if (wanted !== undefined) throw new Error(`could not read logs from ${nameOf(node)}: ${(err as Error).message}`)
      unreachable.push(`${nameOf(node)} (${(err as Error).message})`)
      continue
    }
    return { node, nodeName: nameOf(node), running: reading.running, lines: reading.items }
  }
  const missed = unreachable.length > 0 ? `; no answer from ${unreachable.join(', ')}` : ''
  if (wanted !== undefined) throw new LogsRefusedError('unknown-instance', `${nameOf(wanted)} keeps no logs of ${instanceName(request)}`)
  throw new LogsRefusedError('unknown-instance', `no node keeps logs of ${instanceName(request)} (asked ${asked.join(', ') || 'none'})${missed}`)
}
