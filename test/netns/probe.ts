/**
 * A tiny UDP tool the harness tests run inside namespaces (the machine has no ping):
 *
 *   node probe.ts echo <addr> <port>            answer every datagram; prints "ready" once bound
 *   node probe.ts ping <addr> <port> <waitMs>   exit 0 on an answer, 1 on none within waitMs
 *   node probe.ts mdns-listen <addr> <waitMs>   join 224.0.0.251:5353 on <addr>; exit 0 on a datagram
 *   node probe.ts mdns-send <waitMs>            send to 224.0.0.251:5353 every RESEND_MS for waitMs
 */
import dgram from 'node:dgram'

const MDNS_GROUP = '224.0.0.251'
const MDNS_PORT = 5353
/** Multicast is unreliable; resend until the listener has surely joined. */
const RESEND_MS = 100

const [mode, ...rest] = process.argv.slice(2)
const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true })
const exitAfter = (ms: number, code: number): void => { setTimeout(() => process.exit(code), ms) }

switch (mode) {
  case 'echo': {
    const [addr, port] = rest
    socket.on('message', (msg, from) => { socket.send(msg, from.port, from.address) })
    socket.bind(Number(port), addr, () => { console.log('ready') })
    break
  }
  case 'ping': {
    const [addr, port, waitMs] = rest
    socket.on('message', () => process.exit(0))
    socket.bind(0, () => { socket.send('ping', Number(port), addr) })
    exitAfter(Number(waitMs), 1)
    break
  }
  case 'mdns-listen': {
    const [addr, waitMs] = rest
    socket.on('message', () => process.exit(0))
    socket.bind(MDNS_PORT, () => {
      socket.addMembership(MDNS_GROUP, addr)
      console.log('ready')
    })
    exitAfter(Number(waitMs), 1)
    break
  }
  case 'mdns-send': {
    const [waitMs] = rest
    socket.bind(0, () => {
      const send = (): void => { socket.send('dreammesh-probe', MDNS_PORT, MDNS_GROUP) }
      send()
      setInterval(send, RESEND_MS)
    })
    exitAfter(Number(waitMs), 0)
    break
  }
  default:
    console.error(`unknown mode ${mode}`)
    process.exit(2)
}
