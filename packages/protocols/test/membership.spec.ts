import { fnv1a32 } from '../src/core/ids.js'
import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import type { Output, Send } from '../src/core/state-machine.js'
import { configProblems, lanConfig, localTestConfig, minSuspicionMs, type MembershipConfig } from '../src/membership/config.js'
import { suspicionTimeoutMs } from '../src/membership/math.js'
import { Membership } from '../src/membership/membership.js'
import type { MembershipEvent } from '../src/membership/types.js'
import {
  decodeNewsMeta,
  decodePacket,
  decodeSync,
  MEMBERSHIP_WIRE_VERSION,
  Packet,
  PacketKind,
  Role,
  Sync,
  SyncKind,
  Update,
  UpdateKind,
  type MetaLimits,
  type PacketMessage,
  type SyncMessage,
  type WireUpdate
} from '../src/wire/codec.js'
import { Loop, meta, type LoggedEvent } from './support/loop.js'

const IDS = ['a', 'b', 'c', 'd', 'e']

function limitsOf (c: MembershipConfig): MetaLimits {
  return { maxNameBytes: c.maxNameBytes, maxStateBytes: c.maxStateBytes, maxMetaBytes: c.maxMetaBytes }
}

/** Checks that every ALIVE's metadata passes its bounds, as a receiver checks it when it applies the news. */
function assertMetaDecodes (updates: WireUpdate[], c: MembershipConfig, what: string): void {
  for (const u of updates) {
    if (u.kind !== UpdateKind.ALIVE) continue
    const m = decodeNewsMeta(u, limitsOf(c))
    assert.ok(m.ok, `${what}: the meta of ${u.node} is dropped: ${m.ok ? '' : `${m.reason}: ${m.detail}`}`)
  }
}

/** Decodes a packet a machine sent, as its receiver would; fails if the receiver would drop any of it. */
function decodeSent (s: { bytes: Uint8Array }, c: MembershipConfig = localTestConfig()): PacketMessage {
  const d = decodePacket(s.bytes, c.maxPacketBytes)
  if (!d.ok) assert.fail(`a machine sent a packet its peers drop: ${d.reason}: ${d.detail}`)
  assertMetaDecodes(d.value.updates, c, 'packet')
  return d.value
}

/** The same for a stream frame. */
function decodeSentFrame (s: { bytes: Uint8Array }, c: MembershipConfig = localTestConfig()): SyncMessage {
  const d = decodeSync(s.bytes, c.maxFrameBytes, c.digestBuckets)
  if (!d.ok) assert.fail(`a machine sent a frame its peers drop (${s.bytes.length} bytes): ${d.reason}: ${d.detail}`)
  assertMetaDecodes(d.value.members, c, 'frame')
  return d.value
}

function packetSendsTo (out: Output<MembershipEvent>, to: string): Send[] {
  return out.sends.filter((s) => s.to === to && s.channel === 'packet')
}

function packetsTo (out: Output<MembershipEvent>, to: string): PacketMessage[] {
  return packetSendsTo(out, to).map((s) => decodeSent(s))
}

const types = (events: Array<LoggedEvent | MembershipEvent>): string[] => events.map((e) => 'event' in e ? e.event.type : e.type)

/** Five members, each joining through `a`, converged after `settleMs`. */
function cluster (seed = 1, settleMs = 5_000, config: MembershipConfig = localTestConfig()): Loop {
  const loop = new Loop()
  IDS.forEach((id, i) => loop.add(id, seed * 100 + i, config))
  for (const id of IDS.slice(1)) loop.command(id, { type: 'join', seeds: ['a'] })
  loop.runFor(settleMs)
  return loop
}

function assertConverged (loop: Loop, ids: string[] = IDS): void {
  for (const id of ids) {
    const m = loop.get(id)
    assert.deepEqual([...m.liveIds()].sort(), ids.filter((x) => x !== id), `${id}'s live members`)
    for (const other of ids) {
      if (other === id) continue
      assert.equal(m.member(other)?.state, 'alive', `${id} sees ${other}`)
    }
  }
}

/** A GOSSIP packet carrying `updates`, as a peer would send it. */
function gossip (updates: Update[]): Uint8Array {
  return Packet.encode({ version: MEMBERSHIP_WIRE_VERSION, kind: PacketKind.GOSSIP, seq: 0, target: '', updates })
}

function aliveOf (node: string, incarnation = 0, over: Partial<Update> = {}): Update {
  return {
    kind: UpdateKind.ALIVE,
    node,
    incarnation,
    from: '',
    metaVersion: 0,
    meta: { name: node, role: Role.SERVER, addrs: [], tags: [], state: new Uint8Array(0) },
    ...over
  }
}

/** A lone machine at time 0 (its first timers are still in the future), for stepping by hand. */
function lone (id = 'a', config: MembershipConfig = localTestConfig()): Membership {
  return new Membership({ id, meta: meta(id), rng: new Xoshiro128(7), config, nowMs: 0 })
}

/** Steps a lone machine's timers (nothing is delivered to it) from `fromMs` to `untilMs`; returns its events. */
function runAlone (m: Membership, fromMs: number, untilMs: number): MembershipEvent[] {
  const first = m.step(fromMs, { kind: 'timer' })
  const events: MembershipEvent[] = [...first.events]
  let wake = first.wakeAtMs
  while (wake !== undefined && wake <= untilMs) {
    const out = m.step(wake, { kind: 'timer' })
    events.push(...out.events)
    wake = out.wakeAtMs
  }
  return events
}

