import type { Run } from "./api-types.ts";

/**
 * Small formatters shared by every page. Pure (the clock is passed in), so tests pin them exactly.
 */

/**
 * A duration in the unit a reader expects: "0 ms", "842 ms", "1.24 s", "12.5 s", "2 m 05 s", "1 h 02 m".
 * Negative or non-finite inputs read as "0 ms" (clock skew between attempts must not print "-3 ms").
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${trimZeros((ms / 1000).toFixed(2))} s`;
  if (ms < 60_000) return `${trimZeros((ms / 1000).toFixed(1))} s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} m ${pad2(totalSeconds % 60)} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${pad2(totalMinutes % 60)} m`;
}

/** Milliseconds between two ISO-8601 instants; `end` defaults to `now` (a run still going). */
export function elapsedMs(startIso: string, endIso: string | null | undefined, now: number): number {
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? 0 : Math.max(0, end - start);
}

/**
 * How long ago an instant was, coarse on purpose so a list does not flicker: "just now", "42 s ago",
 * "5 m ago", "3 h ago", "2 d ago".
 */
export function formatAgo(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  if (ms < 5_000) return "just now";
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} m ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}

/** A wall-clock time with milliseconds, "14:02:11.042", in the viewer's time zone. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** A date and time, "2026-11-25 14:02:11", in the viewer's time zone. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(iso).slice(0, 8)}`;
}

/** Status a run is shown with: the API status, or "RETRYING" while a running run waits to retry a task. */
export type DisplayStatus = "RUNNING" | "RETRYING" | "SUCCEEDED" | "FAILED" | "ABORTED";

/** The badge of a run: "RETRYING" when it is running and one of its tasks is between attempts. */
export function displayStatus(run: Pick<Run, "status" | "tasks">): DisplayStatus {
  if (run.status === "RUNNING" && run.tasks?.some((t) => t.status === "RETRYING")) return "RETRYING";
  return run.status;
}

/** "RUNNING" -> "Running", the label on a badge. */
export function statusLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

/** A long id shortened for a table cell, keeping the end where ids differ: "run_01HX…9f3a". */
export function shortId(id: string, keep = 8): string {
  return id.length <= keep * 2 + 1 ? id : `${id.slice(0, keep)}…${id.slice(-keep)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function trimZeros(fixed: string): string {
  return fixed.replace(/\.?0+$/, "");
}
