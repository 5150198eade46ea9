/** The longest any one condition may take to become true, in ms. A bound, not an expected speed. */
export const CONVERGE_BUDGET_MS = 10_000
/** Granularity of polling, in ms. */
const POLL_MS = 20

/** Polls `done` until it holds; fails with `what` after `budgetMs`. */
export async function waitUntil (what: string, done: () => boolean, budgetMs = CONVERGE_BUDGET_MS): Promise<void> {
  const deadline = performance.now() + budgetMs
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not within ${budgetMs} ms: ${what}`)
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
}