describe('Membership (driven by a virtual-time loop)', function () {
  this.timeout(60_000)

  describe('join', () => {
    it('five members joining through one seed converge', () => {
      const loop = new Loop()
      IDS.forEach((id, i) => loop.add(id, 100 + i))
      for (const id of IDS.slice(1)) loop.command(id, { type: 'join', seeds: ['a'] })
      assert.throws(() => { assertConverged(loop) }, 'nobody knows anybody before the loop runs')
      loop.runFor(3_000)
      assertConverged(loop)
      for (const id of IDS) {
        const joined = loop.eventsOf(id).filter((e) => e.event.type === 'joined').map((e) => e.event.type === 'joined' ? e.event.member.id : '')
        assert.deepEqual(joined.sort(), IDS.filter((x) => x !== id), `${id}'s joined events`)
        assert.deepEqual(types(loop.eventsOf(id)).filter((t) => t === 'suspect' || t === 'dead'), [], `${id} suspected nobody`)
      }
    })

    it('is a pure function of the seeds: the same run twice gives the same events and bytes', () => {
      const trace = (loop: Loop): string[] => [
        ...loop.events.map((e) => `${e.atMs} ${e.node} ${JSON.stringify(e.event)}`),
        ...loop.sent.map((s) => `${s.atMs} ${s.from}>${s.to} ${s.channel} ${Buffer.from(s.bytes).toString('hex')}`)
      ]
      const one = trace(cluster(3, 2_000))
      const two = trace(cluster(3, 2_000))
      assert.ok(one.length > 100)
      assert.deepEqual(one, two)
      assert.notDeepEqual(trace(cluster(4, 2_000)), one, 'a different seed gives a different run')
    })

    it('every packet and frame a converging cluster sends decodes at its receiver', () => {
      const loop = cluster(5, 3_000)
      const c = localTestConfig()
      assert.ok(loop.sent.some((s) => s.channel === 'stream'), 'anti-entropy ran')
      for (const s of loop.sent) {
        if (s.channel === 'packet') decodeSent(s, c)
        else decodeSentFrame(s, c)
      }
    })
  })

  describe('failure detection', () => {
    it('a member that stops answering is suspected, then declared dead by everyone', () => {
      const loop = cluster(1)
      assertConverged(loop)
      const stoppedAt = loop.nowMs
      loop.down.add('e')
      loop.runFor(10_000)

      const others = IDS.slice(0, 4)
      for (const id of others) assert.equal(loop.get(id).member('e')?.state, 'dead', `${id} sees e dead`)
      assertConverged(loop, others)

      const aboutE = loop.events.filter((e) => e.node !== 'e' && (e.event.type === 'suspect' || e.event.type === 'dead') && e.event.member.id === 'e')
      const firstSuspect = aboutE.find((e) => e.event.type === 'suspect')
      const firstDead = aboutE.find((e) => e.event.type === 'dead')
      assert.ok(firstSuspect !== undefined && firstDead !== undefined, types(aboutE).join(','))
      assert.ok(firstSuspect.atMs < firstDead.atMs, 'suspected before declared dead')
      // Lifeguard: no member is declared dead sooner than the minimum suspicion timeout.
      const c = localTestConfig()
      assert.ok(firstDead.atMs - firstSuspect.atMs >= suspicionTimeoutMs(c.suspicionMult, 5, c.probeIntervalMs),
        `dead ${firstDead.atMs - firstSuspect.atMs} ms after the first suspicion`)
      assert.ok(firstDead.atMs - stoppedAt < 5_000, `detected ${firstDead.atMs - stoppedAt} ms after the stop`)
      for (const id of others) {
        const sequence = types(loop.eventsOf(id, 'e'))
        assert.ok(sequence.includes('dead'), `${id}: ${sequence.join(',')}`)
        assert.ok(!sequence.includes('alive'), `${id}: ${sequence.join(',')}`)
      }
      // No false positives about the members that kept running.
      for (const id of others) {
        const wrong = loop.events.filter((e) => (e.event.type === 'suspect' || e.event.type === 'dead') && e.event.member.id === id)
        assert.deepEqual(wrong, [], `${id} was wrongly suspected`)
      }
    })

    it('a suspect that hears of the suspicion refutes it with a higher incarnation (the buddy system)', () => {
      const loop = cluster(2)
      assertConverged(loop)
      // Cut c off until a probe of it fails and someone suspects it, then heal at once.
      const cutAt = loop.nowMs
      const suspectedC = (): boolean => loop.events.some((e) => e.event.type === 'suspect' && e.event.member.id === 'c' && e.atMs >= cutAt)
      loop.lose = (from, to) => from === 'c' || to === 'c'
      while (!suspectedC() && loop.nowMs - cutAt < 1_000) loop.runFor(5)
      loop.lose = () => false
      loop.runFor(3_000)

      const suspicions = loop.events.filter((e) => e.event.type === 'suspect' && e.event.member.id === 'c' && e.atMs >= cutAt)
      assert.ok(suspicions.length > 0, 'the cut made someone suspect c')
      const refuted = loop.eventsOf('c').filter((e) => e.event.type === 'refuted')
      assert.ok(refuted.length > 0, 'c refuted')
      const incarnation = loop.get('c').incarnation
      assert.ok(incarnation >= 1, `c's incarnation is ${incarnation}`)
      assert.deepEqual(refuted.map((e) => e.event.type === 'refuted' && e.event.incarnation), Array.from({ length: refuted.length }, (_, i) => i + 1), 'each refutation raises the incarnation by one')
      for (const id of ['a', 'b', 'd', 'e']) {
        const view = loop.get(id).member('c')
        assert.equal(view?.state, 'alive', `${id} sees c alive again`)
        assert.equal(view?.incarnation, incarnation, `${id} holds c's latest incarnation`)
        assert.deepEqual(types(loop.eventsOf(id, 'c')).filter((t) => t === 'dead'), [], `${id} never declared c dead`)
      }
      // How c heard of the suspicion (gossip or a buddy PING) depends on timing; the next test pins the
      // buddy system down directly.
    })

    it('a PING to a suspect carries the suspicion, and the suspect\'s ACK carries its refutation', () => {
      const a = lone('a')
      a.step(0, { kind: 'message', from: 'c', channel: 'packet', bytes: gossip([aliveOf('c'), aliveOf('b')]) })
      const suspectC: Update = { kind: UpdateKind.SUSPECT, node: 'c', incarnation: 0, from: 'b', metaVersion: 0 }
      a.step(1, { kind: 'message', from: 'b', channel: 'packet', bytes: gossip([suspectC]) })
      assert.equal(a.member('c')?.state, 'suspect')
      const probe = a.step(2, { kind: 'command', command: { type: 'connection-closed', peer: 'c' } })
      const [pingSend] = packetSendsTo(probe, 'c')
      assert.ok(pingSend !== undefined)
      const ping = decodeSent(pingSend)
      assert.equal(ping.kind, PacketKind.PING)
      assert.ok(ping.updates.some((u) => u.kind === UpdateKind.SUSPECT && u.node === 'c' && u.incarnation === 0), 'the PING carries the suspicion')

      const c = lone('c')
      const out = c.step(3, { kind: 'message', from: 'a', channel: 'packet', bytes: pingSend.bytes })
      assert.deepEqual(out.events.filter((e) => e.type === 'refuted'), [{ type: 'refuted', incarnation: 1, accuser: 'a' }])
      assert.equal(c.incarnation, 1)
      const [ackSend] = packetSendsTo(out, 'a')
      assert.ok(ackSend !== undefined)
      const ack = decodeSent(ackSend)
      assert.equal(ack.kind, PacketKind.ACK)
      assert.equal(ack.seq, ping.seq)
      assert.ok(ack.updates.some((u) => u.kind === UpdateKind.ALIVE && u.node === 'c' && u.incarnation === 1), 'the ACK carries the refutation')

      const back = a.step(4, { kind: 'message', from: 'c', channel: 'packet', bytes: ackSend.bytes })
      assert.deepEqual(back.events.filter((e) => e.type === 'alive').map((e) => e.type === 'alive' ? [e.member.id, e.member.incarnation] : []), [['c', 1]])
      assert.equal(a.member('c')?.state, 'alive')
    })

    // A failed probe says something only about the incarnation it tested: if the target refuted while the
    // probe was in flight, the failure must not suspect the new incarnation (memberlist does the same).
    it('a probe that fails after its target refuted does not suspect the new incarnation', () => {
      const a = lone('a')
      a.step(0, { kind: 'message', from: 'b', channel: 'packet', bytes: gossip([aliveOf('b'), aliveOf('c')]) })
      const probe = a.step(1, { kind: 'command', command: { type: 'connection-closed', peer: 'c' } })
      assert.ok(packetsTo(probe, 'c').some((p) => p.kind === PacketKind.PING), 'probing c@0')
      // c refutes someone else's suspicion; a hears it from b while its PING to c is lost.
      a.step(10, { kind: 'message', from: 'b', channel: 'packet', bytes: gossip([aliveOf('c', 1)]) })
      assert.equal(a.member('c')?.incarnation, 1)
      // Up to just past the urgent probe's deadline (one probe interval): later round-robin probes of c@1,
      // unanswered since a is alone here, would rightly suspect it.
      const events = runAlone(a, 10, 1 + localTestConfig().probeIntervalMs + 20)
      assert.deepEqual(events.filter((e) => e.type === 'suspect' && e.member.id === 'c'), [], 'no suspicion of c@1 from a probe of c@0')
    })

    it('a claim that this member is dead is refuted too', () => {
      const c = lone('c')
      const out = c.step(1, { kind: 'message', from: 'a', channel: 'packet', bytes: gossip([{ kind: UpdateKind.DEAD, node: 'c', incarnation: 4, from: 'a', metaVersion: 0 }]) })
      assert.deepEqual(out.events.filter((e) => e.type === 'refuted'), [{ type: 'refuted', incarnation: 5, accuser: 'a' }])
      assert.equal(c.self().state, 'alive')
    })
  })

  describe('leave', () => {
    it('a member that leaves is seen as left, never suspected or dead, and is reaped later', () => {
      const loop = cluster(4)
      assertConverged(loop)
      const out = loop.command('e', { type: 'leave' })
      assert.deepEqual(types(out.events), ['left'])
      assert.equal(loop.get('e').self().state, 'left')
      const leftAt = loop.nowMs
      loop.runFor(2_000)
      const announced = loop.sent.filter((s) => s.from === 'e' && s.channel === 'packet' && s.sentAtMs >= leftAt)
        .some((s) => decodeSent(s).updates.some((u) => u.kind === UpdateKind.LEFT && u.node === 'e'))
      assert.ok(announced, 'e gossiped its leave')
      for (const id of ['a', 'b', 'c', 'd']) {
        assert.equal(loop.get(id).member('e')?.state, 'left', `${id} sees e left`)
        assert.ok(!loop.get(id).liveIds().includes('e'))
      }
      // The host stops the process a few gossip rounds after the leave.
      loop.down.add('e')
      loop.runFor(10_000)
      for (const id of ['a', 'b', 'c', 'd']) {
        assert.equal(loop.get(id).member('e')?.state, 'left', `${id} still sees e left, not dead`)
        assert.deepEqual(types(loop.eventsOf(id, 'e')).filter((t) => t !== 'joined'), ['left'], `${id}'s events about e`)
      }
      assertConverged(loop, ['a', 'b', 'c', 'd'])
      loop.runFor(localTestConfig().deadRetentionMs)
      for (const id of ['a', 'b', 'c', 'd']) {
        assert.equal(loop.get(id).member('e'), undefined, `${id} forgot e after deadRetentionMs`)
        assert.ok(types(loop.eventsOf(id, 'e')).includes('reaped'))
      }
    })
  })

  describe('announceSuspicionToAll', () => {
    /** Five members converged under `config`, then `e` lost without a word; when each of the others suspected it. */
    function suspectTimes (config: MembershipConfig): { times: number[], announced: number } {
      const loop = cluster(9, 5_000, config)
      assertConverged(loop)
      loop.down.add('e')
      const lostAt = loop.nowMs
      loop.runFor(config.probeIntervalMs * 20)
      const times = ['a', 'b', 'c', 'd'].map((id) => loop.eventsOf(id, 'e').find((e) => e.event.type === 'suspect' && e.atMs >= lostAt)?.atMs ?? Infinity)
      const announced = ['a', 'b', 'c', 'd'].reduce((sum, id) => sum + (loop.get(id).counters()['announced'] ?? 0), 0)
      return { times, announced }
    }

    it('tells every live member of a suspicion from a failed probe at once, so all suspect within a packet\'s latency', () => {
      const { times, announced } = suspectTimes({ ...localTestConfig(), announceSuspicionToAll: true })
      assert.ok(times.every(Number.isFinite), `everyone suspected e: ${times.join(', ')}`)
      assert.ok(Math.max(...times) - Math.min(...times) <= 1, `all within the loop's 1 ms latency: ${times.join(', ')}`)
      assert.equal(announced, 1, 'one announcement: the others heard of it before their own probes failed')
    })

    it('a suspect tells every live member of its refutation at once, and the timeout does not grow with log N', () => {
      const config = { ...localTestConfig(), announceSuspicionToAll: true }
      assert.equal(minSuspicionMs(config, 1_000), minSuspicionMs(config, 2), 'flat in N')
      assert.ok(minSuspicionMs(localTestConfig(), 1_000) > minSuspicionMs(localTestConfig(), 2), 'log N without it')
      const loop = cluster(9, 5_000, config)
      assertConverged(loop)
      // e's answers are lost for a while: its probers suspect it, and it hears of it.
      const lostFrom = loop.sent.length
      loop.lose = (from) => from === 'e'
      loop.runFor(config.probeIntervalMs * 8)
      loop.lose = () => false
      loop.runFor(config.probeIntervalMs * 20)
      assert.ok((loop.get('e').counters().refutations ?? 0) > 0, 'e refuted')
      // A refutation sent on a GOSSIP packet of its own, to each of the others at the same moment (`sent`
      // holds lost packets too).
      const refutations = loop.sent.slice(lostFrom).filter((d) => d.from === 'e' && d.channel === 'packet').filter((d) => {
        const p = decodeSent(d, config)
        return p.kind === PacketKind.GOSSIP && p.updates.length === 1 && p.updates[0].kind === UpdateKind.ALIVE && p.updates[0].node === 'e'
      })
      const first = refutations[0]
      assert.ok(first !== undefined, 'e announced its refutation')
      assert.deepEqual(refutations.filter((d) => d.sentAtMs === first.sentAtMs).map((d) => d.to).sort(), ['a', 'b', 'c', 'd'])
      for (const id of ['a', 'b', 'c', 'd']) assert.equal(loop.get(id).member('e')?.state, 'alive', `${id} sees e alive again`)
    })

    it('is off by default: the suspicion then spreads in gossip rounds', () => {
      const { times, announced } = suspectTimes(localTestConfig())
      assert.ok(times.every(Number.isFinite), `everyone suspected e: ${times.join(', ')}`)
      assert.equal(announced, 0)
      assert.ok(Math.max(...times) - Math.min(...times) > 1, `gossip took more than one packet's latency: ${times.join(', ')}`)
    })
  })

  describe('metadata', () => {
    it('update-meta bumps metaVersion and propagates to everyone', () => {
      const loop = cluster(5)
      const out = loop.command('b', { type: 'update-meta', meta: { tags: ['gpu', 'display:0'], state: Uint8Array.of(9, 9) } })
      assert.deepEqual(types(out.events), [])
      assert.equal(loop.get('b').self().metaVersion, 1)
      loop.runFor(2_000)
      for (const id of ['a', 'c', 'd', 'e']) {
        const view = loop.get(id).member('b')
        assert.equal(view?.metaVersion, 1, `${id} holds b's new meta version`)
        assert.deepEqual(view?.meta.tags, ['gpu', 'display:0'])
        assert.deepEqual(view?.meta.state, Uint8Array.of(9, 9))
        assert.equal(view?.meta.name, 'b', 'fields not named in the update are kept')
        assert.equal(loop.eventsOf(id, 'b').filter((e) => e.event.type === 'updated').length, 1, `${id} saw one update`)
      }
    })

    it('with quietMetaNews, metadata news rides on probes and acks only, and still reaches everyone', () => {
      const quiet = { ...localTestConfig(), quietMetaNews: true }
      const loop = cluster(7, 5_000, quiet)
      assertConverged(loop)
      const before = loop.sent.length
      loop.command('b', { type: 'update-meta', meta: { state: Uint8Array.of(7) } })
      loop.runFor(3_000)
      const gossip = loop.sent.slice(before).filter((s) => s.channel === 'packet' && decodeSent(s, quiet).kind === PacketKind.GOSSIP)
      assert.equal(gossip.length, 0, 'no packet was sent for the news alone')
      for (const id of ['a', 'c', 'd', 'e']) assert.deepEqual(loop.get(id).member('b')?.meta.state, Uint8Array.of(7), `${id} has b's new state`)
      // Loud news is unchanged: a leave is gossiped on packets of its own.
      const beforeLeave = loop.sent.length
      loop.command('e', { type: 'leave' })
      loop.runFor(1_000)
      assert.ok(loop.sent.slice(beforeLeave).some((s) => s.channel === 'packet' && decodeSent(s, quiet).kind === PacketKind.GOSSIP), 'the leave was gossiped')
    })

    it('update-meta over its bounds is rejected with a \'rejected\' event and changes nothing', () => {
      const c = localTestConfig()
      const loop = cluster(6, 2_000)
      for (const bad of [{ name: 'n'.repeat(c.maxNameBytes + 1) }, { state: new Uint8Array(c.maxStateBytes + 1) }, { addrs: [`/ip4/${'9'.repeat(c.maxMetaBytes)}`] }]) {
        const before = loop.get('b').self()
        const out = loop.command('b', { type: 'update-meta', meta: bad })
        const rejected = out.events.filter((e) => e.type === 'rejected')
        assert.equal(rejected.length, 1, JSON.stringify(Object.keys(bad)))
        assert.equal(rejected[0].type === 'rejected' && rejected[0].command, 'update-meta')
        assert.ok(rejected[0].type === 'rejected' && rejected[0].problems.length > 0)
        assert.deepEqual(loop.get('b').self(), before)
      }
      loop.runFor(1_000)
      for (const id of ['a', 'c', 'd', 'e']) assert.equal(loop.get(id).member('b')?.metaVersion, 0)
    })

    // Regression: checkMeta once checked sizes but not counts, while the schema caps addrs at 16
    // and tags at 32 (membership.proto, protons limit). So update-meta with 17 short addrs is accepted (and
    // the constructor accepts such meta too), but every peer fails to decode that ALIVE's meta
    // ('malformed': repeated field "addrs" had too many elements) and drops it: the change never spreads,
    // and a member created with such meta can never be learned by anyone. Expected a 'rejected' event (and
    // a constructor error).
    it('meta with more addrs or tags than the schema allows is rejected', () => {
      const a = lone('a')
      for (const bad of [{ addrs: Array.from({ length: 17 }, (_, i) => `/a/${i}`) }, { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }]) {
        const out = a.step(0, { kind: 'command', command: { type: 'update-meta', meta: bad } })
        assert.deepEqual(types(out.events), ['rejected'], JSON.stringify(Object.keys(bad)))
        assert.throws(() => new Membership({ id: 'x', meta: meta('x', bad), rng: new Xoshiro128(1), config: localTestConfig(), nowMs: 0 }))
      }
      assert.equal(a.self().metaVersion, 0)
    })
  })

  describe('bad input never throws', () => {
    it('a garbage packet and a garbage frame are counted as dropped.<reason> with a \'dropped\' event', () => {
      const a = lone('a')
      const rng = new Xoshiro128(77)
      const garbage = Uint8Array.from({ length: 40 }, () => 0x80 | rng.int(128)) // an endless varint
      let out = a.step(1, { kind: 'message', from: 'z', channel: 'packet', bytes: garbage })
      assert.deepEqual(out.events.map((e) => e.type === 'dropped' ? [e.from, e.reason] : e.type), [['z', 'malformed']])
      assert.deepEqual(out.sends, [])
      out = a.step(2, { kind: 'message', from: 'y', channel: 'stream', bytes: garbage })
      assert.deepEqual(out.events.map((e) => e.type === 'dropped' ? [e.from, e.reason] : e.type), [['y', 'malformed']])
      assert.equal(a.counters()['dropped.malformed'], 2)

      const c = localTestConfig()
      a.step(3, { kind: 'message', from: 'z', channel: 'packet', bytes: new Uint8Array(c.maxPacketBytes + 1) })
      a.step(4, { kind: 'message', from: 'z', channel: 'packet', bytes: Packet.encode({ version: 2, kind: PacketKind.PING, seq: 1, target: 'a', targetHash: fnv1a32('a'), updates: [] }) })
      a.step(5, { kind: 'message', from: 'z', channel: 'stream', bytes: Sync.encode({ version: 1, kind: SyncKind.STATE, session: 42, reply: true, buckets: [], members: [], last: true }) })
      a.step(6, { kind: 'message', from: 'z', channel: 'packet', bytes: Packet.encode({ version: 1, kind: PacketKind.PING_REQ, seq: 1, target: '', updates: [] }) })
      const counters = a.counters()
      assert.equal(counters['dropped.oversized'], 1)
      assert.equal(counters['dropped.version'], 1)
      assert.equal(counters['dropped.unknown-session'], 1)
      assert.equal(counters['dropped.invalid-field'], 1)
      assert.deepEqual(a.members(), [], 'nothing was learned from any of it')
    })

    it('an ALIVE whose meta is over its bounds is dropped and counted; the rest of the packet is applied', () => {
      const a = lone('a')
      const c = localTestConfig()
      const bad = aliveOf('b', 0, { meta: { name: 'n'.repeat(c.maxNameBytes + 1), role: Role.SERVER, addrs: [], tags: [], state: new Uint8Array(0) } })
      const out = a.step(1, { kind: 'message', from: 'z', channel: 'packet', bytes: gossip([bad, aliveOf('c')]) })
      assert.deepEqual(out.events.map((e) => e.type === 'dropped' ? `dropped ${e.from} ${e.reason}` : `${e.type}`), ['dropped z invalid-field', 'joined'])
      assert.equal(a.member('b'), undefined)
      assert.equal(a.member('c')?.state, 'alive')
      assert.equal(a.counters()['dropped.invalid-field'], 1)
    })

    it('fuzz: thousands of random and mutated messages leave a machine running and counted (seeded)', () => {
      const rng = new Xoshiro128(4242)
      const a = lone('a')
      const valid = [
        gossip([aliveOf('b'), { kind: UpdateKind.SUSPECT, node: 'a', incarnation: 0, from: 'b', metaVersion: 0 }]),
        Packet.encode({ version: 1, kind: PacketKind.PING, seq: 5, target: 'a', targetHash: fnv1a32('a'), updates: [aliveOf('c')] }),
        Sync.encode({ version: 1, kind: SyncKind.DIGEST, session: 1, reply: false, buckets: new Array<number>(32).fill(3), members: [], last: true })
      ]
      let dropped = 0
      for (let i = 0; i < 3000; i++) {
        const base = valid[rng.int(valid.length)]
        const bytes = rng.float() < 0.3
          ? Uint8Array.from({ length: rng.int(100) }, () => rng.int(256))
          : Uint8Array.from(base, (x) => rng.float() < 0.05 ? rng.int(256) : x)
        const channel = rng.float() < 0.5 ? 'packet' : 'stream'
        const out = a.step(i, { kind: 'message', from: `p${rng.int(5)}`, channel, bytes })
        dropped += out.events.filter((e) => e.type === 'dropped').length
      }
      const counted = Object.entries(a.counters()).filter(([k]) => k.startsWith('dropped.')).reduce((n, [, v]) => n + v, 0)
      assert.ok(dropped > 1000, `${dropped} drops`)
      assert.equal(counted, dropped, 'every dropped event is counted')
      assert.doesNotThrow(() => a.step(4000, { kind: 'timer' }))
    })

    it('a PING addressed to someone else is dropped as misrouted, and answers nothing', () => {
      const a = lone('a')
      const misrouted = a.step(1, { kind: 'message', from: 'b', channel: 'packet', bytes: Packet.encode({ version: 1, kind: PacketKind.PING, seq: 7, target: 'c', targetHash: fnv1a32('c'), updates: [] }) })
      assert.deepEqual(misrouted.events.map((e) => e.type === 'dropped' ? e.reason : e.type), ['misrouted'])
      assert.deepEqual(misrouted.sends, [])
      assert.equal(a.counters()['dropped.misrouted'], 1)

      const right = a.step(2, { kind: 'message', from: 'b', channel: 'packet', bytes: Packet.encode({ version: 1, kind: PacketKind.PING, seq: 7, target: 'a', targetHash: fnv1a32('a'), updates: [] }) })
      const [ack] = packetsTo(right, 'b')
      assert.equal(ack?.kind, PacketKind.ACK)
      assert.equal(ack.seq, 7)
      assert.equal(ack.targetHash, fnv1a32('a'))
    })
  })

  describe('a join passed on by the member it went through', () => {
    /** a..e converged; then x joins through a while every packet x sends to anyone else is lost (no connection yet). */
    function joinSeenOnlyByA (config: MembershipConfig): { loop: Loop, joinedAt: number } {
      const loop = cluster(3, 5_000, config)
      loop.lose = (from, to) => from === 'x' && to !== 'a'
      loop.add('x', 99, config)
      const joinedAt = loop.nowMs
      loop.command('x', { type: 'join', seeds: ['a'] })
      return { loop, joinedAt }
    }

    const knowsX = (loop: Loop, id: string): boolean => loop.get(id).member('x')?.state === 'alive'

    it('is gossiped by that member, so it spreads although the newcomer reaches no one else', () => {
      const config = localTestConfig()
      const { loop } = joinSeenOnlyByA(config)
      // Well within one anti-entropy round (pushPullIntervalMs), which was all that carried it before.
      loop.runFor(6 * config.gossipIntervalMs)
      for (const id of IDS) assert.ok(knowsX(loop, id), `${id} knows x`)
    })

    it('with announceJoinsToAll, reaches every live member one packet after the join sync', () => {
      const config = { ...localTestConfig(), announceJoinsToAll: true }
      const { loop, joinedAt } = joinSeenOnlyByA(config)
      const before = loop.get('a').counters().announced ?? 0
      loop.runFor(10)
      for (const id of IDS) assert.ok(knowsX(loop, id), `${id} knows x`)
      const announced = loop.sent.filter((d) => d.from === 'a' && d.sentAtMs >= joinedAt && d.channel === 'packet' && d.to !== 'x')
      assert.deepEqual([...new Set(announced.map((d) => d.to))].sort(), ['b', 'c', 'd', 'e'])
      assert.equal(loop.get('a').counters().announced, before + 1)
    })
  })

  describe('stalls (stallMs) and health-scaled suspicion', () => {
    const stalling = (over: Partial<MembershipConfig> = {}): MembershipConfig => ({ ...localTestConfig(), announceSuspicionToAll: true, stallMs: 100, healthScalesSuspicion: true, ...over })

    /** Steps `m` to its next deadline plus `lateMs`, as a host that was stalled for that long would. */
    function wakeLate (m: Membership, fromMs: number, lateMs: number): number {
      const due = m.step(fromMs, { kind: 'timer' }).wakeAtMs
      assert.ok(due !== undefined)
      m.step(due + lateMs, { kind: 'timer' })
      return due + lateMs
    }

    it('a step at least stallMs past the earliest deadline counts one stall and worsens local health; a late one under it does not', () => {
      const a = lone('a', stalling())
      let t = wakeLate(a, 0, 99)
      assert.equal(a.counters().stalls, undefined)
      assert.equal(a.localHealth, 0)
      t = wakeLate(a, t, 100)
      assert.equal(a.counters().stalls, 1)
      assert.equal(a.localHealth, 1)
      // A message that arrives during the stall is the first step to see it: counted once, not again by the timer.
      const due = a.step(t, { kind: 'timer' }).wakeAtMs as number
      a.step(due + 500, { kind: 'message', from: 'b', channel: 'packet', bytes: gossip([aliveOf('b')]) })
      a.step(due + 500, { kind: 'timer' })
      assert.equal(a.counters().stalls, 2)
      assert.equal(a.localHealth, 2)
    })

    it('stallMs 0 never counts a stall, however late', () => {
      const a = lone('a', stalling({ stallMs: 0 }))
      wakeLate(a, 0, 10_000)
      assert.equal(a.counters().stalls, undefined)
      assert.equal(a.localHealth, 0)
    })

    /** `a` knows b, takes `stalls` stalls, then hears c suspect b; returns how long after that a declared b dead. */
    function suspicionLastsMs (config: MembershipConfig, stalls: number): { ms: number, health: number } {
      const a = lone('a', config)
      a.step(0, { kind: 'message', from: 'c', channel: 'packet', bytes: gossip([aliveOf('b'), aliveOf('c')]) })
      let t = 0
      for (let i = 0; i < stalls; i++) t = wakeLate(a, t, 1_000)
      const health = a.localHealth
      const heardAt = t + 1
      const out = a.step(heardAt, { kind: 'message', from: 'c', channel: 'packet', bytes: gossip([{ kind: UpdateKind.SUSPECT, node: 'b', incarnation: 0, from: 'c', metaVersion: 0 }]) })
      assert.ok(out.events.some((e) => e.type === 'suspect' && e.member.id === 'b'))
      let wake = out.wakeAtMs
      while (wake !== undefined && wake < heardAt + 60_000) {
        const step = a.step(wake, { kind: 'timer' })
        if (step.events.some((e) => e.type === 'dead' && e.member.id === 'b')) return { ms: wake - heardAt, health }
        wake = step.wakeAtMs
      }
      assert.fail('b was never declared dead')
    }

    it('a healthy member declares a suspect dead after the usual timeout, whether scaling is on or not', () => {
      const minMs = minSuspicionMs(stalling(), 3)
      assert.equal(suspicionLastsMs(stalling(), 0).ms, minMs)
      assert.equal(suspicionLastsMs(stalling({ healthScalesSuspicion: false }), 0).ms, minMs)
    })

    it('a member in poor health waits (health + 1) times longer, and without healthScalesSuspicion it does not', () => {
      const minMs = minSuspicionMs(stalling(), 3)
      // Three stalls, and the probes of b and c that went unanswered meanwhile (Lifeguard's missed acks).
      const scaled = suspicionLastsMs(stalling(), 3)
      assert.ok(scaled.health >= 3, `health ${scaled.health}`)
      assert.equal(scaled.ms, (scaled.health + 1) * minMs)
      const flat = suspicionLastsMs(stalling({ healthScalesSuspicion: false }), 3)
      assert.ok(flat.health >= 3, `health ${flat.health}`)
      assert.equal(flat.ms, minMs)
    })

    it('configProblems rejects a negative or non-finite stallMs and accepts 0', () => {
      assert.deepEqual(configProblems(stalling({ stallMs: 0 })), [])
      assert.match(configProblems(stalling({ stallMs: -1 })).join(), /stallMs must be 0 \(off\) or a positive number/)
      assert.match(configProblems(stalling({ stallMs: Number.NaN })).join(), /stallMs/)
    })
  })

  describe('connection-closed', () => {
    it('probes the peer at once: a PING is in the sends of that very step', () => {
      const a = lone('a')
      a.step(0, { kind: 'message', from: 'b', channel: 'packet', bytes: gossip([aliveOf('b')]) })
      const out = a.step(1, { kind: 'command', command: { type: 'connection-closed', peer: 'b' } })
      const pings = packetsTo(out, 'b').filter((p) => p.kind === PacketKind.PING)
      assert.equal(pings.length, 1)
      assert.equal(pings[0].targetHash, fnv1a32('b'))
      assert.equal(a.counters()['probes.urgent'], 1)
    })

    it('in a running cluster, and the probe succeeds without suspicion', () => {
      const loop = cluster(8, 2_000)
      // A peer that a is not probing already (a second probe of the same peer is not started).
      const a = loop.get('a')
      const windowMs = localTestConfig().probeIntervalMs * (a.localHealth + 1)
      const busy = new Set(loop.sent.filter((s) => s.from === 'a' && s.channel === 'packet' && s.sentAtMs > loop.nowMs - windowMs && decodeSent(s).kind === PacketKind.PING).map((s) => s.to))
      const peer = ['b', 'c', 'd', 'e'].find((id) => !busy.has(id))
      assert.ok(peer !== undefined)
      const out = loop.command('a', { type: 'connection-closed', peer })
      assert.ok(packetsTo(out, peer).some((p) => p.kind === PacketKind.PING && p.targetHash === fnv1a32(peer)))
      loop.runFor(1_000)
      assert.deepEqual(loop.events.filter((e) => e.event.type === 'suspect'), [])
    })

    it('is ignored for a peer this member does not know', () => {
      const a = lone('a')
      const out = a.step(1, { kind: 'command', command: { type: 'connection-closed', peer: 'stranger' } })
      assert.deepEqual(out.sends, [])
      assert.deepEqual(out.events, [])
    })
  })

  describe('anti-entropy cadence', () => {
    /** DIGESTs (round openings) `id` sent in (fromMs, toMs]. */
    const roundsOpened = (loop: Loop, id: string, fromMs: number, toMs: number): number => loop.sent.filter((s) =>
      s.from === id && s.channel === 'stream' && s.sentAtMs > fromMs && s.sentAtMs <= toMs && decodeSentFrame(s, config).kind === SyncKind.DIGEST).length
    const config: MembershipConfig = { ...localTestConfig(), pushPullIntervalMs: 5_000, pushPullHealIntervalMs: 500 }

    it('runs at pushPullIntervalMs while nobody is dead, and at pushPullHealIntervalMs while someone is', () => {
      const loop = cluster(9, 20_000, config)
      assertConverged(loop)
      const healthy = loop.nowMs
      loop.runFor(20_000)
      // 20 s at one round per 5 s (±10 %): 3 to 5 rounds each.
      for (const id of IDS) {
        const n = roundsOpened(loop, id, healthy, loop.nowMs)
        assert.ok(n >= 3 && n <= 5, `${id} opened ${n} rounds in 20 s with nobody dead`)
      }
      loop.down.add('e')
      loop.runFor(10_000)
      for (const id of IDS.slice(0, 4)) assert.equal(loop.get(id).member('e')?.state, 'dead')
      const withDead = loop.nowMs
      loop.runFor(10_000)
      // Every 500 ms (±10 %) once the next round is due: at least 15 in 10 s.
      for (const id of IDS.slice(0, 4)) {
        const n = roundsOpened(loop, id, withDead, loop.nowMs)
        assert.ok(n >= 15, `${id} opened ${n} rounds in 10 s with e dead`)
      }
    })

    it('a round that changed something brings the next one within pushPullFastIntervalMs, not at the one already due', () => {
      const loop = cluster(7, 20_000, config)
      assertConverged(loop)
      // Only anti-entropy carries news from here on: every packet is lost.
      loop.lose = (_from, _to, channel) => channel === 'packet'
      loop.add('x', 799, config)
      const joinedAt = loop.nowMs
      loop.command('x', { type: 'join', seeds: ['a'] })
      loop.runFor(10)
      assert.equal(loop.get('a').member('x')?.state, 'alive', 'a learned x from its join')
      // a's next round was up to pushPullIntervalMs (5 s) away; the join brings it within the fast interval.
      loop.runFor(1.1 * config.pushPullFastIntervalMs)
      assert.ok(roundsOpened(loop, 'a', joinedAt, loop.nowMs) >= 1, 'a opened a round soon after the join changed its view')
      // And on from member to member while rounds keep finding news; the rest within one slow interval.
      // (Alive or not: with every packet lost, x's probes fail and it is soon suspected.)
      const knowX = (): string[] => IDS.filter((id) => loop.get(id).member('x') !== undefined)
      loop.runFor(500)
      assert.ok(knowX().length >= 3, `only ${knowX().join(', ')} know x after 0.5 s`)
      loop.runFor(config.pushPullIntervalMs * 1.1)
      assert.deepEqual(knowX(), IDS)
    })
  })

  describe('round-trip time', () => {
    /** `a` knows `b` and `c` (a relay) and has just sent `b` a PING at time 1; returns it and that PING. */
    function pinged (): { a: Membership, ping: PacketMessage } {
      const a = lone('a')
      a.step(0, { kind: 'message', from: 'b', channel: 'packet', bytes: gossip([aliveOf('b'), aliveOf('c')]) })
      const out = a.step(1, { kind: 'command', command: { type: 'connection-closed', peer: 'b' } })
      return { a, ping: packetsTo(out, 'b').filter((p) => p.kind === PacketKind.PING)[0] }
    }
    const ack = (seq: number, targetHash: number): Uint8Array =>
      Packet.encode({ version: MEMBERSHIP_WIRE_VERSION, kind: PacketKind.ACK, seq, targetHash, target: '', updates: [] })

    it('a direct ACK reports the round trip of its PING, in local ms', () => {
      const { a, ping } = pinged()
      const out = a.step(8, { kind: 'message', from: 'b', channel: 'packet', bytes: ack(ping.seq, ping.targetHash) })
      assert.deepEqual(out.events.filter((e) => e.type === 'rtt'), [{ type: 'rtt', id: 'b', ms: 7 }])
    })

    it('an ACK for another target, or a second copy of the ACK, reports nothing', () => {
      const { a, ping } = pinged()
      const wrong = a.step(5, { kind: 'message', from: 'b', channel: 'packet', bytes: ack(ping.seq, fnv1a32('c')) })
      assert.deepEqual(wrong.events.filter((e) => e.type === 'rtt'), [])
      a.step(6, { kind: 'message', from: 'b', channel: 'packet', bytes: ack(ping.seq, ping.targetHash) })
      const again = a.step(7, { kind: 'message', from: 'b', channel: 'packet', bytes: ack(ping.seq, ping.targetHash) })
      assert.deepEqual(again.events.filter((e) => e.type === 'rtt'), [])
    })

    it('an ACK that comes after the indirect probes went out is not a round trip of the PING', () => {
      const { a, ping } = pinged()
      const c = localTestConfig()
      const indirect = runAlone(a, 2, 1 + c.probeTimeoutMs + 1)
      assert.ok(a.counters()['probes.indirect'] >= 1, `the indirect probes went out (${JSON.stringify(indirect)})`)
      // Past the direct timeout, still within the probe's interval: the probe would take this ACK.
      const late = 1 + c.probeTimeoutMs + 5
      assert.ok(late < 1 + c.probeIntervalMs)
      const out = a.step(late, { kind: 'message', from: 'b', channel: 'packet', bytes: ack(ping.seq, ping.targetHash) })
      assert.deepEqual(out.events.filter((e) => e.type === 'rtt'), [])
    })
  })

  describe('what a machine sends, its peers can decode', () => {
    /** Short ids, as the simulator uses, and the smallest valid meta: each ALIVE is about a dozen bytes. */
    const tinyAlive = (i: number): Update => ({
      kind: UpdateKind.ALIVE,
      node: `m${String(i).padStart(4, '0')}`,
      incarnation: 0,
      from: '',
      metaVersion: 0,
      meta: { name: '', role: Role.CLIENT, addrs: [], tags: [], state: new Uint8Array(0) }
    })

    function learn (m: Membership, count: number): void {
      for (let i = 0; i < count; i += 50) {
        const updates = Array.from({ length: Math.min(50, count - i) }, (_, j) => tinyAlive(i + j))
        m.step(0, { kind: 'message', from: 'm0000', channel: 'packet', bytes: gossip(updates) })
      }
      assert.equal(m.members().length, count)
    }

    function assertDecodable (sends: Send[], c: MembershipConfig): void {
      for (const s of sends) {
        if (s.channel === 'packet') decodeSent(s, c)
        else decodeSentFrame(s, c)
      }
    }

    it('a packet with news about a few dozen members', () => {
      const a = lone('a')
      learn(a, 40)
      const out = a.step(1, { kind: 'message', from: 'm0001', channel: 'packet', bytes: Packet.encode({ version: 1, kind: PacketKind.PING, seq: 1, target: 'a', targetHash: fnv1a32('a'), updates: [] }) })
      assertDecodable(out.sends, localTestConfig())
      assert.equal(packetsTo(out, 'm0001')[0].updates.length, 40)
    })

    // Regression: Gossip.send once filled a packet by bytes only, but the schema caps
    // Packet.updates at 64 (membership.proto, protons limit). With short ids (the simulator's) a queued
    // update is ~13 bytes, so a 1,400-byte packet carries ~100 of them and every receiver drops it as
    // 'malformed' ("more than 64 updates"), news and probe alike. Reached whenever 65+ small pieces of
    // news are queued, e.g. a join storm.
    it('a packet with news about a hundred members (within the 64-update limit)', () => {
      const a = lone('a')
      learn(a, 100)
      const out = a.step(1, { kind: 'message', from: 'm0001', channel: 'packet', bytes: Packet.encode({ version: 1, kind: PacketKind.PING, seq: 1, target: 'a', targetHash: fnv1a32('a'), updates: [] }) })
      assertDecodable(out.sends, localTestConfig())
    })

    // Regression: sendState once chunked STATE frames by bytes only, but the schema
    // caps Sync.members at 1,024. With lanConfig's 64 KiB frames and short ids, one chunk holds ~4,000
    // records, so the receiver drops it as 'malformed' ("more than 1024 members") and anti-entropy never completes in a cluster of more
    // than ~1,000 members with short ids (the simulator's 10,000-node runs).
    /** Plays the initiator of an anti-entropy round against `a`: DIGEST, then wants every summarised member. */
    function pullEverything (a: Membership, c: MembershipConfig): { summaries: Send[], records: Send[] } {
      const digest = Sync.encode({ version: 1, kind: SyncKind.DIGEST, session: 1, reply: false, buckets: new Array<number>(c.digestBuckets).fill(0), members: [], last: true, summary: [], want: [] })
      const summaries = a.step(1, { kind: 'message', from: 'm0001', channel: 'stream', bytes: digest }).sends.filter((x) => x.channel === 'stream')
      const hashes = summaries.flatMap((x) => Sync.decode(x.bytes).summary).filter((_, i) => i % 2 === 0)
      const records: Send[] = []
      for (let i = 0; i < hashes.length; i += 512) {
        const want = Sync.encode({ version: 1, kind: SyncKind.STATE, session: 1, reply: false, buckets: [], members: [], last: i + 512 >= hashes.length, summary: [], want: hashes.slice(i, i + 512) })
        records.push(...a.step(2, { kind: 'message', from: 'm0001', channel: 'stream', bytes: want }).sends.filter((x) => x.channel === 'stream'))
      }
      return { summaries, records }
    }

    it('anti-entropy frames for a 1,100-member view stay within the 1,024-member limit', () => {
      const c = lanConfig()
      const a = lone('a', c)
      learn(a, 1_100)
      const { summaries, records } = pullEverything(a, c)
      assert.ok(summaries.length > 0 && records.length > 1, 'summaries, then records in several chunks')
      assertDecodable([...summaries, ...records], c)
      assert.equal(records.flatMap((x) => Sync.decode(x.bytes).members).length, 1_101)
    })

    it('anti-entropy frames fit 4 KiB frames too (localTestConfig) for a 1,100-member view', () => {
      const c = localTestConfig()
      const a = lone('a', c)
      learn(a, 1_100)
      const { summaries, records } = pullEverything(a, c)
      assert.ok(summaries.every((x) => x.bytes.length <= c.maxFrameBytes) && records.every((x) => x.bytes.length <= c.maxFrameBytes), 'every frame within maxFrameBytes')
      assertDecodable([...summaries, ...records], c)
      assert.equal(records.flatMap((x) => Sync.decode(x.bytes).members).length, 1_101)
    })

    it('anti-entropy for a 300-member view: a summary of every member, then every record wanted', () => {
      const c = lanConfig()
      const a = lone('a', c)
      learn(a, 300)
      const { summaries, records } = pullEverything(a, c)
      assertDecodable([...summaries, ...records], c)
      assert.equal(summaries.flatMap((x) => Sync.decode(x.bytes).summary).length, 2 * 301, 'a (hash, version) pair for every member and this one')
      assert.equal(records.flatMap((x) => Sync.decode(x.bytes).members).length, 301, 'every member and this one')
    })

    /** Steps `m`'s timers until it opens an anti-entropy round; returns the DIGEST it sent. */
    function nextDigest (m: Membership, fromMs: number): Send {
      let wake = m.step(fromMs, { kind: 'timer' }).wakeAtMs
      while (wake !== undefined && wake < fromMs + 60_000) {
        const out = m.step(wake, { kind: 'timer' })
        const digest = out.sends.find((s) => s.channel === 'stream')
        if (digest !== undefined) return digest
        wake = out.wakeAtMs
      }
      assert.fail('no anti-entropy round within a minute')
    }

    // Once every bucket holds a live member, each bucket hash is a 5-byte varint plus a tag, so 256 buckets
    // make a ~1,540-byte DIGEST: a config whose frames cannot carry it must be refused up front.
    it('a config whose DIGEST would not fit maxFrameBytes is refused', () => {
      const c: MembershipConfig = { ...lanConfig(), digestBuckets: 256, maxFrameBytes: 1_400 }
      assert.ok(configProblems(c).some((p) => p.includes('digest')), 'configProblems names the digest')
      const fits: MembershipConfig = { ...lanConfig(), digestBuckets: 200, maxFrameBytes: 1_400 }
      assert.deepEqual(configProblems(fits), [])
      const a = lone('a', fits)
      learn(a, 2_000)
      assertDecodable([nextDigest(a, 1)], fits)
    })

    it('the same DIGEST check passes for the presets', () => {
      for (const c of [lanConfig(), localTestConfig()]) {
        assert.deepEqual(configProblems(c), [])
        const a = lone('a', c)
        learn(a, 2_000)
        const digest = nextDigest(a, 1)
        assert.equal(Sync.decode(digest.bytes).buckets.filter((b) => b === 0).length, 0, 'every bucket is in use')
        assertDecodable([digest], c)
      }
    })
  })
})
