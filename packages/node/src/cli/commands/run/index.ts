import { ApiClient } from '../../../api/client.js'
import { ApiError } from '../../../api/errors.js'
import { COMMON_HELP, COMMON_OPTIONS, EXIT, UsageError, type Command } from '../../command.js'
import { resolveDataDir } from '../../data-dir.js'

export const run: Command = {
  name: 'run',
  summary: 'run an application on the cluster (wherever it fits, and elsewhere when its node fails)',
  help: `usage: dreammesh run --name W [--kind K] [--replicas N] [--min N --max M [--autoscale-cpu P]] [--constraint KEY=VALUE]...
                     [--cpu MILLIS] [--memory MB] [--state-dir P] [--replicate-state DURATION] [--isolated]
                     [--health tcp:PORT|URL] -- CMD ARGS...
       dreammesh run --name W --kind vm (--kernel K [--initrd I] [--append TEXT] | --image DISK)
                     --vm-memory MB --vm-cpus N [--forward HOST:GUEST]...

Writes the workload into the cluster's desired state (replicated to every node, and on disk before this
command returns). Every node computes the same placement; the node it picks takes the slot's lease from the
voters and starts CMD. If that node dies, another starts it once the lease has run out. The first workload
of a cluster also makes the live servers (up to five) its lease voters.

kinds:
  service         one instance in the whole cluster (the default)
  replicated      --replicas N instances, on distinct nodes
  system          one instance on every node that matches the constraints
  vm              a guest OS under qemu, for applications that cannot run natively (KVM where a probe
                  guest boots within 10 s, else qemu's TCG); one instance, not failed over (its disk is
                  on its node)
  cluster-aware   --min..--max instances (the app asks for more or fewer with the SDK; \`scale\` by hand;
                  --autoscale-cpu by load)

flags:
  --name W               the workload's name (letters, digits, '-'; at most 63)
  --kind K               service | replicated | system | cluster-aware (default service)
  --replicas N           instances of a replicated workload
  --min N, --max M       the instance range of a cluster-aware workload (it starts with --min)
  --autoscale-cpu P      cluster-aware: scale between --min and --max to keep each instance's average CPU
                         near P percent of --cpu (Kubernetes' HPA rule: up promptly, down only after the
                         load stayed low for a whole window)
  --scale-down-after D   with --autoscale-cpu: that window (default 60s)
  --scale-up-after D     with --autoscale-cpu: the wait after a change before scaling up again (default 15s)
  --constraint K=V       role=server|client, tag=T, node=NAME; may repeat (a node must pass them all)
  --cpu MILLIS           CPU to book, in thousandths of a core (default 100); also its cgroup limit
  --memory MB            memory to book, in MiB (default 128); also its cgroup limit
  --state-dir P          a state dir: a relative name under the data dir, or with --isolated an absolute
                         path where the instance sees it (DREAMMESH_STATE_DIR always points at it)
  --replicate-state D    with --state-dir: two other servers pull a snapshot of the state every D (30s, 5m);
                         if the node holding the state is lost, it restarts from the newest snapshot
  --isolated             run it under bubblewrap (read-only root, private /tmp, its own pids)
  --kernel K, --initrd I, --append TEXT
                         vm: boot this kernel (its console is the instance's log)
  --image DISK           vm: boot this disk image (read-write: it is the guest's state)
  --vm-memory MB, --vm-cpus N
                         vm: the guest's RAM and vCPUs (booked at least; qemu's overhead is added)
  --forward HOST:GUEST   vm: forward 127.0.0.1:HOST on the node to the guest's port; may repeat
  --health tcp:PORT|URL  restart it when this check (a TCP connect, or an http:// GET) fails 3 times in a row
${COMMON_HELP}

examples:
  dreammesh run --name web -- python3 -m http.server 8080
  dreammesh run --name web --health tcp:8080 --constraint role=server -- python3 -m http.server 8080
  dreammesh run --name worker --kind replicated --replicas 3 --cpu 500 -- /usr/local/bin/worker
  dreammesh run --name db --state-dir db --replicate-state 30s -- /usr/local/bin/my-db
  dreammesh run --name legacy --kind vm --image /srv/vm/legacy.qcow2 --vm-memory 2048 --vm-cpus 2 --forward 8443:443
  dreammesh run --name board --kind cluster-aware --min 1 --max 3 --cpu 1000 -- node examples/peer-board/app.mjs
  dreammesh run --name render --kind cluster-aware --min 1 --max 4 --cpu 500 --autoscale-cpu 70 -- /usr/local/bin/render`,
  options: {
    ...COMMON_OPTIONS,
    name: { type: 'string' },
    kind: { type: 'string' },
    replicas: { type: 'string' },
    min: { type: 'string' },
    max: { type: 'string' },
    'autoscale-cpu': { type: 'string' },
    'scale-down-after': { type: 'string' },
    'scale-up-after': { type: 'string' },
    'replicate-state': { type: 'string' },
    kernel: { type: 'string' },
    initrd: { type: 'string' },
    append: { type: 'string' },
    image: { type: 'string' },
    'vm-memory': { type: 'string' },
    'vm-cpus': { type: 'string' },
    forward: { type: 'string', multiple: true },
    constraint: { type: 'string', multiple: true },
    cpu: { type: 'string' },
    memory: { type: 'string' },
    'state-dir': { type: 'string' },
    isolated: { type: 'boolean' },
    health: { type: 'string' }
  },
  positionals: { min: 0, max: 257, name: 'CMD' },
  async run (args, io) {
    const v = args.values
    const spec = specFromFlags(v, args.positionals)
    const dataDir = resolveDataDir(v['data-dir'] as string | undefined, io.env)
    try {
      const answer = await ApiClient.forDataDir(dataDir).post<{ name: string, voters: string[] }>('/v1/workloads', spec)
      io.out(`${answer.name}: in the desired state; \`dreammesh ps\` shows where it runs`)
      return EXIT.ok
    } catch (err) {
      if (err instanceof ApiError && err.code === 'bad-spec') {
        io.err(`dreammesh run: ${err.message}`)
        return EXIT.usage
      }
      throw err
    }
  }
}

