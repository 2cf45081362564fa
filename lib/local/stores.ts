import type { EventStore } from "../ingest/types.ts";
import type { EventPages, RunStore } from "../store/types.ts";

/** The two stores `stepjobs dev` keeps on dynalite: events (ingest) and runs (attempts, logs, memo). */
export interface LocalStores {
  readonly events: EventStore & EventPages;
  readonly runs: RunStore;
}
