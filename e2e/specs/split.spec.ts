// The release build is split per page (xtask/src/split.rs): the first open fetches only the main module, a page's
// chunks come the first time it opens, and a chunk that cannot be fetched is a card with a retry, not a dead app.
import { expect, test } from "@playwright/test";
import { InboxPage } from "../pages/inbox-page";
import { TemplatesPage } from "../pages/new-request-page";
import { openContainer } from "../support/containers";

const CHUNK = /^\/shenpi-(chunk|split)_[A-Za-z0-9_]+-[0-9a-f]{12,}\.wasm$/;

test("the inbox loads only the main module; the templates page fetches its chunks when it first opens", async ({
  browser,
}) => {
  const { page, context } = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const wasm: string[] = [];
  const caching: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith(".wasm")) wasm.push(path);
  });
  page.on("response", async (r) => {
    if (CHUNK.test(new URL(r.url()).pathname)) caching.push((await r.allHeaders())["cache-control"]);
  });
  const inbox = await new InboxPage(page).open("");
  await expect(inbox.newRequest).toBeVisible();
  await expect(inbox.items.or(inbox.empty).first()).toBeVisible();
  expect(wasm.filter((p) => CHUNK.test(p))).toEqual([]);
  expect(wasm.some((p) => p.endsWith("_bg.wasm"))).toBe(true);

  await inbox.newRequest.click();
  await expect(new TemplatesPage(page).list).toBeVisible();
  const chunks = wasm.filter((p) => CHUNK.test(p));
  expect(chunks.length).toBeGreaterThan(0);
  expect(chunks.some((p) => p.includes("split_templates_chunk"))).toBe(true);
  expect(chunks.some((p) => p.includes("split_request_chunk"))).toBe(false);
  // Named with the build's hash, so kept for a year.
  await expect.poll(() => caching.length).toBe(chunks.length);
  expect(new Set(caching)).toEqual(new Set(["public, max-age=31536000, immutable"]));

  // Back and forth: the chunk is not fetched again.
  await page.goBack();
  await expect(inbox.newRequest).toBeVisible();
  const before = wasm.length;
  await inbox.newRequest.click();
  await expect(new TemplatesPage(page).list).toBeVisible();
  expect(wasm).toHaveLength(before);
  await context.close();
});

test("a page whose chunk cannot be fetched shows a retry, and the retry opens it", async ({ browser }) => {
  const { page, context } = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  let refused = 0;
  const chunk = (url: URL) => CHUNK.test(url.pathname);
  await page.route(chunk, async (route) => {
    refused += 1;
    await route.abort("internetdisconnected");
  });
  const inbox = await new InboxPage(page).open("");
  await expect(inbox.newRequest).toBeVisible();
  await inbox.newRequest.click();

  const failed = page.getByTestId("page-failed");
  await expect(failed).toBeVisible();
  await expect(failed).toContainText("网络连接失败");
  expect(refused).toBeGreaterThan(0);
  await page.screenshot({ path: test.info().outputPath("ios-page-chunk-failed.png") });

  // The app is alive: the network comes back and the retry brings the page.
  await page.unroute(chunk);
  await page.getByTestId("page-failed-retry").click();
  await expect(new TemplatesPage(page).list).toBeVisible();
  await expect(failed).toHaveCount(0);
  await context.close();
});
