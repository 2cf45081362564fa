import { createHash } from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Serves the dashboard from `stepjobs dev`: the Preact UI in `ui/` bundled once by esbuild in memory at
 * start (no CDN, no web fonts, no build step for users), `index.html` for every client-side route.
 * The dev server owns `/api` and the session cookie; this handler never sees or embeds the API key.
 */

/** Handles one request; resolves `true` when it wrote the response, `false` to let the caller answer. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** A bundled asset held in memory. */
interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** Client-side routes the UI renders; every other path is not the dashboard's. */
export const APP_ROUTES: readonly RegExp[] = [
  /^\/$/,
  /^\/jobs\/?$/,
  /^\/jobs\/[^/]+\/?$/,
  /^\/events\/?$/,
  /^\/runs\/?$/,
  /^\/runs\/[^/]+\/?$/,
];

/**
 * The page's Content-Security-Policy: only same-origin scripts, styles, fetches and the event stream.
 * `'unsafe-eval'` is for Ajv, which compiles a job's schema into a function to validate payloads in the browser.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const UI_DIR = fileURLToPath(new URL("./ui/", import.meta.url));

/** The start of every page up to `</head>`: title, icon, the dashboard's stylesheet and any extra tags (trusted text). */
export function renderHead(options: { readonly title: string; readonly stylesheet: string; readonly extra?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${options.stylesheet}">
${options.extra ?? ""}</head>`;
}

/** The HTML shell: a root element, the stylesheet and the module script; nothing user-controlled. */
export function renderIndexHtml(assets: { readonly js: string; readonly css: string }): string {
  return `${renderHead({
    title: "stepjobs",
    stylesheet: `/app.css?v=${assets.css}`,
    extra: `<script type="module" src="/app.js?v=${assets.js}"></script>\n`,
  })}
<body>
<div id="app"></div>
<noscript>The stepjobs dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

/** The tab icon: two steps, in the dashboard's accent colour. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#4f46e5"/><path d="M8 21h7v-5h9" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/><circle cx="24" cy="16" r="2.5" fill="#fff"/></svg>`;

/** Bundles `ui/main.tsx` (and the CSS it imports) with esbuild into memory. */
export async function bundleDashboard(): Promise<{ readonly js: Buffer; readonly css: Buffer }> {
  const result = await build({
    entryPoints: { app: path.join(UI_DIR, "main.tsx") },
    bundle: true,
    write: false,
    outdir: path.join(UI_DIR, "dist"),
    format: "esm",
    platform: "browser",
    target: ["es2022", "chrome111", "firefox111", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const find = (ext: string): Buffer => {
    const file = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!file) throw new Error(`dashboard bundle produced no ${ext} file`);
    return Buffer.from(file.contents);
  };
  return { js: find(".js"), css: find(".css") };
}

let bundled: Promise<{ readonly js: Buffer; readonly css: Buffer }> | undefined;

/** Where `npm run build` writes the bundle for the published package (which ships no UI sources). */
export const PREBUILT_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

/** The bundle `npm run build` wrote next to this module, if any (the installed package); else undefined. */
function prebuiltDashboard(): Promise<{ readonly js: Buffer; readonly css: Buffer }> | undefined {
  const js = path.join(PREBUILT_DIR, "app.js");
  const css = path.join(PREBUILT_DIR, "app.css");
  if (!fs.existsSync(js) || !fs.existsSync(css)) return undefined;
  return Promise.resolve({ js: fs.readFileSync(js), css: fs.readFileSync(css) });
}

/**
 * Creates the dashboard's request handler. The bundle is built once per process (cached), so every
 * dev server in a process shares it; a failed build rejects here, at start, not on first request.
 */
export async function createDashboardHandler(): Promise<DashboardHandler> {
  bundled ??= prebuiltDashboard() ?? bundleDashboard();
  let bundle: { readonly js: Buffer; readonly css: Buffer };
  try {
    bundle = await bundled;
  } catch (error) {
    bundled = undefined;
    throw error;
  }
  const js = asset(bundle.js, "text/javascript; charset=utf-8");
  const css = asset(bundle.css, "text/css; charset=utf-8");
  const html = asset(Buffer.from(renderIndexHtml({ js: js.etag.slice(1, 13), css: css.etag.slice(1, 13) })), "text/html; charset=utf-8");
  const files: Record<string, Asset> = {
    "/app.js": js,
    "/app.css": css,
    "/favicon.svg": asset(Buffer.from(FAVICON_SVG), "image/svg+xml"),
  };

  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const file = files[pathname];
    if (file) {
      send(req, res, file, { "Cache-Control": "no-cache" });
      return true;
    }
    if (APP_ROUTES.some((route) => route.test(pathname))) {
      send(req, res, html, {
        "Cache-Control": "no-store",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
      });
      return true;
    }
    return false;
  };
}

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"` };
}

/** Writes an asset, answering 304 to a matching `If-None-Match`; headers set earlier (the session cookie) are kept. */
function send(req: IncomingMessage, res: ServerResponse, file: Asset, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries({
    ...headers,
    "Content-Type": file.type,
    ETag: file.etag,
    "X-Content-Type-Options": "nosniff",
  })) {
    res.setHeader(name, value);
  }
  if (req.headers["if-none-match"] === file.etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader("Content-Length", file.body.length);
  res.end(req.method === "HEAD" ? undefined : file.body);
}
