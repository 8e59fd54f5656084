/**
 * At most `size` tasks at once, started in the order they asked. A task still waiting when
 * the signal aborts is never started (`run` resolves undefined).
 */
export class Slots {
  private free: number
  private readonly waiting: Array<() => void> = []

  constructor(size: number) {
    this.free = size
  }

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T | undefined> {
    if (signal.aborted) return undefined
    if (this.free > 0) this.free--
    else if (!(await this.wait(signal))) return undefined
    try {
      return await task()
    } finally {
      this.release()
    }
  }

  /** Resolves true with a slot taken for the caller, or false when the signal aborts first. */
  private wait(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(take)
        if (index !== -1) this.waiting.splice(index, 1)
        resolve(false)
      }

      const take = () => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      }

      signal.addEventListener('abort', onAbort, {once: true})
      this.waiting.push(take)
    })
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.free++
  }
}
