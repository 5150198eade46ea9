import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

/** What a test guest needs from the host, or why it cannot have it. */
export function guestParts (): { kernel: string, busybox: string, e1000: string } | { missing: string } {
  const kernels = existsSync('/boot') ? readdirSync('/boot').filter(n => n.startsWith('vmlinuz-')).sort() : []
  const kernel = kernels.length > 0 ? join('/boot', kernels[kernels.length - 1]) : undefined
  if (kernel === undefined) return { missing: 'no /boot/vmlinuz-* (Debian: linux-image-amd64)' }
  const version = kernel.slice('/boot/vmlinuz-'.length)
  const e1000 = `/lib/modules/${version}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko`
  if (!existsSync(e1000)) return { missing: `no ${e1000} (the guest's NIC driver; Debian: linux-image-amd64)` }
  if (!existsSync('/bin/busybox')) return { missing: 'no /bin/busybox (Debian: busybox-static)' }
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' })
  } catch {
    return { missing: 'no qemu-system-x86_64 (Debian: qemu-system-x86)' }
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
  const init = [
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
  ].join('\n')
  const entries: CpioEntry[] = [
    ...['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'www'].map(name => ({ name, mode: 0o040755 })),
    { name: 'bin/busybox', mode: 0o100755, data: readFileSync(parts.busybox) },
    { name: 'e1000.ko', mode: 0o100644, data: readFileSync(parts.e1000) },
    { name: 'www/index.html', mode: 0o100644, data: Buffer.from(`${text}\n`) },
    { name: 'init', mode: 0o100755, data: Buffer.from(init) }
  ]
  mkdirSync(dir, { recursive: true })
  const out = join(dir, 'initrd.gz')
  writeFileSync(out, gzipSync(newcArchive(entries), { level: 1 }))
  return out
}

interface CpioEntry { name: string, mode: number, data?: Buffer }

/**
 * A cpio archive in the "newc" format, the one the kernel unpacks as an initramfs: per entry a 110-byte
 * ASCII header, the NUL-terminated name and the data, each padded to 4 bytes; then the TRAILER!!! entry.
 * Written here so the test needs no cpio tool.
 */
function newcArchive (entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  const push = (b: Buffer): void => {
    parts.push(b)
    offset += b.length
    const pad = (4 - offset % 4) % 4
    if (pad > 0) { parts.push(Buffer.alloc(pad)); offset += pad }
  }
  const entry = (ino: number, e: CpioEntry): void => {
    const data = e.data ?? Buffer.alloc(0)
    const isDir = (e.mode & 0o170000) === 0o040000
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const fields = [ino, e.mode, 0, 0, isDir ? 2 : 1, 0, data.length, 0, 0, 0, 0, Buffer.byteLength(e.name) + 1, 0]
    push(Buffer.concat([Buffer.from('070701' + fields.map(f => f.toString(16).padStart(8, '0')).join('')), Buffer.from(`${e.name}\0`)]))
    if (data.length > 0) push(data)
  }
  entries.forEach((e, i) => { entry(i + 1, e) })
  entry(0, { name: 'TRAILER!!!', mode: 0 })
  return Buffer.concat(parts)
}
