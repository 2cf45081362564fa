import { type ComponentChildren, createContext, type JSX } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";

/**
 * Live updates: the dev server's `/api/v1/stream` (Server-Sent Events, `{"type":"run"|"event","id"}` per
 * change, `"job"` when a job is re-registered) bumps a version per kind, and resources refetch when their kind's version moves. When the
 * stream drops the page polls every {@link POLL_INTERVAL_MS} until it is back; the sidebar shows which.
 */

/** How the page is kept current. */
export type Connection = "connecting" | "live" | "polling" | "offline";

/** Change counters per kind of record, plus the connection state. */
export interface LiveState {
  readonly connection: Connection;
  readonly runs: number;
  readonly events: number;
  readonly jobs: number;
}

/** Polling period while the stream is down, ms. */
export const POLL_INTERVAL_MS = 2000;
/** Changes arriving within this window cause one refetch, ms. */
export const COALESCE_MS = 120;

const LiveContext = createContext<LiveState>({ connection: "connecting", runs: 0, events: 0, jobs: 0 });

/** The live state of the page. */
export function useLive(): LiveState {
  return useContext(LiveContext);
}

/** Opens the stream for the whole app and falls back to polling while it is down. */
export function LiveProvider(props: { readonly children: ComponentChildren }): JSX.Element {
  const [state, setState] = useState<LiveState>({ connection: "connecting", runs: 0, events: 0, jobs: 0 });
  const pending = useRef({ runs: false, events: false, jobs: false, timer: 0 });

  useEffect(() => {
    let closed = false;
    let source: EventSource | undefined;
    let poller = 0;
    let reopen = 0;

    const flush = (): void => {
      const p = pending.current;
      p.timer = 0;
      setState((s) => ({ ...s, runs: s.runs + Number(p.runs), events: s.events + Number(p.events), jobs: s.jobs + Number(p.jobs) }));
      p.runs = false;
      p.events = false;
      p.jobs = false;
    };
    const changed = (kinds: { runs?: boolean; events?: boolean; jobs?: boolean }): void => {
      const p = pending.current;
      p.runs ||= Boolean(kinds.runs);
      p.events ||= Boolean(kinds.events);
      p.jobs ||= Boolean(kinds.jobs);
      if (!p.timer) p.timer = window.setTimeout(flush, COALESCE_MS);
    };
    const setConnection = (connection: Connection): void => setState((s) => (s.connection === connection ? s : { ...s, connection }));

    const poll = async (): Promise<void> => {
      try {
        const res = await fetch("/api/v1/app", { credentials: "same-origin" });
        if (closed) return;
        setConnection(res.ok ? "polling" : "offline");
        if (res.ok) changed({ runs: true, events: true });
      } catch {
        if (!closed) setConnection("offline");
      }
    };
    const startPolling = (): void => {
      if (poller) return;
      poller = window.setInterval(() => void poll(), POLL_INTERVAL_MS);
      void poll();
    };
    const stopPolling = (): void => {
      window.clearInterval(poller);
      poller = 0;
    };

    const open = (): void => {
      source = new EventSource("/api/v1/stream");
      // Every open refetches: a change made between the page's fetches and this moment (page load, or the
      // stream being down) was sent to no one, and a finished or waiting run may not change again.
      source.onopen = () => {
        stopPolling();
        setConnection("live");
        changed({ runs: true, events: true, jobs: true });
      };
      source.onmessage = (message: MessageEvent<string>) => {
        let type: unknown;
        try {
          type = (JSON.parse(message.data) as { type?: unknown }).type;
        } catch {
          return;
        }
        changed(
          type === "run"
            ? { runs: true }
            : type === "event"
              ? { events: true, runs: true }
              : type === "job"
                ? { jobs: true }
                : { runs: true, events: true, jobs: true },
        );
      };
      source.onerror = () => {
        startPolling();
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          reopen = window.setTimeout(open, POLL_INTERVAL_MS * 2);
        }
      };
    };
    open();
    return () => {
      closed = true;
      source?.close();
      stopPolling();
      window.clearTimeout(reopen);
      window.clearTimeout(pending.current.timer);
    };
  }, []);

  return <LiveContext.Provider value={state}>{props.children}</LiveContext.Provider>;
}
