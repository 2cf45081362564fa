import type { JSX } from "preact";
import { useCatalog } from "./catalog.tsx";
import { Icon } from "./components.tsx";
import { type Connection, useLive } from "./live.tsx";
import { Link } from "./router.tsx";

/** Sidebar sections, in the tutorial's order of mention. */
export const SECTIONS = [
  { href: "/jobs", label: "Jobs", icon: "jobs" },
  { href: "/events", label: "Events", icon: "events" },
  { href: "/runs", label: "Runs", icon: "runs" },
] as const;

const CONNECTION_TEXT: Record<Connection, { readonly label: string; readonly hint: string }> = {
  connecting: { label: "Connecting…", hint: "Opening the live stream" },
  live: { label: "Live", hint: "Updates arrive as they happen (Server-Sent Events)" },
  polling: { label: "Reconnecting", hint: "The live stream dropped; refreshing every 2 s until it is back" },
  offline: { label: "Offline", hint: "The dev server does not answer; is `stepjobs dev` running?" },
};

/** The left sidebar (a top bar on a phone): brand, Jobs / Events / Runs, the app id and the connection state. */
export function Sidebar(props: { readonly path: string }): JSX.Element {
  const { app } = useCatalog();
  const { connection } = useLive();
  const section = props.path === "/" ? "/jobs" : `/${props.path.split("/")[1]}`;
  const status = CONNECTION_TEXT[connection];
  return (
    <aside class="sidebar">
      <Link href="/jobs" class="brand" aria-label="stepjobs home">
        <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="8" class="brand-mark" />
          <path d="M8 21h7v-5h9" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
          <circle cx="24" cy="16" r="2.5" fill="#fff" />
        </svg>
        <span>stepjobs</span>
        <span class="brand-env" data-testid="app-env" title={app?.env === "aws" ? "A deployed stack, read-only" : "stepjobs dev"}>
          {app?.env ?? "dev"}
        </span>
      </Link>
      <nav class="nav" aria-label="Sections">
        {SECTIONS.map((s) => (
          <Link
            key={s.href}
            href={s.href}
            class={`nav-link ${section === s.href ? "active" : ""}`}
            aria-current={section === s.href ? "page" : undefined}
          >
            <Icon name={s.icon} />
            {s.label}
          </Link>
        ))}
      </nav>
      <div class="sidebar-foot">
        <div class="app-id" title="App id">
          <span class="muted small">App</span>
          <span class="mono small" data-testid="app-id">
            {app?.id ?? "…"}
          </span>
        </div>
        <div
          class={`connection connection-${connection}`}
          title={status.hint}
          data-testid="connection"
          data-state={connection}
          role="status"
        >
          <span class="connection-dot" aria-hidden="true" />
          {status.label}
        </div>
      </div>
    </aside>
  );
}
