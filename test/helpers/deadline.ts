/**
 * `work`, or a rejection once `ms` have passed: for the tests whose bug was a wait that never ended (a read
 * of a FIFO, an `Include` fan-out), so that such a bug fails the test instead of hanging it.
 */
export async function settlesWithin<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
