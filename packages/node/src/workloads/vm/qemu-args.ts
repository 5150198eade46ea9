import type { VmGuest } from '@dreammesh/protocols'

/** How a guest runs: hardware virtualisation, or qemu's portable (slower) translator. */
export type Accel = 'kvm' | 'tcg'

/** The qemu binary (Debian: qemu-system-x86). */
export const QEMU_BINARY = 'qemu-system-x86_64'
/**
 * TCG's translation cache, in MiB. qemu's default (1 GiB for a large guest) would be charged to the
 * instance's memory limit; 64 MiB keeps a small guest fast enough and its overhead bounded.
 */
export const TCG_CACHE_MB = 64
/** Memory qemu itself needs beyond the guest's RAM (device models, the translation cache), in MiB. */
export const QEMU_OVERHEAD_MB = 192

/**
 * The qemu command line for a guest. The serial console is the instance's stdout (so the guest's boot and
 * console land in its log), there is no display or monitor, and the guest's NIC is an e1000 (a driver every
 * OS has) on qemu's user-mode network, with the spec's ports forwarded from 127.0.0.1 on the host. A disk
 * image is opened read-write: a vm's disk is its state, on its node (it is not failed over).
 */
export function qemuArgs (guest: VmGuest, accel: Accel): string[] {
  const forwards = (guest.forward ?? []).map(f => `,hostfwd=tcp:127.0.0.1:${f.host}-:${f.guest}`).join('')
  const args = [
    '-nodefaults', '-no-reboot', '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-accel', accel === 'kvm' ? 'kvm' : `tcg,tb-size=${TCG_CACHE_MB}`,
    '-m', String(guest.memoryMb), '-smp', String(guest.cpus),
    '-netdev', `user,id=net0${forwards}`, '-device', 'e1000,netdev=net0'
  ]
  if ('image' in guest) return [...args, '-drive', `file=${guest.image},if=virtio`]
  args.push('-kernel', guest.kernel)
  if (guest.initrd !== undefined) args.push('-initrd', guest.initrd)
  // The console must be the serial port for the log to see it; the spec's own arguments come after.
  args.push('-append', ['console=ttyS0', guest.append ?? ''].join(' ').trim())
  return args
}

/** The memory limit of a guest's cgroup, in bytes: what the spec books, and at least guest + overhead. */
export function qemuMemoryBytes (guest: VmGuest, bookedBytes: number): number {
  return Math.max(bookedBytes, (guest.memoryMb + QEMU_OVERHEAD_MB) * 2 ** 20)
}
