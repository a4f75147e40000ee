// Auto-pagination over the service's cursor pages (`{ data, next_cursor }`): a list method returns a
// PagedList, which `for await` walks item by item across pages, and `firstPage()` reads one page.

/** One page of a list as the service sends it, and the way to the next one. */
export interface Page<T> {
  data: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  next_cursor: string | null;
  hasNextPage(): boolean;
  /** The next page, or null after the last one. */
  nextPage(): Promise<Page<T> | null>;
}

/** One page as it comes over the wire. */
export interface PageBody<T> {
  data: T[];
  next_cursor: string | null;
}

export type FetchPage<T> = (cursor: string | undefined) => Promise<PageBody<T>>;

/**
 * The items of a list, fetched a page at a time, only as they are read:
 *
 * ```ts
 * for await (const session of client.sessions.list({ status: 'active' })) console.log(session.session_id);
 * const page = await client.sessions.list({ limit: 20 }).firstPage(); // page.data, page.next_cursor
 * ```
 *
 * `limit` is the page size (1 to 200); iteration goes on until the last page, or until the loop
 * breaks. Each iteration starts again from the first page.
 */
export class PagedList<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: FetchPage<T>,
    private readonly startCursor?: string,
  ) {}

  /** The first page (the one at `cursor`, when the query gave one). */
  firstPage(): Promise<Page<T>> {
    return this.page(this.startCursor);
  }

  /** Every page, first to last. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let page: Page<T> | null = await this.firstPage();
    while (page) {
      yield page;
      page = await page.nextPage();
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** The items of every page in one array, stopping once it holds `max` (default: all of them). */
  async toArray({ max = Number.POSITIVE_INFINITY }: { max?: number } = {}): Promise<T[]> {
    const items: T[] = [];
    if (max <= 0) return items;
    for await (const item of this) {
      items.push(item);
      if (items.length >= max) break;
    }
    return items;
  }

  private async page(cursor: string | undefined): Promise<Page<T>> {
    const body = await this.fetchPage(cursor);
    const next = body.next_cursor;
    return {
      data: body.data,
      next_cursor: next,
      hasNextPage: () => next !== null,
      nextPage: () => (next === null ? Promise.resolve(null) : this.page(next)),
    };
  }
}

/** A PagedList over `fetch`, which gets `query` with the cursor of each page in turn (the first: query's own). */
export function pagedList<Q extends { cursor?: string }, T>(query: Q, fetch: (query: Q) => Promise<PageBody<T>>): PagedList<T> {
  const { cursor, ...filters } = query;
  return new PagedList((at) => fetch({ ...filters, ...(at === undefined ? {} : { cursor: at }) } as Q), cursor);
}
