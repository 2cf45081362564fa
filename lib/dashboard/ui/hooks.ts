import { useEffect, useRef, useState } from "preact/hooks";
import { collectPages } from "../view/collect-pages.ts";
import { getJson, listOf } from "./api.ts";
import { LIST_PAGE_SIZE } from "./components.tsx";

/**
 * Data hooks. A resource keeps showing its last data while it refetches, so live updates replace values
 * in place instead of flashing a loading state (no layout shift).
 */

/** A fetched resource. */
export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  /** HTTP status of the last failure (404 for a missing run), if any. */
  readonly status: number | undefined;
  readonly loading: boolean;
}

/** GETs `url` (skipped when null) and again whenever `version` changes; answers arriving out of order are dropped. */
export function useResource<T>(url: string | null, version = 0): Resource<T> {
  return useLoaded<T>(url, (signal) => getJson<T>(url!, signal), version);
}

/** A list read a page at a time: the newest `count` items (following `nextCursor`), and whether more exist. */
export interface PagedList<T> {
  readonly items: readonly T[];
  readonly more: boolean;
}

/**
 * The newest `count` items of a paged list (`GET url` answering `{ [key]: [...], nextCursor }`), refetched whenever
 * `version` or `count` changes: "Load more" raises `count`, and live updates reread from the top, so a list never
 * has a gap where new items pushed older ones to a later page.
 */
export function usePagedList<T>(url: string, key: string, count: number, version = 0): Resource<PagedList<T>> {
  const separator = url.includes("?") ? "&" : "?";
  return useLoaded<PagedList<T>>(
    `${url}${separator}count=${count}`,
    (signal) =>
      collectPages<T>(async (limit, cursor) => {
        const body = await getJson<Record<string, unknown>>(
          `${url}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
          signal,
        );
        return { items: listOf<T>(body, key), nextCursor: typeof body?.nextCursor === "string" ? body.nextCursor : null };
      }, count),
    version,
  );
}

/**
 * Runs `load` for `key` (skipped when null) and again whenever `key` or `version` changes; answers arriving out of
 * order are dropped. The data stays while the same path (the key before `?`) refetches.
 */
function useLoaded<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, version: number): Resource<T> {
  const [state, setState] = useState<Resource<T>>({ data: undefined, error: undefined, status: undefined, loading: key !== null });
  const sequence = useRef(0);
  const lastKey = useRef(key);
  useEffect(() => {
    if (key === null) return;
    const request = ++sequence.current;
    const samePath = lastKey.current?.split("?")[0] === key.split("?")[0];
    lastKey.current = key;
    const controller = new AbortController();
    setState((s) => ({ ...s, data: samePath ? s.data : undefined, loading: true }));
    load(controller.signal).then(
      (data) => {
        if (request === sequence.current) setState({ data, error: undefined, status: undefined, loading: false });
      },
      (error: unknown) => {
        if (request !== sequence.current || controller.signal.aborted) return;
        const status = (error as { status?: number }).status;
        setState((s) => ({ ...s, error: error instanceof Error ? error.message : String(error), status, loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, version]);
  return state;
}

/** How many items of the list at `url` to show: starts at one page, and again whenever the filters (the url) change. */
export function useListCount(url: string): [number, (count: number) => void] {
  const [shown, setShown] = useState({ url, count: LIST_PAGE_SIZE });
  const count = shown.url === url ? shown.count : LIST_PAGE_SIZE;
  return [count, (next) => setShown({ url, count: next })];
}

/** The current time, ticking every `intervalMs` while `active` (durations of running runs). */
export function useNow(active: boolean, intervalMs = 250): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    setNow(Date.now());
    if (!active) return;
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/** Sets the document title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · stepjobs` : "stepjobs";
  }, [title]);
}
