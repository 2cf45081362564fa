import { useEffect, useRef, useState } from "preact/hooks";
import { getJson } from "./api.ts";

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
  const [state, setState] = useState<Resource<T>>({ data: undefined, error: undefined, status: undefined, loading: url !== null });
  const sequence = useRef(0);
  const lastUrl = useRef(url);
  useEffect(() => {
    if (url === null) return;
    const request = ++sequence.current;
    const samePath = lastUrl.current?.split("?")[0] === url.split("?")[0];
    lastUrl.current = url;
    const controller = new AbortController();
    setState((s) => ({ ...s, data: samePath ? s.data : undefined, loading: true }));
    getJson<T>(url, controller.signal).then(
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
  }, [url, version]);
  return state;
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
