/**
 * Whether this machine can run namespace tests: root, and `ip` (iproute2) and `nft` (nftables) on the PATH.
 * A test skips with the reason, so a machine without root still runs the rest of the suite.
 */
import { spawnSync } from 'node:child_process'

/** The reason namespace tests cannot run here, or undefined when they can. */
export function requireNetns (): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespace tests need root (ip netns, veth, nftables)'
  for (const [tool, pkg] of [['ip', 'iproute2'], ['nft', 'nftables']] as const) {
    const r = spawnSync(tool, ['-V'], { stdio: 'ignore' })
    if (r.error !== undefined || r.status !== 0) return `\`${tool}\` is missing (Debian package ${pkg})`
  }
  return undefined
}

/** For mocha: `before(function () { skipWithoutNetns(this) })` skips the suite, saying why. */
export function skipWithoutNetns (ctx: Mocha.Context): void {
  const reason = requireNetns()
  if (reason === undefined) return
  console.log(`    skipped: ${reason}`)
  ctx.skip()
}
