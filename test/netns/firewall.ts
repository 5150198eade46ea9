/**
 * Partitions with nftables: each namespace of one side gets a table of its own that drops every packet from
 * or to the other side's addresses, on input and output. The tables live inside the namespaces, so nothing
 * touches the root namespace's ruleset, and deleting a namespace deletes its table.
 *
 * Dropping (not rejecting) is deliberate: a real partition sends no RST or ICMP, so peers only learn of it
 * by timeouts, as they would on a real LAN.
 */
import { nftIn, tryRun } from './ip.ts'

/** The name of our table in each namespace; `inet` so the same table covers IPv4 and IPv6. */
export const PARTITION_TABLE = 'dmt_partition'

/** The ruleset that cuts `ns` off from `blocked` (IPv4 addresses). Replaces any earlier one. */
export function blockRuleset (blocked: readonly string[]): string {
  return [
    `table inet ${PARTITION_TABLE} {`,
    '  set blocked {',
    '    type ipv4_addr',
    `    elements = { ${blocked.join(', ')} }`,
    '  }',
    '  chain ingress_drop {',
    '    type filter hook input priority -10; policy accept;',
    '    ip saddr @blocked drop',
    '  }',
    '  chain egress_drop {',
    '    type filter hook output priority -10; policy accept;',
    '    ip daddr @blocked drop',
    '  }',
    '}',
    ''
  ].join('\n')
}

/** Installs (or replaces) the drop table in `ns`. */
export function block (ns: string, blocked: readonly string[]): void {
  unblock(ns)
  if (blocked.length > 0) nftIn(ns, blockRuleset(blocked))
}

/** Removes the drop table from `ns`, if there is one. */
export function unblock (ns: string): void {
  tryRun('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', PARTITION_TABLE])
}

/** The tables present in `ns` (for tests that check clean-up). */
export function tablesIn (ns: string): string[] {
  return tryRun('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables']).stdout.split('\n').filter((l) => l.trim() !== '')
}
