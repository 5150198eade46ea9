#!/usr/bin/env node
// peer-board: the smallest cluster-aware app. Every instance serves, on port 7000 + its index, who it is and
// which other instances it sees (with their addresses), and lets a person ask the cluster for more or fewer
// instances, or send this instance elsewhere. It prints when it gets its stop notice.
//
//   dreammesh run --name board --kind cluster-aware --min 1 --max 3 --cpu 1000 --memory 256 -- node examples/peer-board/app.mjs
//   curl localhost:7000/            # { me, peers }
//   curl -X POST 'localhost:7000/scale?n=3'
//   curl -X POST localhost:7000/leave
import { createServer } from 'node:http'
import { ClusterInstance } from '@dreammesh/node/sdk'

const me = ClusterInstance.fromEnv()
const port = Number(process.env.PEER_BOARD_BASE_PORT ?? 7000) + me.index
let peers = []

me.watchPeers((now) => {
  peers = now
  console.log(`peers: ${now.map((p) => `#${p.index}@${p.nodeName}(${p.addresses[0] ?? '?'})`).join(' ') || 'none'}`)
}, { intervalMs: 500, onError: (err) => { console.error(`peer watch: ${err.message}`) } })

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const answer = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)) }
  const act = (promise) => promise.then((value) => answer(200, { ok: true, value: value ?? null }), (err) => answer(409, { ok: false, error: err.message }))
  if (req.method === 'GET' && url.pathname === '/') return answer(200, { me: { workload: me.workload, index: me.index, epoch: me.epoch, node: me.node }, peers })
  if (req.method === 'POST' && url.pathname === '/scale') return act(me.requestInstances(Number(url.searchParams.get('n'))))
  if (req.method === 'POST' && url.pathname === '/leave') return act(me.leave())
  answer(404, { ok: false, error: 'GET /, POST /scale?n=N, POST /leave' })
})
server.listen(port, '127.0.0.1', () => { console.log(`peer-board #${me.index} (epoch ${me.epoch}) on 127.0.0.1:${port}`) })

me.onStopNotice(async () => {
  console.log(`stop notice: #${me.index} is being stopped; closing`)
  await new Promise((resolve) => server.close(resolve))
})
