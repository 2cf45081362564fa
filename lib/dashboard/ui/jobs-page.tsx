import type { JSX } from "preact";
import type { Job } from "../view/api-types.ts";
import { formatDateTime } from "../view/format.ts";
import { listOf } from "./api.ts";
import { Card, CopyButton, Empty, JsonBlock, LoadError, PageHeader } from "./components.tsx";
import { useResource, useTitle } from "./hooks.ts";
import { Link } from "./router.tsx";
import { SendEventButton } from "./send-event.tsx";
import { StateGraph } from "./state-graph.tsx";

/** Registered jobs: name, id, version, the event that triggers each, its tasks. */
export function JobsPage(): JSX.Element {
  useTitle("Jobs");
  const jobs = useResource<unknown>("/api/v1/jobs");
  const list = listOf<Job>(jobs.data, "jobs");
  return (
    <div class="page" aria-busy={jobs.data === undefined}>
      <PageHeader title="Jobs" actions={<SendEventButton />} />
      <LoadError message={jobs.error} />
      {jobs.data !== undefined && list.length === 0 && (
        <Empty title="No jobs registered">
          <p>
            Define a job in <code>src/jobs/</code> with <code>client.defineJob</code>; <code>stepjobs dev</code> registers it as soon as you
            save.
          </p>
        </Empty>
      )}
      <ul class="job-grid" data-testid="jobs-list">
        {list.map((job) => (
          <li key={job.id}>
            <Link href={`/jobs/${encodeURIComponent(job.id)}`} class="job-card" data-job-id={job.id}>
              <span class="job-card-head">
                <span class="job-name">{job.name}</span>
                <span class="version">v{job.version}</span>
              </span>
              <span class="mono muted small">{job.id}</span>
              <span class="job-trigger">
                <span class="muted small">on</span> <code>{job.trigger.schedule?.expression ?? job.trigger.event}</code>
              </span>
              {job.trigger.schedule?.next && (
                <span class="muted small" data-testid="next-fire">
                  next {formatDateTime(job.trigger.schedule.next)}
                </span>
              )}
              <span class="muted small">
                {job.tasks.length} {job.tasks.length === 1 ? "task" : "tasks"}: {job.tasks.map((t) => t.id).join(", ") || "none"}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One job: trigger and schema, tasks with their retry policies, the state machine and its ASL (with a copy button). */
export function JobPage(props: { readonly id: string }): JSX.Element {
  const resource = useResource<Job>(`/api/v1/jobs/${encodeURIComponent(props.id)}`);
  const job = resource.data;
  useTitle(job?.name ?? "Job");
  const crumbs = (
    <>
      <Link href="/jobs">Jobs</Link>
      <span aria-hidden="true"> / </span>
      <span class="mono">{props.id}</span>
    </>
  );
  if (!job) {
    return (
      <div class="page" aria-busy={resource.loading}>
        <PageHeader title="Job" crumbs={crumbs} />
        {resource.status === 404 ? <Empty title="No job with this id" /> : <LoadError message={resource.error} />}
      </div>
    );
  }
  const asl = JSON.stringify(job.asl, null, 2);
  return (
    <div class="page" aria-busy={false}>
      <PageHeader
        crumbs={crumbs}
        title={
          <>
            <span>{job.name}</span>
            <span class="version">v{job.version}</span>
          </>
        }
        meta={
          <dl class="facts">
            <div>
              <dt>Id</dt>
              <dd class="mono">{job.id}</dd>
            </div>
            {job.file && (
              <div>
                <dt>File</dt>
                <dd class="mono">{job.file}</dd>
              </div>
            )}
            <div>
              <dt>Runs</dt>
              <dd>
                <Link href={`/runs?jobId=${encodeURIComponent(job.id)}`}>View runs</Link>
              </dd>
            </div>
          </dl>
        }
        actions={<SendEventButton name={job.trigger.event} />}
      />
      <div class="columns columns-job">
        <div class="col-data">
          <Card title="Trigger">
            <dl class="facts facts-stacked">
              <div>
                <dt>Event</dt>
                <dd>
                  <code data-testid="trigger-event">{job.trigger.event}</code>
                </dd>
              </div>
              {job.trigger.schedule && (
                <div>
                  <dt>Schedule</dt>
                  <dd>
                    <code data-testid="trigger-schedule">{job.trigger.schedule.expression}</code>
                    {job.trigger.schedule.next && <span class="muted small"> next {formatDateTime(job.trigger.schedule.next)}</span>}
                  </dd>
                </div>
              )}
              {job.trigger.source && (
                <div>
                  <dt>Source</dt>
                  <dd class="mono">{job.trigger.source}</dd>
                </div>
              )}
            </dl>
            <h3 class="subhead">Payload schema</h3>
            <JsonBlock value={job.trigger.schema ?? {}} label="Payload schema" />
            {job.trigger.filter && (
              <div data-testid="trigger-filter">
                <h3 class="subhead">Filter</h3>
                <p class="muted small">Only events whose payload matches start a run (and only they are checked against the schema).</p>
                <JsonBlock value={job.trigger.filter} label="Filter" />
                <h3 class="subhead">EventBridge rule pattern</h3>
                <JsonBlock value={job.trigger.pattern ?? {}} label="EventBridge rule pattern" />
              </div>
            )}
          </Card>
          <Card title="Tasks">
            {job.tasks.length === 0 ? (
              <p class="muted small">No io.runTask calls found.</p>
            ) : (
              <table class="table table-compact">
                <thead>
                  <tr>
                    <th scope="col">Task</th>
                    <th scope="col">Retry policy</th>
                  </tr>
                </thead>
                <tbody>
                  {job.tasks.map((task) => (
                    <tr key={task.id}>
                      <td data-label="Task">
                        <span class="mono">{task.id}</span>
                        {task.stateName !== task.id && <span class="cell-sub mono">state {task.stateName}</span>}
                      </td>
                      <td data-label="Retry policy">
                        <span class="retry-policy">{task.retryDescription}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
        <Card title="State machine" class="col-graph">
          <StateGraph job={job} />
        </Card>
      </div>
      <Card title="Amazon States Language" actions={<CopyButton text={asl} label="Copy ASL" />}>
        <p class="muted small">Paste it into AWS Step Functions Workflow Studio to see the same machine in the console.</p>
        <JsonBlock value={job.asl} label="ASL definition" />
      </Card>
    </div>
  );
}
