import assert from 'node:assert/strict'
import { createServer, connect, type Socket } from 'node:net'
import { RealScheduler } from '../src/clock/real-scheduler.js'

/** Waits long enough for a due timer to have run; only used to prove that something did NOT happen. */
async function settle (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

describe('RealScheduler', () => {
  it('never fires before the deadline it was given', async () => {
    const scheduler = new RealScheduler()
    const firedAt: Array<{ atMs: number, nowMs: number }> = []
    await Promise.all([0, 1, 2, 5, 10, 15].map(async delayMs => {
      const atMs = scheduler.nowMs() + delayMs
      await new Promise<void>(resolve => scheduler.at(atMs, () => { firedAt.push({ atMs, nowMs: scheduler.nowMs() }); resolve() }))
    }))
    assert.equal(firedAt.length, 6)
    for (const f of firedAt) assert.ok(f.nowMs >= f.atMs, `fired at ${f.nowMs} before ${f.atMs}`)
    assert.equal(scheduler.pendingCount, 0)
  })

  it('a cancelled timer never runs, and cancelling twice is harmless', async () => {
    const scheduler = new RealScheduler()
    let fired = 0
    const cancel = scheduler.at(scheduler.nowMs() + 5, () => { fired++ })
    cancel()
    cancel()
    assert.equal(scheduler.pendingCount, 0)
    await settle(30)
    assert.equal(fired, 0)
  })

  it('cancelAll cancels every pending timer', async () => {
    const scheduler = new RealScheduler()
    let fired = 0
    for (let i = 0; i < 5; i++) scheduler.at(scheduler.nowMs() + i, () => { fired++ })
    assert.equal(scheduler.pendingCount, 5)
    scheduler.cancelAll()
    assert.equal(scheduler.pendingCount, 0)
    await settle(30)
    assert.equal(fired, 0)
  })

  it('a timer made late by a stall runs after the socket data that arrived during the stall', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const accepted = new Promise<Socket>(resolve => server.once('connection', resolve))
    const client = connect(port, '127.0.0.1')
    await new Promise<void>(resolve => client.once('connect', () => { resolve() }))
    const peer = await accepted
    try {
      const order: string[] = []
      peer.on('data', () => { order.push('data') })
      const scheduler = new RealScheduler()
      const fired = new Promise<void>(resolve => scheduler.at(scheduler.nowMs() + 5, () => { order.push('timer'); resolve() }))
      client.write('ack')
      // The stall: the ack reaches the kernel and the timer falls due while this loop is blocked.
      const until = performance.now() + 60
      while (performance.now() < until) { /* blocked */ }
      await fired
      assert.deepEqual(order, ['data', 'timer'])
    } finally {
      client.destroy()
      peer.destroy()
      server.close()
    }
  })

  it('a deadline beyond setTimeout\'s range waits instead of firing at once', async () => {
    const scheduler = new RealScheduler()
    let fired = 0
    const cancel = scheduler.at(scheduler.nowMs() + 3_000_000_000, () => { fired++ })
    await settle(20)
    assert.equal(fired, 0)
    cancel()
  })
})
