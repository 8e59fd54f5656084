/** Edit distance (insertions, deletions, substitutions) between two command ids. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }

    previous = current
  }

  return previous[b.length]
}

/** The id of `candidates` closest to `id` (the first of equals), or undefined when there are none. */
export function closestId(id: string, candidates: readonly string[]): string | undefined {
  let best: {distance: number; id: string} | undefined
  for (const candidate of candidates) {
    const distance = editDistance(id, candidate)
    if (best === undefined || distance < best.distance) best = {distance, id: candidate}
  }

  return best?.id
}
