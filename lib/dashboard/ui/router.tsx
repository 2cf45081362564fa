import type { AnchorHTMLAttributes, ComponentChildren, JSX, TargetedMouseEvent } from "preact";
import { useEffect, useState } from "preact/hooks";

/**
 * Client-side routing on the History API: the dev server answers every app route with the same
 * `index.html`, and links change the URL without a reload.
 */

/** The current location. */
export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { path: window.location.pathname.replace(/(.)\/$/, "$1"), query: new URLSearchParams(window.location.search) };
}

/** Goes to an in-app URL, adding a history entry (or replacing the current one). */
export function navigate(href: string, options: { readonly replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  listeners.forEach((l) => l());
  if (!options.replace) window.scrollTo(0, 0);
}

/** The current location, re-rendering on navigation and on back/forward. */
export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = (): void => setLocation(current());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return location;
}

/** An anchor that navigates in-app on a plain left click (new-tab clicks keep working). */
export function Link(
  props: { readonly href: string; readonly children: ComponentChildren } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href" | "role">,
): JSX.Element {
  const { href, children, onClick, ...rest } = props;
  const handle = (e: TargetedMouseEvent<HTMLAnchorElement>): void => {
    if (typeof onClick === "function") onClick(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={handle} {...rest}>
      {children}
    </a>
  );
}

/** A path with a query string, or the bare path when the query is empty. */
export function withQuery(path: string, query: URLSearchParams): string {
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** Replaces one query parameter of the current page (removing it when empty), without a history entry. */
export function setQueryParam(path: string, query: URLSearchParams, key: string, value: string): void {
  const next = new URLSearchParams(query);
  if (value) next.set(key, value);
  else next.delete(key);
  navigate(withQuery(path, next), { replace: true });
}
