import assert from 'node:assert/strict'
import { assignmentsOf, carryForward, placementChanges } from '../src/placement/diff.js'
import type { Placement } from '../src/placement/types.js'

const a = (workload: string, index: number, node: string): { workload: string, index: number, node: string } => ({ workload, index, node })

describe('placement: placementChanges', () => {
  it('tells starts, stops and moves apart, and leaves unchanged slots alone', () => {
    const before = [a('web', 0, 'x'), a('db', 0, 'y'), a('old', 0, 'x'), a('web', 1, 'y')]
    const after = [a('web', 0, 'x'), a('db', 0, 'z'), a('new', 0, 'y'), a('web', 1, 'y')]
    assert.deepEqual(placementChanges(before, after), {
      starts: [a('new', 0, 'y')],
      stops: [a('old', 0, 'x')],
      moves: [{ workload: 'db', index: 0, from: 'y', to: 'z' }]
    })
    assert.deepEqual(placementChanges(after, after), { starts: [], stops: [], moves: [] })
  })

  it('a slot running twice keeps the copy on its node, or moves from the lowest id, and stops the others', () => {
    assert.deepEqual(placementChanges([a('s', 0, 'q'), a('s', 0, 'p')], [a('s', 0, 'q')]), { starts: [], stops: [a('s', 0, 'p')], moves: [] })
    assert.deepEqual(placementChanges([a('s', 0, 'q'), a('s', 0, 'p')], [a('s', 0, 'r')]), {
      starts: [],
      stops: [a('s', 0, 'q')],
      moves: [{ workload: 's', index: 0, from: 'p', to: 'r' }]
    })
  })

  it('a slot that went pending is stopped; a waiting guest is carried forward but never started', () => {
    const p: Placement = {
      slots: [
        { workload: 'web', index: 0, kind: 'service', status: 'placed', node: 'x', cause: 'kept' },
        { workload: 'big', index: 0, kind: 'service', status: 'pending', reason: 'insufficient-capacity', detail: '' },
        { workload: 'win', index: 0, kind: 'vm', status: 'pending', reason: 'vm-node-lost', detail: '', node: 'gone' }
      ],
      refusedMoves: [],
      problems: [],
      booked: []
    }
    assert.deepEqual(assignmentsOf(p), [a('web', 0, 'x')])
    assert.deepEqual(carryForward(p), [a('web', 0, 'x'), a('win', 0, 'gone')])
    assert.deepEqual(placementChanges([a('web', 0, 'x'), a('big', 0, 'y'), a('win', 0, 'gone')], assignmentsOf(p)), {
      starts: [],
      stops: [a('big', 0, 'y'), a('win', 0, 'gone')],
      moves: []
    })
  })

  it('its lists come out in slot order, whatever the input order', () => {
    const before = [a('b', 1, 'x'), a('a', 2, 'x'), a('a', 10, 'x')]
    const after = [a('c', 3, 'y'), a('c', 1, 'y')]
    const c = placementChanges(before, after)
    assert.deepEqual(c.stops, [a('a', 2, 'x'), a('a', 10, 'x'), a('b', 1, 'x')])
    assert.deepEqual(c.starts, [a('c', 1, 'y'), a('c', 3, 'y')])
  })
})
