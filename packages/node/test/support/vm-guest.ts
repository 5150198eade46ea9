import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** What a test guest needs from the host, or why it cannot have it. */
export function guestParts (): { kernel: string, busybox: string, e1000: string } | { missing: string } {
  const kernels = existsSync('/boot') ? readdirSync('/boot').filter(n => n.startsWith('vmlinuz-')).sort() : []
  const kernel = kernels.length > 0 ? join('/boot', kernels[kernels.length - 1]) : undefined
  if (kernel === undefined) return { missing: 'no /boot/vmlinuz-* (Debian: linux-image-amd64)' }
  const version = kernel.slice('/boot/vmlinuz-'.length)
  const e1000 = `/lib/modules/${version}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko`
  if (!existsSync(e1000)) return { missing: `no ${e1000} (the guest's NIC driver)` }
  if (!existsSync('/bin/busybox')) return { missing: 'no /bin/busybox (Debian: busybox-static)' }
  for (const tool of ['qemu-system-x86_64', 'cpio', 'gzip']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      return { missing: `no ${tool} (Debian: qemu-system-x86, cpio, gzip)` }
    }
  }
  return { kernel, busybox: '/bin/busybox', e1000 }
}

/** The line the guest prints once it serves. */
export const GUEST_READY = 'dreammesh-guest-ready'

/**
 * Builds, in `dir`, an initramfs for a tiny guest: busybox, the e1000 driver, and an /init that brings up
 * qemu's user-mode network (10.0.2.15) and serves `text` over HTTP on `port`. Returns its path.
 */
export function buildGuestInitramfs (dir: string, parts: { busybox: string, e1000: string }, port: number, text: string): string {
  const root = join(dir, 'root')
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'www']) mkdirSync(join(root, d), { recursive: true })
  copyFileSync(parts.busybox, join(root, 'bin', 'busybox'))
  chmodSync(join(root, 'bin', 'busybox'), 0o755)
  copyFileSync(parts.e1000, join(root, 'e1000.ko'))
  writeFileSync(join(root, 'www', 'index.html'), `${text}\n`)
  writeFileSync(join(root, 'init'), [
    '#!/bin/busybox sh',
    '/bin/busybox --install -s',
    'mount -t proc proc /proc',
    'mount -t sysfs sys /sys',
    'insmod /e1000.ko',
    'ip link set lo up',
    'ip link set eth0 up',
    'ip addr add 10.0.2.15/24 dev eth0',
    `echo ${GUEST_READY}`,
    `exec httpd -f -p ${port} -h /www`,
    ''
  ].join('\n'), { mode: 0o755 })
  const out = join(dir, 'initrd.gz')
  execFileSync('sh', ['-c', `cd ${JSON.stringify(root)} && find . | cpio -o -H newc --quiet | gzip -1 > ${JSON.stringify(out)}`])
  return out
}
