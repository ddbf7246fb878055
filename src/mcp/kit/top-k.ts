// The K first items of a stream under an order, in O(K) memory: a walk over 100,000 entries
// keeps only the matches it may return.
export class TopK<T> {
  /** A max-heap under `before`: the item that would be dropped next sits at the top. */
  private readonly heap: T[] = [];

  constructor(
    private readonly capacity: number,
    /** Negative when a comes before b. */
    private readonly compare: (a: T, b: T) => number,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** The last item kept, once full: anything not before it can't get in. */
  worst(): T | undefined {
    return this.heap.length >= this.capacity ? this.heap[0] : undefined;
  }

  offer(item: T): void {
    if (this.capacity <= 0) return;
    if (this.heap.length < this.capacity) {
      this.heap.push(item);
      this.siftUp(this.heap.length - 1);
      return;
    }
    const top = this.heap[0] as T;
    if (this.compare(item, top) >= 0) return;
    this.heap[0] = item;
    this.siftDown(0);
  }

  /** The kept items, first first. */
  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (this.compare(heap[child] as T, heap[parent] as T) <= 0) return;
      [heap[child], heap[parent]] = [heap[parent] as T, heap[child] as T];
      child = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let parent = index;
    for (;;) {
      const left = parent * 2 + 1;
      const right = left + 1;
      let largest = parent;
      if (left < heap.length && this.compare(heap[left] as T, heap[largest] as T) > 0) largest = left;
      if (right < heap.length && this.compare(heap[right] as T, heap[largest] as T) > 0) largest = right;
      if (largest === parent) return;
      [heap[parent], heap[largest]] = [heap[largest] as T, heap[parent] as T];
      parent = largest;
    }
  }
}
