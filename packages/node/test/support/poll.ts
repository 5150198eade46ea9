import { CONVERGE_BUDGET_MS } from '../wait.js'

/** Granularity of polling, in ms. */
const POLL_MS = 20

/**
 * Polls an async condition until it holds; fails with `what` (a function, to report the last values seen)
 * after `budgetMs`. A bound, not an expected speed.
 */
export async function pollUntil (what: string | (() => string), done: () => Promise<boolean>, budgetMs = CONVERGE_BUDGET_MS): Promise<void> {
  const deadline = performance.now() + budgetMs
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`not within ${budgetMs} ms: ${typeof what === 'string' ? what : what()}`)
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
}
