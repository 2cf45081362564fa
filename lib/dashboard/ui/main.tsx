import { render } from "preact";
import { App } from "./app.tsx";
import "./app.css";

/** Entry point bundled by `lib/dashboard/serve.ts`. */
render(<App />, document.getElementById("app")!);
