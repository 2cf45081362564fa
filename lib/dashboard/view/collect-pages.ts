/**
 * Reading a paged list of the API (`GET /api/v1/runs`, `/api/v1/events`: `limit` up to 1000, `cursor`, answered with
 * `nextCursor`) up to a number of items. Shared by the dashboard's "Load more" and `stepjobs runs --limit/--all`.
 */

/** One page as the API answers it: the items and the cursor of the next page (null on the last). */
export interface ListPage<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** The largest `limit` the API accepts for one page. */
export const MAX_PAGE_SIZE = 1000;

/**
 * Reads pages from the newest, following `nextCursor`, until `wanted` items (Infinity: every one) or the last page.
 * `more` says whether items are left after those returned.
 */
export async function collectPages<T>(
  read: (limit: number, cursor: string | undefined) => Promise<ListPage<T>>,
  wanted: number,
): Promise<{ readonly items: T[]; readonly more: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  while (items.length < wanted) {
    const page = await read(Math.min(MAX_PAGE_SIZE, wanted - items.length), cursor);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, more: false };
    cursor = page.nextCursor;
  }
  return { items, more: true };
}
