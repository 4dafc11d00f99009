/**
 * A binary min-heap of items by a numeric rank (lower is better), counting the comparisons it
 * makes so that callers can show the work a sweep does. Removal is lazy: the caller pops stale
 * items off the top (see timeline.ts).
 */
export interface WorkCounter {
  /** Comparisons made by sorts and heaps. */
  comparisons: number;
}

export class RankHeap<T extends { rank: number }> {
  private readonly items: T[] = [];

  constructor(private readonly work: WorkCounter) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.isBetter(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < items.length && this.isBetter(items[left]!, items[best]!)) best = left;
      if (right < items.length && this.isBetter(items[right]!, items[best]!)) best = right;
      if (best === i) return top;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
  }

  private isBetter(a: T, b: T): boolean {
    this.work.comparisons++;
    return a.rank < b.rank;
  }
}
