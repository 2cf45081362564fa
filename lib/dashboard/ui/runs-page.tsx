import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Run } from "../view/api-types.ts";
import { displayStatus, elapsedMs, formatClock, formatDuration, statusLabel } from "../view/format.ts";
import { getJson } from "./api.ts";
import { useCatalog } from "./catalog.tsx";
import { Empty, FilterBar, FilterSelect, LIST_PAGE_SIZE, LoadError, LoadMore, PageHeader, StatusBadge, TimeAgo } from "./components.tsx";
import { useListCount, useNow, usePagedList, useTitle } from "./hooks.ts";
import { useLive } from "./live.tsx";
import { Link, setQueryParam, withQuery } from "./router.tsx";
import { SendEventButton } from "./send-event.tsx";

/** Status filter options; "RETRYING" is a running run with a task between attempts (filtered here). */
export const STATUS_FILTERS = ["RUNNING", "RETRYING", "SUCCEEDED", "FAILED", "ABORTED"] as const;

/** Runs, newest first, filtered by job and status through the URL (`/runs?jobId=&status=`), updated live. */
export function RunsPage(props: { readonly query: URLSearchParams }): JSX.Element {
  useTitle("Runs");
  const { jobs } = useCatalog();
  const live = useLive();
  const jobId = props.query.get("jobId") ?? "";
  const status = props.query.get("status") ?? "";
  const apiQuery = new URLSearchParams();
  if (jobId) apiQuery.set("jobId", jobId);
  if (status) apiQuery.set("status", status === "RETRYING" ? "RUNNING" : status);
  const url = withQuery("/api/v1/runs", apiQuery);
  const [count, setCount] = useListCount(url);
  const runs = usePagedList<Run>(url, "runs", count, live.runs);
  const summaries = runs.data?.items ?? [];
  const details = useRunningDetails(summaries, live.runs);
  const list = summaries
    .map((r) => (r.status === "RUNNING" && details.get(r.id)?.status === "RUNNING" ? { ...r, tasks: details.get(r.id)?.tasks } : r))
    .filter((r) => status !== "RETRYING" || displayStatus(r) === "RETRYING")
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const now = useNow(true, list.some((r) => r.status === "RUNNING") ? 1000 : 10_000);

  const jobName = (id: string): string => jobs.find((j) => j.id === id)?.name ?? id;

  return (
    <div class="page" aria-busy={runs.data === undefined}>
      <PageHeader title="Runs" actions={<SendEventButton />} />
      <FilterBar count={runs.data === undefined ? undefined : list.length} more={runs.data?.more} noun="run">
        <FilterSelect
          label="Job"
          value={jobId}
          allLabel="All jobs"
          options={jobs.map((j) => ({ value: j.id, label: j.name }))}
          onChange={(v) => setQueryParam("/runs", props.query, "jobId", v)}
          testId="filter-job"
        />
        <FilterSelect
          label="Status"
          value={status}
          allLabel="Any status"
          options={STATUS_FILTERS.map((s) => ({ value: s, label: statusLabel(s) }))}
          onChange={(v) => setQueryParam("/runs", props.query, "status", v)}
          testId="filter-status"
        />
      </FilterBar>
      <LoadError message={runs.error} />
      {runs.data !== undefined && list.length === 0 ? (
        <Empty title={jobId || status ? "No runs match these filters" : "No runs yet"}>
          <p>Send an event a job listens to and its run shows up here, live.</p>
          <SendEventButton />
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="table table-fixed" data-testid="runs-table">
            <colgroup>
              <col class="col-run" />
              <col class="col-job" />
              <col class="col-status" />
              <col class="col-started" />
              <col class="col-duration" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col" class="num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.data === undefined && <SkeletonRows columns={5} />}
              {list.map((run) => (
                <tr key={run.id} data-run-id={run.id}>
                  <td data-label="Run">
                    <Link href={`/runs/${encodeURIComponent(run.id)}`} class="mono link" title={run.id} data-testid="run-link">
                      {run.id}
                    </Link>
                  </td>
                  <td data-label="Job">
                    <span class="cell-main">{jobName(run.jobId)}</span>
                    <span class="cell-sub mono">{run.jobId}</span>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={displayStatus(run)} />
                  </td>
                  <td data-label="Started">
                    <span class="cell-main">
                      <TimeAgo iso={run.startedAt} now={now} />
                    </span>
                    <span class="cell-sub mono">{formatClock(run.startedAt).slice(0, 8)}</span>
                  </td>
                  <td data-label="Duration" class="num mono">
                    {formatDuration(elapsedMs(run.startedAt, run.completedAt, now))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore more={runs.data?.more === true} loading={runs.loading} onClick={() => setCount(count + LIST_PAGE_SIZE)} noun="runs" />
    </div>
  );
}

/** Placeholder rows while the first answer loads, the height of real rows. */
export function SkeletonRows(props: { readonly columns: number; readonly rows?: number }): JSX.Element {
  return (
    <>
      {Array.from({ length: props.rows ?? 3 }, (_, i) => (
        <tr key={i} class="skeleton-row" aria-hidden="true">
          {Array.from({ length: props.columns }, (_, j) => (
            <td key={j}>
              <span class="skeleton" />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}

/** Most running runs whose task statuses are fetched, to tell Running from Retrying in the list. */
export const MAX_DETAILED_RUNS = 25;

/**
 * The list API returns runs without their tasks; for the running ones (a handful at a time) the detail is
 * fetched, so a run waiting to retry shows "Retrying" as the tutorial describes.
 */
function useRunningDetails(runs: readonly Run[], version: number): ReadonlyMap<string, Run> {
  const [details, setDetails] = useState<ReadonlyMap<string, Run>>(new Map());
  const ids = runs
    .filter((r) => r.status === "RUNNING")
    .slice(0, MAX_DETAILED_RUNS)
    .map((r) => r.id);
  const key = ids.join(",");
  useEffect(() => {
    if (ids.length === 0) return;
    const controller = new AbortController();
    Promise.all(ids.map((id) => getJson<Run>(`/api/v1/runs/${encodeURIComponent(id)}`, controller.signal).catch(() => undefined))).then(
      (found) => {
        if (!controller.signal.aborted) setDetails(new Map(found.filter((r): r is Run => r !== undefined).map((r) => [r.id, r])));
      },
    );
    return () => controller.abort();
  }, [key, version]);
  return details;
}
