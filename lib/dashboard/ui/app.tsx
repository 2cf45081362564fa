import type { JSX } from "preact";
import { CatalogProvider } from "./catalog.tsx";
import { EventsPage } from "./events-page.tsx";
import { JobPage, JobsPage } from "./jobs-page.tsx";
import { LiveProvider } from "./live.tsx";
import { useLocation } from "./router.tsx";
import { RunPage } from "./run-page.tsx";
import { RunsPage } from "./runs-page.tsx";
import { SendEventProvider } from "./send-event.tsx";
import { Sidebar } from "./sidebar.tsx";
import { Empty } from "./components.tsx";

/** The dashboard: sidebar and the page for the current route, inside the live, catalog and dialog providers. */
export function App(): JSX.Element {
  const location = useLocation();
  return (
    <LiveProvider>
      <CatalogProvider>
        <SendEventProvider>
          <div class="shell">
            <Sidebar path={location.path} />
            <main class="main" id="main">
              <Page path={location.path} query={location.query} />
            </main>
          </div>
        </SendEventProvider>
      </CatalogProvider>
    </LiveProvider>
  );
}

function Page(props: { readonly path: string; readonly query: URLSearchParams }): JSX.Element {
  const [, section, id] = props.path.split("/").map(decodeURIComponent);
  if (section === "" || section === "jobs") return id ? <JobPage key={id} id={id} /> : <JobsPage />;
  if (section === "events") return <EventsPage query={props.query} />;
  if (section === "runs") return id ? <RunPage key={id} id={id} /> : <RunsPage query={props.query} />;
  return <Empty title="Page not found" />;
}
