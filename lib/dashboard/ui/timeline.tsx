import { type ComponentChildren, Fragment, type JSX } from "preact";
import type { Job, LogLine, Run } from "../view/api-types.ts";
import { formatClock, formatDuration } from "../view/format.ts";
import { type AttemptBar, layoutTimeline, type StepRow, type TimelineRow } from "../view/timeline-layout.ts";
import { StatusBadge } from "./components.tsx";
import { ErrorDetail } from "./error-detail.tsx";

/**
 * The run's execution timeline: one row per task with a bar per attempt on the axis shared by every
 * row, the retry wait hatched between attempts, and under the row each attempt with its error and the
 * `io.logger` lines it wrote; each `io.wait` and `io.sendEvent` as a row of its own where it ran.
 */
export function Timeline(props: { readonly run: Run; readonly job: Job | undefined; readonly now: number }): JSX.Element {
  const layout = layoutTimeline(props.run, props.now);
  const retryOf = (taskId: string): string | undefined => props.job?.tasks.find((t) => t.id === taskId)?.retryDescription;
  const ticks = layout.ticks.map((t) => t.atPct);
  // Tasks stay in call order; what ran outside them (the job's own log lines, waits, sent events) goes before the
  // first task that started after it, in time order, consecutive log lines in one list.
  const between = (slot: number): JSX.Element[] => {
    const items = [
      ...layout.runLogs.filter((l) => slotOf(l.at, layout.rows) === slot).map((line) => ({ at: line.at, line })),
      ...layout.steps.filter((s) => slotOf(s.startedAt, layout.rows) === slot).map((step) => ({ at: step.startedAt, step })),
    ].sort((a, b) => a.at.localeCompare(b.at));
    const nodes: JSX.Element[] = [];
    let lines: LogLine[] = [];
    const flush = () => {
      if (lines.length > 0) nodes.push(<RunLogs key={`logs${nodes.length}`} lines={lines} />);
      lines = [];
    };
    for (const item of items) {
      if ("line" in item) lines.push(item.line);
      else {
        flush();
        nodes.push(<StepLine key={item.step.key} step={item.step} ticks={ticks} />);
      }
    }
    flush();
    return nodes;
  };
  return (
    <div class="timeline" data-testid="timeline">
      <div class="tl-grid tl-axis" aria-hidden="true">
        <div />
        <div class="tl-track">
          {layout.ticks.map((tick) => (
            <span key={tick.atPct} class="tl-tick" style={{ left: `${tick.atPct}%` }}>
              <span class="tl-tick-label">{tick.label}</span>
            </span>
          ))}
        </div>
      </div>
      {layout.rows.length === 0 && layout.steps.length === 0 && <p class="muted tl-empty">No task has started yet.</p>}
      {layout.rows.map((row, i) => (
        <Fragment key={row.taskId}>
          {between(i)}
          <TaskRow row={row} retry={retryOf(row.taskId)} ticks={ticks} />
        </Fragment>
      ))}
      {between(layout.rows.length)}
    </div>
  );
}

/** Where something that happened at `at` outside the tasks goes: before the first task that started after it. */
function slotOf(at: string, rows: readonly TimelineRow[]): number {
  const ms = Date.parse(at);
  const index = rows.findIndex((row) => row.attempts[0] !== undefined && Date.parse(row.attempts[0].startedAt) > ms);
  return index === -1 ? rows.length : index;
}

function RunLogs(props: { readonly lines: readonly LogLine[] }): JSX.Element | null {
  return props.lines.length > 0 ? (
    <div class="tl-runlogs">
      <Logs lines={props.lines} label="Logged by the job outside tasks" />
    </div>
  ) : null;
}

/** An `io.wait` (hatched, like a retry wait) or an `io.sendEvent` on the axis, with its start and duration. */
function StepLine(props: { readonly step: StepRow; readonly ticks: readonly number[] }): JSX.Element {
  const { step } = props;
  const label = step.kind === "wait" ? "io.wait" : "io.sendEvent";
  return (
    <section class="tl-task tl-step" data-step-row={step.key} data-status={step.status} aria-label={`${label} ${step.id}`}>
      <div class="tl-grid">
        <div class="tl-label">
          <span class="tl-name mono" title={`${label} ${step.id}`}>
            <span class="muted">{label}</span> {step.id}
          </span>
          <span class="tl-label-meta">
            <StatusBadge status={step.status} />
            <span class="muted small mono">
              {formatClock(step.startedAt)} · {formatDuration(step.durationMs)}
              {step.open ? "…" : ""}
            </span>
          </span>
        </div>
        <Lane ticks={props.ticks}>
          <span
            class={step.kind === "wait" ? `tl-wait ${step.open ? "open" : ""}` : `tl-bar tl-bar-event ${step.open ? "open" : ""}`}
            style={{ left: `${step.startPct}%`, width: `${step.widthPct}%` }}
            title={`${label} ${step.id}: ${formatDuration(step.durationMs)}`}
          />
        </Lane>
      </div>
    </section>
  );
}

