import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Gauge } from 'prom-client'
import {
  API_SOCKET_FILE, ApiClient, ApiClientError, ApiError, ApiServerError, createMetricsRegistry, MAX_REQUEST_BODY_BYTES,
  MAX_REQUEST_HEADER_BYTES, startApiServer, type ApiEvent, type ApiServer, type ApiServerInit, type ApiSource, type MemberJson
} from '../src/api/index.js'
import { waitUntil } from './wait.js'

/** The seam's test double: a few members in arrays, events pushed by hand. */
class StubSource implements ApiSource {
  readonly listeners = new Set<(event: ApiEvent) => void>()
  leaves = 0
  failSelf = false
  constructor (public me: MemberJson, public others: MemberJson[]) {}
  self (): MemberJson {
    if (this.failSelf) throw new Error('the node is not started')
    return this.me
  }

  members (): MemberJson[] { return this.others }
  subscribe (listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  async leave (): Promise<void> { this.leaves++ }
  readonly revoked: Array<{ peerId: string, reason: string }> = []
  async revoke (peerId: string, reason: string): Promise<void> { this.revoked.push({ peerId, reason }) }
  emit (event: ApiEvent): void { for (const listener of this.listeners) listener(event) }
}

function member (id: string, name: string, state: MemberJson['state'] = 'alive', resources: unknown = null): MemberJson {
  return { id, name, role: 'server', state, incarnation: 1, addrs: [`/ip4/10.0.0.1/tcp/4711/p2p/${id}`], tags: [], resources, lastHeardMs: 120, rttMs: 0.4 }
}

const SELF = member('12D3KooWself', 'desk')
const ATTIC = member('12D3KooWattic', 'attic')
const OLD_NAS = member('12D3KooWoldnas', 'nas', 'dead')
const NEW_NAS = member('12D3KooWnewnas', 'nas')

interface Raw { status: number, headers: IncomingHttpHeaders, text: string }

/** One HTTP exchange with no client-side opinions, for the answers ApiClient would turn into errors. */
function raw (target: { socketPath: string } | { host: string, port: number }, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method, path, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The value of one series in Prometheus text, or undefined if absent. */
function series (text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${name}{${labels}}`))
  return line === undefined ? undefined : Number(line.split(' ').at(-1))
}

describe('the local API', () => {
  let dir: string
  let socketPath: string
  let source: StubSource
  const servers: ApiServer[] = []
  const quiet = { warn: () => {} }

  async function start (init: Partial<ApiServerInit> = {}): Promise<ApiServer> {
    const server = await startApiServer({ socketPath, source, log: quiet, ...init })
    servers.push(server)
    return server
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dreammesh-api-'))
    socketPath = join(dir, API_SOCKET_FILE)
    source = new StubSource(SELF, [ATTIC, OLD_NAS, NEW_NAS])
  })

  afterEach(async () => {
    await Promise.all(servers.splice(0).map(s => s.close()))
    await rm(dir, { recursive: true, force: true })
  })

  describe('endpoints on the unix socket', () => {
    it('serves self and members (without self) on a socket of mode 0600, and removes it on close', async () => {
      const server = await start()
      assert.equal((await stat(socketPath)).mode & 0o777, 0o600)
      const client = ApiClient.forDataDir(dir)
      assert.deepEqual(await client.get<MemberJson>('/v1/self'), SELF)
      const members = await client.get<MemberJson[]>('/v1/members')
      assert.deepEqual(members.map(m => m.id), [ATTIC.id, OLD_NAS.id, NEW_NAS.id])
      await server.close()
      await assert.rejects(stat(socketPath), { code: 'ENOENT' })
    })

    it('resolves /v1/members/:id by peer id or unique name, self included, percent-decoded', async () => {
      await start()
      const client = ApiClient.forDataDir(dir)
      assert.equal((await client.get<MemberJson>(`/v1/members/${ATTIC.id}`)).name, 'attic')
      assert.equal((await client.get<MemberJson>('/v1/members/attic')).id, ATTIC.id)
      assert.equal((await client.get<MemberJson>('/v1/members/desk')).id, SELF.id)
      assert.equal((await client.get<MemberJson>(`/v1/members/${OLD_NAS.id}`)).state, 'dead', 'a peer id picks one of a shared name')
      source.others.push(member('12D3KooWspace', 'big desk'))
      assert.equal((await client.get<MemberJson>(`/v1/members/${encodeURIComponent('big desk')}`)).id, '12D3KooWspace')
    })

    it('answers an unknown member 404 and a shared name 409 that lists the candidates', async () => {
      await start()
      const client = ApiClient.forDataDir(dir)
      await assert.rejects(client.get('/v1/members/kitchen'), (err: unknown) =>
        err instanceof ApiError && err.status === 404 && err.code === 'unknown-member' && err.message.includes('"kitchen"'))
      await assert.rejects(client.get('/v1/members/nas'), (err: unknown) => {
        assert.ok(err instanceof ApiError)
        assert.equal(err.status, 409)
        assert.equal(err.code, 'ambiguous-name')
        assert.match(err.message, /shared by 2 members: 12D3KooWoldnas \(dead\), 12D3KooWnewnas \(alive\); use a peer id/)
        assert.deepEqual((err.body as { candidates: unknown }).candidates, [
          { id: OLD_NAS.id, name: 'nas', state: 'dead' }, { id: NEW_NAS.id, name: 'nas', state: 'alive' }
        ])
        return true
      })
    })

    it('POST /v1/members/:id/revoke revokes by name or peer id, and refuses self, unknown names and shared names', async () => {
      await start()
      const client = ApiClient.forDataDir(dir)
      const other = source.others.find(m => m.name !== 'nas' && m.id !== source.me.id)!
      assert.deepEqual(await client.post(`/v1/members/${other.name}/revoke?reason=stolen`), { revoked: other.id, reason: 'stolen' })
      assert.deepEqual(source.revoked, [{ peerId: other.id, reason: 'stolen' }])
      const unknownId = '12D3KooWQk5Y4gwgg28JdGDRdFMpfd4xnC61JJRLnBuSG94Vjw3M'
      assert.deepEqual(await client.post(`/v1/members/${unknownId}/revoke`), { revoked: unknownId, reason: 'revoked' })
      await assert.rejects(client.post(`/v1/members/${source.me.name}/revoke`), (err: unknown) => err instanceof ApiError && err.status === 400 && err.code === 'revoke-self')
      await assert.rejects(client.post('/v1/members/nobody/revoke'), (err: unknown) => err instanceof ApiError && err.status === 404)
      await assert.rejects(client.post('/v1/members/nas/revoke'), (err: unknown) => err instanceof ApiError && err.status === 409)
      assert.equal(source.revoked.length, 2)
    })

    it('POST /v1/leave answers 202, even though leaving closes this very server', async () => {
      const server = await start()
      // What the daemon does: leaving stops the node, and stopping it closes the API.
      source.leave = async () => {
        source.leaves++
        await server.close()
      }
      assert.deepEqual(await ApiClient.forDataDir(dir).post('/v1/leave'), { leaving: true })
      await waitUntil('the leave was requested', () => source.leaves === 1)
      await server.close()
      await assert.rejects(stat(socketPath), { code: 'ENOENT' })
    })

    it('serves /metrics from the given registry: process metrics, the node\'s own gauges and the API counters', async () => {
      const registry = createMetricsRegistry()
      const gauge = new Gauge({ name: 'dreammesh_members', help: 'members by state', labelNames: ['state'], registers: [registry] })
      gauge.set({ state: 'alive' }, 3)
      await start({ registry })
      const client = ApiClient.forDataDir(dir)
      await client.get('/v1/self')
      const res = await raw({ socketPath }, 'GET', '/metrics')
      assert.equal(res.status, 200)
      assert.match(String(res.headers['content-type']), /^text\/plain/)
      assert.match(res.text, /^process_cpu_user_seconds_total /m)
      assert.equal(series(res.text, 'dreammesh_members', 'state="alive"'), 3)
      assert.equal(series(res.text, 'dreammesh_api_requests_total', 'route="/v1/self",status="200"'), 1)
    })

    it('a server restarted on the same registry reuses its counters instead of throwing', async () => {
      const registry = createMetricsRegistry()
      await (await start({ registry })).close()
      await start({ registry })
      assert.equal((await raw({ socketPath }, 'GET', '/metrics')).status, 200)
    })
  })

  describe('bad requests', () => {
    it('answers each with a JSON error and counts it by route and status', async () => {
      await start()
      const unknown = await raw({ socketPath }, 'GET', '/v2/everything')
      assert.equal(unknown.status, 404)
      assert.equal(JSON.parse(unknown.text).code, 'unknown-route')

      const wrongMethod = await raw({ socketPath }, 'DELETE', '/v1/members')
      assert.equal(wrongMethod.status, 405)
      assert.equal(wrongMethod.headers.allow, 'GET')
      assert.equal((await raw({ socketPath }, 'GET', '/v1/leave')).headers.allow, 'POST')

      const tooBig = await raw({ socketPath }, 'POST', '/v1/leave', { 'Content-Type': 'application/json' }, 'x'.repeat(MAX_REQUEST_BODY_BYTES + 1))
      assert.equal(tooBig.status, 413)
      assert.match(JSON.parse(tooBig.text).error, new RegExp(`MAX_REQUEST_BODY_BYTES \\(${MAX_REQUEST_BODY_BYTES} bytes\\)`))
      assert.equal(source.leaves, 0, 'a refused request has no effect')

      const badEncoding = await raw({ socketPath }, 'GET', '/v1/members/%E0%A4%A')
      assert.equal(badEncoding.status, 400)

      const headTooBig = await rawSocket(socketPath, `GET /v1/self HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(MAX_REQUEST_HEADER_BYTES)}\r\n\r\n`)
      assert.match(headTooBig, /^HTTP\/1.1 431 /)
      assert.match(headTooBig, /MAX_REQUEST_HEADER_BYTES/)

      const metrics = (await raw({ socketPath }, 'GET', '/metrics')).text
      assert.equal(series(metrics, 'dreammesh_api_requests_total', 'route="unknown",status="404"'), 1)
      assert.equal(series(metrics, 'dreammesh_api_requests_total', 'route="/v1/members",status="405"'), 1)
      assert.equal(series(metrics, 'dreammesh_api_requests_total', 'route="/v1/leave",status="405"'), 1)
      assert.equal(series(metrics, 'dreammesh_api_requests_total', 'route="/v1/leave",status="413"'), 1)
      assert.equal(series(metrics, 'dreammesh_api_requests_total', 'route="/v1/members/:id",status="400"'), 1)
      assert.equal(series(metrics, 'dreammesh_api_requests_total', 'route="unparsed",status="431"'), 1)
    })

    it('a source that throws is a 500 for that request, and the server keeps serving', async () => {
      const warnings: string[] = []
      await start({ log: { warn: m => warnings.push(m) } })
      source.failSelf = true
      await assert.rejects(ApiClient.forDataDir(dir).get('/v1/self'), (err: unknown) =>
        err instanceof ApiError && err.status === 500 && /the node is not started/.test(err.message))
      assert.equal(warnings.length, 1)
      source.failSelf = false
      assert.equal((await ApiClient.forDataDir(dir).get<MemberJson>('/v1/self')).id, SELF.id)
    })
  })

  describe('the client', () => {
    it('says no node is running (and how to start one) when there is no socket, or only a stale one', async () => {
      const expected = (err: unknown): boolean => err instanceof ApiClientError && err.code === 'not-running' &&
        err.message === `no dreammesh node is running with data dir ${dir}; start one with \`dreammesh up\``
      await assert.rejects(ApiClient.forDataDir(dir).get('/v1/self'), expected)
      await leaveStaleSocket(socketPath)
      await assert.rejects(ApiClient.forDataDir(dir).get('/v1/self'), expected)
    })

    it('names a malformed answer, and an answer that does not come within its bound', async () => {
      let respond = true
      const impostor = createHttpServer((_req, res) => { if (respond) res.end('<html>not json</html>') })
      await listenOn(impostor, socketPath)
      try {
        await assert.rejects(ApiClient.forDataDir(dir).get('/v1/self'), (err: unknown) =>
          err instanceof ApiClientError && err.code === 'malformed' && /is not JSON: <html>/.test(err.message))
        respond = false
        await assert.rejects(ApiClient.forDataDir(dir, { requestTimeoutMs: 50 }).get('/v1/self'), (err: unknown) =>
          err instanceof ApiClientError && err.code === 'timeout' && /within 50 ms \(CLIENT_REQUEST_TIMEOUT_MS\)/.test(err.message))
      } finally {
        impostor.closeAllConnections()
        await new Promise(resolve => impostor.close(resolve))
      }
    })
  })

  describe('the socket file', () => {
    it('replaces a socket left by a node killed with -9', async () => {
      await leaveStaleSocket(socketPath)
      assert.ok((await stat(socketPath)).isSocket())
      await start()
      assert.equal((await ApiClient.forDataDir(dir).get<MemberJson>('/v1/self')).id, SELF.id)
    })

    it('refuses a socket that a live node serves, and leaves that node serving', async () => {
      await start()
      await assert.rejects(startApiServer({ socketPath, source, log: quiet }), (err: unknown) =>
        err instanceof ApiServerError && err.message.includes(`another dreammesh node is serving this data dir (${dir})`))
      assert.equal((await ApiClient.forDataDir(dir).get<MemberJson>('/v1/self')).id, SELF.id)
    })

    it('refuses a path that is not a socket, or too long for one', async () => {
      await writeFile(socketPath, 'notes')
      await assert.rejects(startApiServer({ socketPath, source, log: quiet }), /exists and is not a socket/)
      const long = join(dir, 'd'.repeat(120), API_SOCKET_FILE)
      await assert.rejects(startApiServer({ socketPath: long, source, log: quiet }), /MAX_UNIX_SOCKET_PATH_BYTES/)
    })
  })

  describe('TCP', () => {
    const TOKEN = 'a'.repeat(32)

    it('refuses a host off this machine without a token, and a short token', async () => {
      await assert.rejects(startApiServer({ socketPath, source, log: quiet, tcp: { host: '0.0.0.0', port: 0 } }), (err: unknown) =>
        err instanceof ApiServerError && /reachable off this machine on 0\.0\.0\.0:0 without a token/.test(err.message))
      await assert.rejects(startApiServer({ socketPath, source, log: quiet, tcp: { host: '192.168.1.9', port: 0 } }), ApiServerError)
      await assert.rejects(startApiServer({ socketPath, source, log: quiet, tcp: { host: '127.0.0.1', port: 0, token: 'short' } }), /MIN_API_TOKEN_CHARS/)
      await assert.rejects(stat(socketPath), { code: 'ENOENT' }, 'nothing was left listening')
    })

    it('serves loopback without a token, but not to a rebound Host or a cross-site Origin', async () => {
      const server = await start({ tcp: { host: '127.0.0.1', port: 0 } })
      assert.match(server.tcpAddress ?? '', /^127\.0\.0\.1:\d+$/)
      const [host, port] = (server.tcpAddress as string).split(':')
      const target = { host, port: Number(port) }
      assert.equal((await new ApiClient({ tcp: target }).get<MemberJson>('/v1/self')).id, SELF.id)
      assert.equal((await raw(target, 'GET', '/v1/self', { Host: 'evil.example:80' })).status, 403)
      assert.equal((await raw(target, 'POST', '/v1/leave', { Origin: 'http://evil.example' })).status, 403)
      assert.equal(source.leaves, 0)
      assert.equal((await raw(target, 'GET', '/v1/self', { Origin: `http://${server.tcpAddress}` })).status, 200)
    })

    it('with a token, answers only requests that carry it, and counts the rest', async () => {
      const server = await start({ tcp: { host: '0.0.0.0', port: 0, token: TOKEN } })
      const target = { host: '127.0.0.1', port: Number(server.tcpAddress?.split(':')[1]) }
      const none = await raw(target, 'GET', '/v1/self')
      assert.equal(none.status, 401)
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="dreammesh"')
      await assert.rejects(new ApiClient({ tcp: { ...target, token: 'b'.repeat(32) } }).get('/v1/self'), (err: unknown) =>
        err instanceof ApiError && err.status === 401 && /Authorization: Bearer/.test(err.message))
      assert.equal((await new ApiClient({ tcp: { ...target, token: TOKEN } }).get<MemberJson>('/v1/self')).id, SELF.id)
      // The unix socket needs no token: its file mode already limits it to this user.
      assert.equal((await ApiClient.forDataDir(dir).get<MemberJson>('/v1/self')).id, SELF.id)
      const metrics = (await raw({ socketPath }, 'GET', '/metrics')).text
      assert.equal(series(metrics, 'dreammesh_api_requests_total', 'route="/v1/self",status="401"'), 2)
    })
  })

  describe('/v1/events', () => {
    const event = (type: string, m: MemberJson, from?: string): ApiEvent => ({ type, atMs: 1_700_000_000_000, member: m, ...(from === undefined ? {} : { from }) })

    it('streams NDJSON that opens with a heartbeat', async () => {
      await start()
      const text = await new Promise<string>((resolve, reject) => {
        const req = request({ socketPath, path: '/v1/events' }, res => {
          assert.equal(res.headers['content-type'], 'application/x-ndjson')
          res.once('data', (chunk: Buffer) => { resolve(chunk.toString()); req.destroy() })
        })
        req.on('error', reject)
        req.end()
      })
      assert.equal(JSON.parse(text.split('\n')[0]).type, 'heartbeat')
      await waitUntil('the closed client is unsubscribed', () => source.listeners.size === 0)
    })

    it('delivers events in order past heartbeats, unsubscribes when the client stops, ends when the server closes', async () => {
      const server = await start({ eventHeartbeatIntervalMs: 5 })
      const stream = ApiClient.forDataDir(dir).events()
      const first = stream.next()
      await waitUntil('subscribed', () => source.listeners.size === 1)
      await new Promise(resolve => setTimeout(resolve, 30)) // a few heartbeats go by; none reaches the caller
      source.emit(event('member:suspect', ATTIC, SELF.id))
      source.emit(event('member:dead', OLD_NAS))
      assert.deepEqual((await first).value, event('member:suspect', ATTIC, SELF.id))
      assert.deepEqual((await stream.next()).value, event('member:dead', OLD_NAS))
      await stream.return(undefined)
      await waitUntil('the client that stopped is unsubscribed', () => source.listeners.size === 0)

      const second = ApiClient.forDataDir(dir).events()
      const ended = second.next()
      await waitUntil('subscribed again', () => source.listeners.size === 1)
      await server.close()
      assert.equal((await ended).done, true, 'a closing node ends the stream cleanly')
    })

    it('refuses more streams than its bound with 503; an abort frees a stream while it waits', async () => {
      await start({ maxEventStreams: 1 })
      const abort = new AbortController()
      const pending = ApiClient.forDataDir(dir).events({ signal: abort.signal }).next()
      await waitUntil('subscribed', () => source.listeners.size === 1)
      await assert.rejects(ApiClient.forDataDir(dir).events().next(), (err: unknown) =>
        err instanceof ApiError && err.status === 503 && /MAX_EVENT_STREAMS \(1\)/.test(err.message))
      abort.abort(new Error('enough'))
      await assert.rejects(pending, /enough/)
      await waitUntil('unsubscribed', () => source.listeners.size === 0)
    })

    it('cuts off a client that falls behind by more than the backlog bound, with a last overflow line', async () => {
      const maxEventBacklog = 8
      await start({ maxEventBacklog })
      const socket = connect({ path: socketPath })
      await once(socket, 'connect')
      socket.write('GET /v1/events HTTP/1.0\r\n\r\n') // 1.0: no chunk framing, and the end closes the socket
      await waitUntil('subscribed', () => source.listeners.size === 1)
      socket.pause() // a client that stops reading
      const big = member(ATTIC.id, 'attic', 'alive', { blob: 'r'.repeat(64 * 1024) })
      const sent = 400 // 25 MiB: more than the kernel's and Node's buffers hold
      for (let i = 0; i < sent; i++) source.emit(event('resources:changed', big))
      const chunks: Buffer[] = []
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.resume()
      await once(socket, 'end')
      socket.destroy()
      const body = Buffer.concat(chunks).toString()
      const lines = body.slice(body.indexOf('\r\n\r\n') + 4).split('\n').filter(l => l.startsWith('{'))
      const last = JSON.parse(lines.at(-1) as string)
      assert.equal(last.type, 'overflow')
      assert.equal(last.maxEventBacklog, maxEventBacklog)
      const delivered = lines.filter(l => l.includes('resources:changed')).length
      assert.ok(delivered < sent, `only what the buffers held was delivered (${delivered} of ${sent})`)
      await waitUntil('unsubscribed', () => source.listeners.size === 0)
      const metrics = (await raw({ socketPath }, 'GET', '/metrics')).text
      assert.match(metrics, /^dreammesh_api_event_overflows_total 1$/m)
    })

    it('destroys an overflowed client that never reads, and the client sees an overflow error', async () => {
      await start({ maxEventBacklog: 2, overflowFlushTimeoutMs: 20 })
      const socket = connect({ path: socketPath })
      await once(socket, 'connect')
      socket.write('GET /v1/events HTTP/1.0\r\n\r\n') // 1.0: no chunk framing, and the end closes the socket
      await waitUntil('subscribed', () => source.listeners.size === 1)
      socket.pause()
      const big = member(ATTIC.id, 'attic', 'alive', { blob: 'r'.repeat(64 * 1024) })
      for (let i = 0; i < 400; i++) source.emit(event('resources:changed', big))
      await waitUntil('the stuck client is gone', () => source.listeners.size === 0)
      socket.destroy()

      // ApiClient turns an overflow line into an error: the caller missed events and must resync.
      const stream = ApiClient.forDataDir(dir).events()
      const next = stream.next()
      await waitUntil('subscribed', () => source.listeners.size === 1)
      // Events emitted in one tick outrun any reader: the socket takes one, the rest queue past the bound.
      for (let i = 0; i < 10; i++) source.emit(event('resources:changed', big))
      await assert.rejects((async () => { await next; for (;;) if ((await stream.next()).done === true) break })(), (err: unknown) =>
        err instanceof ApiClientError && err.code === 'overflow')
    })
  })
})

/** Leaves a socket file with no process behind it, as `kill -9` of a node does. */
async function leaveStaleSocket (path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
  await once(child.stdout, 'data')
  child.kill('SIGKILL')
  await once(child, 'exit')
}

function listenOn (server: Server, path: string): Promise<void> {
  return new Promise(resolve => server.listen(path, resolve))
}

/** Writes `text` on a fresh connection and returns everything the server says before it closes. */
async function rawSocket (path: string, text: string): Promise<string> {
  const socket = connect({ path })
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.write(text)
  await once(socket, 'close')
  return Buffer.concat(chunks).toString()
}
