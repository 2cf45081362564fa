import type { JSX } from "preact";
import type { EventRecord } from "../view/api-types.ts";
import { formatDateTime } from "../view/format.ts";
import { useCatalog } from "./catalog.tsx";
import {
  Empty,
  FilterBar,
  FilterSelect,
  JsonBlock,
  LIST_PAGE_SIZE,
  LoadError,
  LoadMore,
  PageHeader,
  StatusBadge,
  TimeAgo,
} from "./components.tsx";
import { useListCount, useNow, usePagedList, useTitle } from "./hooks.ts";
import { useLive } from "./live.tsx";
import { Link, setQueryParam, withQuery } from "./router.tsx";
import { SendEventButton } from "./send-event.tsx";

/**
 * Events, newest first: name, id, time, ACCEPTED/REJECTED and the runs each started. A rejected event
 * lists every validation error with its JSON pointer (the tutorial's troubleshooting sends users here).
 */
export function EventsPage(props: { readonly query: URLSearchParams }): JSX.Element {
  useTitle("Events");
  const live = useLive();
  const { jobs } = useCatalog();
  const name = props.query.get("name") ?? "";
  const focused = props.query.get("event") ?? "";
  const apiQuery = new URLSearchParams(name ? { name } : {});
  const url = withQuery("/api/v1/events", apiQuery);
  const [count, setCount] = useListCount(url);
  const events = usePagedList<EventRecord>(url, "events", count, live.events);
  const list = [...(events.data?.items ?? [])].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  const now = useNow(true, 5000);
  const names = [...new Set([...jobs.map((j) => j.trigger.event), ...list.map((e) => e.name)])].sort();
  const jobName = (id: string): string => jobs.find((j) => j.id === id)?.name ?? id;

  return (
    <div class="page" aria-busy={events.data === undefined}>
      <PageHeader title="Events" actions={<SendEventButton />} />
      <FilterBar count={events.data === undefined ? undefined : list.length} more={events.data?.more} noun="event">
        <FilterSelect
          label="Event name"
          value={name}
          allLabel="All events"
          options={names.map((n) => ({ value: n, label: n }))}
          onChange={(v) => setQueryParam("/events", new URLSearchParams(), "name", v)}
        />
      </FilterBar>
      <LoadError message={events.error} />
      {events.data !== undefined && list.length === 0 ? (
        <Empty title="No events yet">
          <p>Events sent to this app appear here with their validation result.</p>
          <SendEventButton />
        </Empty>
      ) : (
        <ol class="event-list" data-testid="events-list">
          {list.map((event) => (
            <li
              key={event.id}
              class={`event-item event-${event.status.toLowerCase()} ${event.id === focused ? "event-focused" : ""}`}
              data-event-id={event.id}
              data-status={event.status}
              ref={event.id === focused ? scrollOnce : undefined}
            >
              <div class="event-row">
                <div class="event-main">
                  <code class="event-name">{event.name}</code>
                  <span class="mono muted small event-id" title="Event id">
                    {event.id}
                  </span>
                </div>
                <StatusBadge status={event.status} />
                <span class="event-time muted small" title={formatDateTime(event.receivedAt)}>
                  <TimeAgo iso={event.receivedAt} now={now} />
                </span>
              </div>
              {event.errors.length > 0 && (
                <ul class="issues" aria-label="Validation errors" data-testid="event-errors">
                  {event.errors.map((issue, i) => (
                    <li key={i} class="issue">
                      <code class="pointer" data-testid="error-pointer">
                        {issue.path || "/"}
                      </code>
                      <span class="issue-message">{issue.message}</span>
                      <span class="muted small">
                        {" "}
                        · <Link href={`/jobs/${encodeURIComponent(issue.jobId)}`}>{jobName(issue.jobId)}</Link>
                      </span>
                    </li>
                  ))}
                </ul>
              )}
              <div class="event-foot">
                {event.runs.length > 0 ? (
                  <span class="event-runs">
                    <span class="muted small">Started</span>
                    {event.runs.map((run) => (
                      <Link key={run.id} href={`/runs/${encodeURIComponent(run.id)}`} class="chip" title={run.id}>
                        {jobName(run.jobId)}
                      </Link>
                    ))}
                  </span>
                ) : (
                  <span class="muted small">{event.status === "REJECTED" ? "No run started" : "No job listens to this event"}</span>
                )}
                <details class="payload-toggle" open={event.id === focused || undefined}>
                  <summary>
                    Payload <span class="payload-preview mono">{JSON.stringify(event.payload)?.slice(0, 300)}</span>
                  </summary>
                  <JsonBlock value={event.payload} label="Event payload" />
                </details>
              </div>
            </li>
          ))}
        </ol>
      )}
      <LoadMore more={events.data?.more === true} loading={events.loading} onClick={() => setCount(count + LIST_PAGE_SIZE)} noun="events" />
    </div>
  );
}

const scrolled = new WeakSet<Element>();

/** Brings the event a run links to into view, once. */
function scrollOnce(el: HTMLLIElement | null): void {
  if (el && !scrolled.has(el)) {
    scrolled.add(el);
    el.scrollIntoView({ block: "center" });
  }
}
