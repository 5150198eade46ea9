import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { ROOT } from '../src/desired-state/document.js'
import { readNewestStateHomes, stateHomeKey } from '../src/desired-state/operations.js'

const A = '12D3KooWAWt62tL9gDVRaR4jhkSnZfvadw1jcqGAbBcxsCPqLkUd'
const B = '12D3KooWAh3vrbVCK7SZJjmSb533tu1YGaJQmfSP8CwQDKZ8r4LV'

/** Placement's `stateHomes` from the desired state: per slot, the node whose copy has the highest epoch. */
describe('desired state: the newest state home of each slot', () => {
  it('picks the highest epoch per slot, the lower id on a tie, and skips malformed or misfiled entries', () => {
    const doc = new Y.Doc()
    const homes = doc.getMap(ROOT.stateHomes)
    const put = (workload: string, index: number, node: string, epoch: unknown, key = stateHomeKey(workload, index, node)): void => {
      homes.set(key, { workload, index, node, epoch, by: node, atMs: 1 })
    }
    put('db', 0, A, 5)
    put('db', 0, B, 9)
    put('db', 1, A, 3)
    put('db', 1, B, 3)
    put('kv', 0, A, -1)
    put('kv', 0, B, 'x')
    put('kv', 1, A, 7, stateHomeKey('kv', 1, B))
    assert.deepEqual(readNewestStateHomes(doc).sort((x, y) => x.workload.localeCompare(y.workload) || x.index - y.index), [
      { workload: 'db', index: 0, node: B },
      { workload: 'db', index: 1, node: A < B ? A : B }
    ])
  })
})
