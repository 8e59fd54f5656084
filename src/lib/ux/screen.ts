/**
 * Who is drawing on the terminal right now. A progress step that animates a line registers
 * itself here; a prompt (or a note) suspends it while it draws, so a spinner never writes
 * over a question the operator is answering.
 */
export interface ScreenActivity {
  /** Stops drawing and leaves the cursor at the start of a clean line. */
  suspend(): void
  /** Starts drawing again below whatever was written meanwhile. */
  restore(): void
}

const active: ScreenActivity[] = []

/** Registers an activity as the one drawing now (on top of any earlier one); returns its release. */
export function claimScreen(activity: ScreenActivity): () => void {
  active.at(-1)?.suspend()
  active.push(activity)
  return () => {
    const index = active.lastIndexOf(activity)
    if (index === -1) return
    active.splice(index, 1)
    if (index === active.length) active.at(-1)?.restore()
  }
}

/** Runs `draw` (a prompt, a message) with the current activity suspended, then restores it. */
export async function withScreenSuspended<T>(draw: () => Promise<T>): Promise<T> {
  const current = active.at(-1)
  current?.suspend()
  try {
    return await draw()
  } finally {
    if (current && active.at(-1) === current) current.restore()
  }
}

/** Writes whole lines to a stream without tearing an animated line drawn on it. */
export function writeLines(stream: NodeJS.WritableStream, text: string): void {
  const current = active.at(-1)
  current?.suspend()
  stream.write(text.endsWith('\n') ? text : text + '\n')
  current?.restore()
}

/** Stops whatever is drawing and leaves the cursor at the start of a clean line, for good (the process ends). */
export function suspendScreen(): void {
  active.at(-1)?.suspend()
}
