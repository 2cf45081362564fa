/**
 * In-process notifications of what changed (a run, an event), fanned out to the `/api/v1/stream` SSE clients
 * so the dashboard updates live. Fire and forget: a slow or failing subscriber never blocks a run.
 */

/** One change: the dashboard refetches the named resource. */
export interface Change {
  readonly type: "run" | "event" | "job";
  readonly id: string;
}

/** A set of subscribers. */
export class ChangeFeed {
  private readonly subscribers = new Set<(change: Change) => void>();

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(fn: (change: Change) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  emit(change: Change): void {
    for (const fn of this.subscribers) {
      try {
        fn(change);
      } catch {
        // A broken subscriber (a closed socket) must not stop the others or the run that emitted.
      }
    }
  }
}
