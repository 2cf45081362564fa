/** `value`, which the test expects to be there (an array's item, a map's entry): fails the test naming `what` when it is not. */
export function defined<T>(value: T | null | undefined, what = "the value"): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}

/** The `name=value` of the cookie a response sets (what a browser sends back): fails the test when it sets none. */
export function sessionOf(response: Response): string {
  const [session] = defined(response.headers.get("set-cookie"), "a Set-Cookie header").split(";");
  return defined(session, "a cookie");
}
