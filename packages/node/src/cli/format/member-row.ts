import type { MemberJson } from '../../api/types.js'

/** The columns of `status` and `members`. */
export const MEMBER_COLUMNS = ['NAME', 'ROLE', 'STATE', 'CPU', 'MEM', 'LOAD', 'LAST HEARD', 'RTT', 'ID']

/** One member as a table row; `self` is marked with a `*` after its name. */
export function memberRow (m: MemberJson, self = false): string[] {
  const r = resourcesOf(m)
  return [
    self ? `${m.name} *` : m.name,
    m.role,
    m.state,
    r?.cpuPercent === undefined ? '-' : `${r.cpuPercent.toFixed(0)}%`,
    r?.memUsedBytes === undefined || r.memTotalBytes === undefined ? '-' : `${gib(r.memUsedBytes)}/${gib(r.memTotalBytes)}G`,
    r?.load1 === undefined ? '-' : r.load1.toFixed(2),
    self ? '-' : m.lastHeardMs === null ? 'never' : ago(m.lastHeardMs),
    m.rttMs === null ? '-' : `${m.rttMs.toFixed(0)}ms`,
    m.id.length > 16 ? `…${m.id.slice(-12)}` : m.id
  ]
}

interface ResourceColumns { cpuPercent?: number, memUsedBytes?: number, memTotalBytes?: number, load1?: number }

function resourcesOf (m: MemberJson): ResourceColumns | undefined {
  return m.resources !== null && typeof m.resources === 'object' ? m.resources as ResourceColumns : undefined
}

function gib (bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1)
}

function ago (ms: number): string {
  if (ms < 1_000) return `${ms.toFixed(0)}ms ago`
  if (ms < 120_000) return `${(ms / 1_000).toFixed(0)}s ago`
  return `${(ms / 60_000).toFixed(0)}m ago`
}
