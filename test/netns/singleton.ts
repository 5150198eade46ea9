/**
 * A singleton HTTP service run by `dreammesh` servers in a LAN's namespaces, as the workload tests see it:
 * where it runs by `ps --json`, whether it answers from inside a namespace, and how many of its processes
 * live anywhere (from /proc, so a copy its agent lost counts too).
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { Lan } from './lan.ts'
import { runCli, type MeshProcess } from './dreammesh.ts'

export const HTTP_PORT = 8080

export interface PsJson { name: string, instances: Array<{ node: string, state: string, pid: number | null, epoch: number, since: string }> }

/** Where a workload runs, as one member reports it. */
export interface RunningAt { holder: number, pid: number | null, since: string, epoch: number }

export class SingletonService {
  /** Marks the service's processes (this test process, this service), so they can be counted wherever they run. */
  readonly marker: string

  private readonly lan: Lan
  private readonly nodes: MeshProcess[]
  readonly name: string

  constructor (lan: Lan, nodes: MeshProcess[], name = 'web') {
    this.lan = lan
    this.nodes = nodes
    this.name = name
    this.marker = `dreammesh-singleton-${process.pid}-${name}`
  }

  /** The service: a real HTTP server that says which instance and epoch it is. */
  command (): string[] {
    return [process.execPath, '-e', `/* ${this.marker} */ require('http').createServer((q, s) => s.end(process.env.DREAMMESH_INSTANCE + ' ' + process.env.DREAMMESH_EPOCH)).listen(${HTTP_PORT})`]
  }

  async ps (i: number): Promise<PsJson[] | undefined> {
    const r = await runCli(this.lan, i, ['ps', '--json', '--data-dir', this.nodes[i].dataDir])
    return r.code === 0 ? JSON.parse(r.stdout) as PsJson[] : undefined
  }

  /** The server that runs it, as member `from` reports; undefined while it is not exactly one. */
  async runningOn (from: number): Promise<RunningAt | undefined> {
    const running = (await this.ps(from))?.find((w) => w.name === this.name)?.instances.filter((i) => i.state === 'running') ?? []
    if (running.length !== 1) return undefined
    const holder = this.nodes.findIndex((n) => n.name === running[0].node)
    return holder < 0 ? undefined : { holder, pid: running[0].pid, since: running[0].since, epoch: running[0].epoch }
  }

  /** GET the service at member `target`'s address, from inside member `from`'s namespace. */
  async answers (from: number, target: number): Promise<string | undefined> {
    const url = `http://${this.lan.nodes[target].addr}:${HTTP_PORT}/`
    const r = await this.lan.exec(from, process.execPath, ['-e', `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(1000) }).then(r => r.text()).then(t => process.stdout.write(t), () => process.exit(1))`])
    return r.code === 0 ? r.stdout : undefined
  }

  /** Pids of live processes of the service, on any node. */
  copies (): number[] {
    const pids: number[] = []
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        // The supervisor's watchdog shell carries the command too; count the node process only.
        if (cmdline.includes(this.marker) && !cmdline.startsWith('/bin/sh') && !cmdline.startsWith('sh')) pids.push(Number(entry))
      } catch {
        // It ended while we looked.
      }
    }
    return pids
  }

  /** What each live node says when a wait fails: its stderr, and what it runs and why. */
  async diagnosis (): Promise<string> {
    const parts: string[] = []
    for (const [i, n] of this.nodes.entries()) {
      parts.push(`--- ${n.name}${n.exited() ? ' (exited)' : ''}\n${n.stderrTail()}`)
      if (n.exited()) continue
      for (const args of [['ps', '--json'], ['inspect', this.name, '--json'], ['voters', '--json']]) {
        const r = await runCli(this.lan, i, [...args, '--data-dir', n.dataDir]).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }))
        parts.push(`$ dreammesh ${args.join(' ')} (exit ${r.code})\n${r.stdout.trim()}${r.stderr.trim() === '' ? '' : `\n${r.stderr.trim()}`}`)
      }
    }
    return parts.join('\n')
  }
}
