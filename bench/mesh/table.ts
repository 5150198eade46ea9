/** The side-by-side table: metric | N | serf | dreammesh | target | met? */
import type { Row } from './targets.ts'

export function formatTable (rows: readonly Row[]): string {
  const head = ['metric', 'N', 'serf', 'dreammesh', 'target', 'met?']
  const cells = rows.map((r) => [r.metric, String(r.nodes), r.serf, r.dreammesh, r.target, r.met === undefined ? '-' : r.met ? 'yes' : 'NO'])
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: readonly string[]): string => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n')
}