/** The spec the flags describe; the node validates it and lists every problem. */
function specFromFlags (v: Record<string, unknown>, command: string[]): Record<string, unknown> {
  const name = v.name as string | undefined
  if (name === undefined) throw new UsageError('--name is required')
  const kind = (v.kind as string | undefined) ?? 'service'
  const spec: Record<string, unknown> = { name, kind }
  if (kind === 'vm') {
    if (command.length > 0) throw new UsageError('a vm takes no CMD: describe the guest with --kernel or --image')
    spec.vm = guestFromFlags(v)
  } else {
    if (command.length === 0) throw new UsageError('CMD is required: dreammesh run --name W -- CMD ARGS...')
    spec.command = command[0]
    spec.args = command.slice(1)
  }
  if (v.replicas !== undefined) spec.replicas = integer('--replicas', v.replicas as string)
  if (v.min !== undefined) spec.minInstances = integer('--min', v.min as string)
  if (v.max !== undefined) spec.maxInstances = integer('--max', v.max as string)
  const autoscaleCpu = v['autoscale-cpu'] as string | undefined
  if (autoscaleCpu !== undefined) {
    const autoscale: Record<string, number> = { cpuPercent: integer('--autoscale-cpu', autoscaleCpu.replace(/%$/, '')) }
    const down = v['scale-down-after'] as string | undefined
    const up = v['scale-up-after'] as string | undefined
    if (down !== undefined) autoscale.downAfterMs = durationMs('--scale-down-after', down)
    if (up !== undefined) autoscale.upAfterMs = durationMs('--scale-up-after', up)
    spec.autoscale = autoscale
  } else if (v['scale-down-after'] !== undefined || v['scale-up-after'] !== undefined) {
    throw new UsageError('--scale-down-after and --scale-up-after need --autoscale-cpu')
  }
  const every = v['replicate-state'] as string | undefined
  if (every !== undefined) spec.replicateStateEveryMs = durationMs('--replicate-state', every)
  const constraints: Record<string, string[]> = {}
  for (const c of (v.constraint as string[] | undefined) ?? []) {
    const m = /^(role|tag|node)=(.+)$/.exec(c)
    if (m === null) throw new UsageError(`--constraint ${JSON.stringify(c)}: expected role=server|client, tag=T or node=NAME`)
    const key = `${m[1]}s`
    constraints[key] = [...(constraints[key] ?? []), m[2]]
  }
  if (Object.keys(constraints).length > 0) spec.constraints = constraints
  const resources: Record<string, number> = {}
  if (v.cpu !== undefined) resources.cpuMillis = integer('--cpu', v.cpu as string)
  if (v.memory !== undefined) resources.memoryBytes = integer('--memory', v.memory as string) * 2 ** 20
  if (Object.keys(resources).length > 0) spec.resources = resources
  if (v.isolated === true) spec.isolated = true
  const stateDir = v['state-dir'] as string | undefined
  if (stateDir !== undefined) {
    if (stateDir.startsWith('/')) {
      if (v.isolated !== true) throw new UsageError('--state-dir with an absolute path needs --isolated: the state lives under the data dir, and DREAMMESH_STATE_DIR points at it')
      spec.stateDir = name
      spec.mountStateAt = stateDir
    } else {
      spec.stateDir = stateDir
    }
  }
  const health = v.health as string | undefined
  if (health !== undefined) {
    const tcp = /^tcp:(\d{1,5})$/.exec(health)
    if (tcp !== null) spec.health = { check: 'tcp', port: Number(tcp[1]) }
    else if (/^https?:\/\//.test(health)) spec.health = { check: 'http', url: health }
    else throw new UsageError(`--health ${JSON.stringify(health)}: expected tcp:PORT or an http:// or https:// URL`)
  }
  return spec
}

function integer (flag: string, text: string): number {
  if (!/^\d{1,12}$/.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a whole number`)
  return Number(text)
}

/** `30s`, `5m`, `1h` or plain milliseconds, as ms. */
function durationMs (flag: string, text: string): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(text)
  if (m === null) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a duration such as 30s, 5m or 1h`)
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h']
  return Number(m[1]) * unit
}

/** The `vm` of a spec from the guest flags; the node validates the rest. */
function guestFromFlags (v: Record<string, unknown>): Record<string, unknown> {
  const vm: Record<string, unknown> = {}
  for (const [flag, field] of [['kernel', 'kernel'], ['initrd', 'initrd'], ['append', 'append'], ['image', 'image']] as const) {
    if (v[flag] !== undefined) vm[field] = v[flag]
  }
  if (v['vm-memory'] !== undefined) vm.memoryMb = integer('--vm-memory', v['vm-memory'] as string)
  if (v['vm-cpus'] !== undefined) vm.cpus = integer('--vm-cpus', v['vm-cpus'] as string)
  const forwards = (v.forward as string[] | undefined) ?? []
  if (forwards.length > 0) {
    vm.forward = forwards.map(f => {
      const m = /^(\d{1,5}):(\d{1,5})$/.exec(f)
      if (m === null) throw new UsageError(`--forward ${JSON.stringify(f)}: expected HOST:GUEST ports, such as 8443:443`)
      return { host: Number(m[1]), guest: Number(m[2]) }
    })
  }
  return vm
}
