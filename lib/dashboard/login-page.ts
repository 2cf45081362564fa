import { renderHead } from "./serve.ts";

/**
 * The page a client that is not on loopback gets instead of the dashboard until it has a session: a plain HTML
 * form (no script, so the strict CSP holds) that posts the API key to `/login` once; the server answers with the
 * HttpOnly session cookie and sends the browser back to the page it asked for.
 */

/** Where the login form posts. */
export const LOGIN_PATH = "/login";

/** What the form says and where it leads. */
export interface LoginPageOptions {
  /** The dashboard path to return to after the login. */
  readonly next: string;
  /** Which key to enter and where it is ("the API key (TRIGGER_API_KEY in the project's .env)"). */
  readonly keyHint: string;
  /** The last try was refused: say so above the form. */
  readonly refused?: boolean;
}

/** Escapes text for an HTML text node or a double-quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The login page; `next` and `problem` are escaped. */
export function renderLoginHtml(options: LoginPageOptions): string {
  const hint = escapeHtml(options.keyHint);
  const problem = options.refused ? `<p class="login-problem" role="alert">That is not the key. Enter ${hint}.</p>\n` : "";
  return `${renderHead({ title: "Sign in · stepjobs", stylesheet: "/app.css" })}
<body class="login-body">
<main class="login card">
<h1 class="login-title">stepjobs</h1>
<p class="muted">This dashboard opens without a key only on the machine it runs on. To open it here, enter ${hint}.</p>
${problem}<form class="login-form" method="post" action="${LOGIN_PATH}">
<input type="hidden" name="next" value="${escapeHtml(options.next)}">
<label class="field-label" for="key">API key</label>
<input class="input mono" id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<button class="button button-primary" type="submit">Open the dashboard</button>
</form>
</main>
</body>
</html>
`;
}

/**
 * Where to go after a login: `next` when it is a path on this server, else `/`. A value such as `//host` or
 * `/\host` would be taken by browsers as another site (an open redirect).
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return "/";
  return next;
}
