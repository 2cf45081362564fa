import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { Run, RunStep } from "../view/api-types.ts";
import { displayStatus, elapsedMs, formatClock, formatDateTime, formatDuration } from "../view/format.ts";
import { controlRun } from "./api.ts";
import { useCatalog, useJob } from "./catalog.tsx";
import { Card, CopyButton, Empty, JsonBlock, LoadError, PageHeader, StatusBadge } from "./components.tsx";
import { ErrorDetail } from "./error-detail.tsx";
import { useNow, useResource, useTitle } from "./hooks.ts";
import { useLive } from "./live.tsx";
import { Link } from "./router.tsx";
import { SendEventButton } from "./send-event.tsx";
import { StateGraph } from "./state-graph.tsx";
import { Logs, Timeline } from "./timeline.tsx";

/** One run: status, the execution timeline, the state-machine graph, payload, output and every log line. */
export function RunPage(props: { readonly id: string }): JSX.Element {
  const live = useLive();
  const run = useResource<Run>(`/api/v1/runs/${encodeURIComponent(props.id)}`, live.runs);
  const data = run.data;
  const job = useJob(data?.jobId);
  const running = data?.status === "RUNNING";
  const now = useNow(running, 200);
  useTitle(data ? `${job?.name ?? data.jobId} run` : "Run");

  if (!data) {
    return (
      <div class="page" aria-busy={run.loading}>
        <PageHeader title="Run" crumbs={<Crumbs id={props.id} />} />
        {run.status === 404 ? <Empty title="No run with this id" /> : <LoadError message={run.error} />}
        {!run.error && <div class="card skeleton-card" aria-busy="true" />}
      </div>
    );
  }

  const input = data.payload ?? data.input;
  return (
    <div class="page" data-run-status={data.status} aria-busy={false}>
      <PageHeader
        crumbs={<Crumbs id={data.id} />}
        title={
          <>
            <span>{job?.name ?? data.jobId}</span>
            <StatusBadge status={displayStatus(data)} />
          </>
        }
        meta={
          <dl class="facts">
            <div>
              <dt>Run</dt>
              <dd class="mono" data-testid="run-id">
                {data.id}
              </dd>
            </div>
            <div>
              <dt>Job</dt>
              <dd>
                <Link href={`/jobs/${encodeURIComponent(data.jobId)}`} class="mono">
                  {data.jobId}
                </Link>
                {job && <span class="muted"> v{job.version}</span>}
              </dd>
            </div>
            <div>
              <dt>Event</dt>
              <dd>
                <Link href={`/events?event=${encodeURIComponent(data.eventId)}`} class="mono" title="Show the event">
                  {data.eventId}
                </Link>
              </dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd class="mono">{formatDateTime(data.startedAt)}</dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd class="mono" data-testid="run-duration">
                {formatDuration(elapsedMs(data.startedAt, data.completedAt, now))}
                {running ? "…" : ""}
              </dd>
            </div>
          </dl>
        }
        actions={
          <>
            <RunControl run={data} />
            <SendEventButton name={job?.trigger.event} payload={input ?? undefined} label="Send again" />
          </>
        }
      />
      <LoadError message={run.error} />
      {data.error && (
        <div class="run-error" role="alert">
          <ErrorDetail error={data.error} />
        </div>
      )}
      <Card title="Timeline">
        <Timeline run={data} job={job} now={now} />
      </Card>
      {(data.steps ?? []).length > 0 && (
        <Card title="Waits and events">
          <Steps steps={data.steps ?? []} now={now} />
        </Card>
      )}
      {/* The whole width: a Route with many branches is wide, and the graph scales down only so far. */}
      <Card title="State machine" class="card-graph">
        {job ? <StateGraph job={job} run={data} /> : <p class="muted">The job {data.jobId} is not registered.</p>}
      </Card>
      <div class="columns columns-even">
        <Card title="Payload" actions={input !== undefined ? <CopyButton text={JSON.stringify(input, null, 2)} /> : undefined}>
          {input !== undefined ? (
            <JsonBlock value={input} label="Run payload" />
          ) : (
            <p class="muted small">Open the event to see its payload.</p>
          )}
        </Card>
        <Card
          title="Output"
          actions={
            data.output !== undefined && data.output !== null ? <CopyButton text={JSON.stringify(data.output, null, 2)} /> : undefined
          }
        >
          {data.status === "SUCCEEDED" ? (
            <JsonBlock value={data.output ?? null} label="Run output" />
          ) : (
            <p class="muted small">{running ? "Available when the run succeeds." : "The run did not succeed."}</p>
          )}
        </Card>
      </div>
      <Card title="Logs">
        {(data.logs ?? []).length > 0 ? (
          <Logs lines={data.logs ?? []} label="All logs of this run" showTask />
        ) : (
          <p class="muted small">No log lines yet.</p>
        )}
      </Card>
    </div>
  );
}

