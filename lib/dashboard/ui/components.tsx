import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";
import { formatAgo, formatDateTime, statusLabel } from "../view/format.ts";

/**
 * Small presentational pieces shared by the pages. All user data is rendered as text nodes (Preact
 * escapes it); nothing here sets HTML.
 */

/** A status pill: Running, Retrying, Succeeded, Failed, Aborted, Accepted, Rejected. */
export function StatusBadge(props: { readonly status: string }): JSX.Element {
  const status = props.status.toUpperCase();
  return (
    <span class={`badge badge-${status.toLowerCase()}`} data-status={status}>
      <span class="badge-dot" aria-hidden="true" />
      {statusLabel(status)}
    </span>
  );
}

/** A JSON value, pretty-printed as text. */
export function JsonBlock(props: { readonly value: unknown; readonly label?: string }): JSX.Element {
  const text = props.value === undefined ? "—" : JSON.stringify(props.value, null, 2);
  return (
    <pre class="json" aria-label={props.label} tabIndex={0}>
      {text}
    </pre>
  );
}

/** A relative time with the exact local time on hover. */
export function TimeAgo(props: { readonly iso: string; readonly now: number }): JSX.Element {
  return (
    <time dateTime={props.iso} title={formatDateTime(props.iso)} class="nowrap">
      {formatAgo(props.iso, props.now)}
    </time>
  );
}

/** A titled panel. */
export function Card(props: {
  readonly title?: ComponentChildren;
  readonly actions?: ComponentChildren;
  readonly children: ComponentChildren;
  readonly class?: string;
  readonly id?: string;
}): JSX.Element {
  return (
    <section class={`card ${props.class ?? ""}`} id={props.id} aria-label={typeof props.title === "string" ? props.title : undefined}>
      {(props.title || props.actions) && (
        <header class="card-header">
          <h2 class="card-title">{props.title}</h2>
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </header>
      )}
      <div class="card-body">{props.children}</div>
    </section>
  );
}

/** A page's heading row: breadcrumbs, title and the actions on the right (Send Event). */
export function PageHeader(props: {
  readonly title: ComponentChildren;
  readonly crumbs?: ComponentChildren;
  readonly actions?: ComponentChildren;
  readonly meta?: ComponentChildren;
}): JSX.Element {
  return (
    <header class="page-header">
      <div class="page-heading">
        {props.crumbs && (
          <nav class="crumbs" aria-label="Breadcrumb">
            {props.crumbs}
          </nav>
        )}
        <h1 class="page-title">{props.title}</h1>
        {props.meta && <div class="page-meta">{props.meta}</div>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

/** Copies text to the clipboard; says "Copied" for two seconds. */
export function CopyButton(props: { readonly text: string; readonly label?: string }): JSX.Element {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      const area = document.createElement("textarea");
      area.value = props.text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" class="button button-small" onClick={() => void copy()} aria-live="polite">
      <Icon name={copied ? "check" : "copy"} />
      <span class="copy-label">{copied ? "Copied" : (props.label ?? "Copy")}</span>
    </button>
  );
}

/** A quiet placeholder for an empty list. */
export function Empty(props: { readonly title: string; readonly children?: ComponentChildren }): JSX.Element {
  return (
    <div class="empty">
      <p class="empty-title">{props.title}</p>
      {props.children && <div class="empty-body">{props.children}</div>}
    </div>
  );
}

/** An error line for a failed fetch. */
export function LoadError(props: { readonly message: string | undefined }): JSX.Element | null {
  return props.message ? (
    <p class="load-error" role="alert">
      {props.message}
    </p>
  ) : null;
}

const ICONS: Record<string, string> = {
  jobs: "M4 5h16M4 12h16M4 19h10",
  events: "M13 3 5 14h6l-1 7 8-11h-6l1-7z",
  runs: "M5 4v16l14-8L5 4z",
  send: "M4 12 20 4l-6 16-3-7-7-1z",
  copy: "M9 9h10v10H9zM5 15V5h10",
  check: "m5 12 4 4 10-10",
  close: "M6 6l12 12M18 6 6 18",
  arrow: "M5 12h14m-5-5 5 5-5 5",
};

/** A 16px stroke icon from a fixed set (drawn inline, nothing fetched). */
export function Icon(props: { readonly name: keyof typeof ICONS | string }): JSX.Element {
  return (
    <svg
      class="icon"
      width="16"
      height="16"
      viewBox="0 0 24 24"
      aria-hidden="true"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      <path d={ICONS[props.name] ?? ""} />
    </svg>
  );
}

/** One filter of a list: a labelled select whose empty value means "all". */
export function FilterSelect(props: {
  readonly label: string;
  readonly value: string;
  readonly allLabel: string;
  readonly options: readonly { readonly value: string; readonly label: string }[];
  readonly onChange: (value: string) => void;
  readonly testId?: string;
}): JSX.Element {
  const known = props.value === "" || props.options.some((o) => o.value === props.value);
  return (
    <label class="select-field">
      <span class="field-label">{props.label}</span>
      <select class="input select" value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} data-testid={props.testId}>
        <option value="">{props.allLabel}</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
        {!known && <option value={props.value}>{props.value}</option>}
      </select>
    </label>
  );
}

/** The filters above a list and how many items it shows ("3 runs"), blank until the first answer. */
export function FilterBar(props: {
  readonly children: ComponentChildren;
  readonly count: number | undefined;
  /** More items exist than the `count` shown (the list is paged). */
  readonly more?: boolean;
  readonly noun: string;
}): JSX.Element {
  const counted = props.count === undefined ? "" : `${props.count} ${props.noun}${props.count === 1 ? "" : "s"}`;
  return (
    <div class="toolbar" role="group" aria-label="Filters">
      {props.children}
      <span class="toolbar-count muted small" aria-live="polite" data-testid="list-count">
        {props.more ? `newest ${counted}, more below` : counted}
      </span>
    </div>
  );
}

/** Items a list shows at first, and how many more "Load more" adds (the API's default page). */
export const LIST_PAGE_SIZE = 50;

/** The button under a paged list that shows older items; nothing when the list is complete. */
export function LoadMore(props: {
  readonly more: boolean;
  readonly loading: boolean;
  readonly onClick: () => void;
  readonly noun: string;
}): JSX.Element | null {
  if (!props.more) return null;
  return (
    <div class="load-more">
      <button type="button" class="button" disabled={props.loading} onClick={props.onClick} data-testid="load-more">
        Load {LIST_PAGE_SIZE} more {props.noun}
      </button>
    </div>
  );
}
