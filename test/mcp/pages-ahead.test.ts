// The pages a listing fetched and did not show: kept per exact request, taken once, 30 s, 20 at most.
import { describe, expect, it } from "vitest";
import { PAGE_LIFETIME_MS, PagesAhead } from "../../src/mcp/kit/pages-ahead.js";
import type { FileListPage, ListFilesParams } from "../../src/vagon/types.js";

const pageOf = (page: number): FileListPage => ({
  entries: [],
  folder: null,
  total: 5000,
  page,
  nextPage: page + 1,
  storage: null,
});
const params = (page: number, extra: Partial<ListFilesParams> = {}): ListFilesParams => ({
  location: "shared",
  parentId: 7,
  page,
  perPage: 100,
  ...extra,
});

describe("PagesAhead", () => {
  it("gives a page back once, only for the same request, and only while fresh", () => {
    let now = 1_000;
    const pages = new PagesAhead(() => now);
    pages.keep(params(2), pageOf(2));
    pages.keep(params(3), pageOf(3));
    expect(pages.take(params(2, { perPage: 50 }))).toBeUndefined();
    expect(pages.take(params(2, { query: "exr" }))).toBeUndefined();
    expect(pages.take(params(2, { parentId: 8 }))).toBeUndefined();
    expect(pages.take(params(2, { location: "recordings" }))).toBeUndefined();
    expect(pages.take(params(2))).toEqual(pageOf(2));
    expect(pages.take(params(2))).toBeUndefined();
    now += PAGE_LIFETIME_MS;
    expect(pages.take(params(3))).toBeUndefined();
  });

  it("keeps the newest 20 pages, and none after clear()", () => {
    const pages = new PagesAhead(() => 0);
    for (let page = 2; page <= 23; page++) pages.keep(params(page), pageOf(page));
    expect(pages.take(params(2))).toBeUndefined();
    expect(pages.take(params(3))).toBeUndefined();
    expect(pages.take(params(4))).toEqual(pageOf(4));
    expect(pages.take(params(23))).toEqual(pageOf(23));
    pages.clear();
    expect(pages.take(params(22))).toBeUndefined();
  });
});