function Crumbs(props: { readonly id: string }): JSX.Element {
  return (
    <>
      <Link href="/runs">Runs</Link>
      <span aria-hidden="true"> / </span>
      <span class="mono">{props.id}</span>
    </>
  );
}

/**
 * The run's `io.wait` and `io.sendEvent` steps: native Wait and PutEvents states, so a status, the state's start
 * and end (running on while a wait lasts), and no attempts.
 */
function Steps(props: { readonly steps: readonly RunStep[]; readonly now: number }): JSX.Element {
  return (
    <ul class="steps" data-testid="run-steps">
      {props.steps.map((step) => (
        <li key={step.key} data-step-key={step.key} class={`step step-${step.status.toLowerCase()}`}>
          <span class="mono">{step.kind === "wait" ? "io.wait" : "io.sendEvent"}</span> <code>{step.id}</code>{" "}
          <span class="badge">{step.status}</span>
          {step.startedAt && (
            <span class="muted small mono" data-testid="step-time" title={step.stateName ? `State ${step.stateName}` : undefined}>
              {" "}
              {formatClock(step.startedAt)} → {step.endedAt ? formatClock(step.endedAt) : "…"} (
              {formatDuration(elapsedMs(step.startedAt, step.endedAt, props.now))}
              {step.endedAt ? "" : "…"})
            </span>
          )}
          {step.wakeAt && <span class="muted small"> until {formatDateTime(step.wakeAt)}</span>}
          {step.eventId && (
            <>
              {" "}
              <Link href={`/events?event=${encodeURIComponent(step.eventId)}`} class="mono small" title="Show the event">
                {step.eventId}
              </Link>
            </>
          )}
          {step.error && (
            <span class="error-message">
              {" "}
              {step.error.name}: {step.error.message}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * Redrive (a FAILED or ABORTED run continues from its failed task, as RedriveExecution does) or Cancel (a RUNNING
 * run stops, as StopExecution does). The API decides; its refusal is shown as is. The page updates from the live feed.
 */
function RunControl(props: { readonly run: Run }): JSX.Element | null {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const { app } = useCatalog();
  const action = props.run.status === "RUNNING" ? "cancel" : props.run.status === "SUCCEEDED" ? undefined : "redrive";
  if (!action) return null;
  if (app?.readOnly) {
    // A deployed stack: the dashboard only reads it; the CLI does the change (RedriveExecution / StopExecution).
    const command = `npx stepjobs ${action} ${props.run.id} --aws`;
    return (
      <span class="muted small" data-testid="run-read-only" title={app.readOnly}>
        {action === "cancel" ? "Cancel" : "Redrive"} with <code>{command}</code> <CopyButton text={command} />
      </span>
    );
  }
  const act = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      await controlRun(props.run.id, action);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="button" disabled={busy} onClick={act} data-testid={`run-${action}`}>
        {action === "cancel" ? "Cancel run" : "Redrive"}
      </button>
      {problem && (
        <span class="error-message small" role="alert">
          {problem}
        </span>
      )}
    </>
  );
}
