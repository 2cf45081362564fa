import { type ComponentChildren, createContext, type JSX } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import type { AppInfo, Job } from "../view/api-types.ts";
import { getJson, listOf } from "./api.ts";
import { useLive } from "./live.tsx";

/**
 * What every page needs about the app: its id and its registered jobs (names for run rows, event names
 * for the Send Event suggestions, schemas for the payload editor). Reloaded on demand, since jobs are
 * re-registered while `stepjobs dev` runs.
 */
export interface Catalog {
  readonly app: AppInfo | undefined;
  readonly jobs: readonly Job[];
  /** Whether the first jobs answer (or failure) has arrived: until then no payload can be validated. */
  readonly loaded: boolean;
  readonly reload: () => void;
}

const CatalogContext = createContext<Catalog>({ app: undefined, jobs: [], loaded: false, reload: () => {} });

/** The app id and the registered jobs. */
export function useCatalog(): Catalog {
  return useContext(CatalogContext);
}

/** The job with an id, once the catalog has loaded. */
export function useJob(id: string | undefined): Job | undefined {
  return useCatalog().jobs.find((j) => j.id === id);
}

/** Loads the catalog at start, on `reload()` and when the dev server re-registers a job. */
export function CatalogProvider(props: { readonly children: ComponentChildren }): JSX.Element {
  const [app, setApp] = useState<AppInfo | undefined>(undefined);
  const [jobs, setJobs] = useState<readonly Job[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const live = useLive();
  useEffect(() => {
    const controller = new AbortController();
    getJson<AppInfo>("/api/v1/app", controller.signal).then(setApp, () => {});
    getJson<unknown>("/api/v1/jobs", controller.signal).then(
      (body) => {
        setJobs(listOf<Job>(body, "jobs"));
        setLoaded(true);
      },
      () => {
        if (!controller.signal.aborted) setLoaded(true);
      },
    );
    return () => controller.abort();
  }, [version, live.jobs]);
  return <CatalogContext.Provider value={{ app, jobs, loaded, reload }}>{props.children}</CatalogContext.Provider>;
}
