/** Checks a stream of sequence numbers that should be exactly 0, 1, 2, … `expected - 1`. */
export interface SeqVerdict {
  received: number;
  /** Numbers below `expected` (or below the highest seen) that never arrived. */
  lost: number;
  /** Numbers that arrived more than once. */
  dup: number;
  /** Arrivals smaller than the one before. */
  reordered: number;
}

export function analyzeSeq(received: readonly number[], expected?: number): SeqVerdict {
  const seen = new Set<number>();
  let dup = 0;
  let reordered = 0;
  let max = -1;
  let prev = -1;
  for (const n of received) {
    if (seen.has(n)) dup++;
    seen.add(n);
    if (n < prev) reordered++;
    prev = n;
    if (n > max) max = n;
  }
  const span = expected ?? max + 1;
  let lost = 0;
  for (let i = 0; i < span; i++) if (!seen.has(i)) lost++;
  return { received: received.length, lost, dup, reordered };
}