/** A row's track on the shared axis: the tick gridlines under what the row draws. */
function Lane(props: { readonly ticks: readonly number[]; readonly children: ComponentChildren }): JSX.Element {
  return (
    <div class="tl-track tl-lane" aria-hidden="true">
      {props.ticks.map((at) => (
        <span key={at} class="tl-gridline" style={{ left: `${at}%` }} />
      ))}
      {props.children}
    </div>
  );
}

function TaskRow(props: { readonly row: TimelineRow; readonly retry: string | undefined; readonly ticks: readonly number[] }): JSX.Element {
  const { row } = props;
  return (
    <section class="tl-task" data-task-id={row.taskId} data-status={row.status} aria-label={`Task ${row.taskId}`}>
      <div class="tl-grid">
        <div class="tl-label">
          <span class="tl-name mono" title={row.taskId}>
            {row.taskId}
          </span>
          <span class="tl-label-meta">
            <StatusBadge status={row.status} />
            {props.retry && (
              <span class="retry-policy" title="Retry policy">
                {props.retry}
              </span>
            )}
          </span>
        </div>
        <Lane ticks={props.ticks}>
          {row.waits.map((wait) => (
            <span
              key={`w${wait.afterAttempt}`}
              class={`tl-wait ${wait.open ? "open" : ""}`}
              style={{ left: `${wait.startPct}%`, width: `${wait.widthPct}%` }}
              title={`Waited ${formatDuration(wait.durationMs)} before attempt ${wait.afterAttempt + 1}`}
            />
          ))}
          {row.attempts.map((bar) => (
            <span
              key={bar.number}
              class={`tl-bar tl-bar-${bar.status.toLowerCase()} ${bar.open ? "open" : ""}`}
              style={{ left: `${bar.startPct}%`, width: `${bar.widthPct}%` }}
              title={`Attempt ${bar.number}: ${bar.status.toLowerCase()} in ${formatDuration(bar.durationMs)}`}
            />
          ))}
        </Lane>
      </div>
      <ol class="attempts">
        {row.attempts.map((bar) => {
          const wait = row.waits.find((w) => w.afterAttempt === bar.number);
          return (
            <li key={bar.number} class="attempt-item">
              <Attempt bar={bar} />
              {wait && (
                <p class="attempt-wait" data-testid="retry-wait">
                  <span class="wait-swatch" aria-hidden="true" />
                  {wait.open
                    ? `Waiting to retry… ${formatDuration(wait.durationMs)}`
                    : `Waited ${formatDuration(wait.durationMs)} before retrying`}
                </p>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

function Attempt(props: { readonly bar: AttemptBar }): JSX.Element {
  const { bar } = props;
  return (
    <div class={`attempt attempt-${bar.status.toLowerCase()}`} data-attempt={bar.number} data-status={bar.status}>
      <div class="attempt-head">
        <span class="attempt-number">Attempt {bar.number}</span>
        <StatusBadge status={bar.status} />
        <span class="muted small mono">{formatClock(bar.startedAt)}</span>
        <span class="muted small mono">{bar.open ? `${formatDuration(bar.durationMs)}…` : formatDuration(bar.durationMs)}</span>
      </div>
      {bar.error && (
        <p class="attempt-error" data-testid="attempt-error">
          <ErrorDetail error={bar.error} />
        </p>
      )}
      {bar.logs.length > 0 && <Logs lines={bar.logs} label={`Logs of attempt ${bar.number}`} />}
    </div>
  );
}

/** `io.logger` lines: time, level, message and any structured data. */
export function Logs(props: { readonly lines: readonly LogLine[]; readonly label: string; readonly showTask?: boolean }): JSX.Element {
  return (
    <ol class="logs" aria-label={props.label}>
      {props.lines.map((line, i) => (
        <li key={i} class={`log log-${line.level}`} data-level={line.level}>
          <span class="log-time mono">{formatClock(line.at)}</span>
          <span class="log-level">{line.level}</span>
          <span class="log-text">
            {props.showTask && line.taskId && (
              <span class="log-task mono">
                {line.taskId}
                {line.attempt != null ? ` #${line.attempt}` : ""}
              </span>
            )}
            <span class="log-message">{line.message}</span>
            {line.data !== undefined && line.data !== null && <span class="log-data mono">{JSON.stringify(line.data)}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}
