// The boot screen's old-webview check (the ES5 script at the top of index.html's body): a webview without
// WebAssembly is asked to update DingTalk, and a failed load of the app says so with a reload, never a white screen.
import { expect, test, type Page } from "@playwright/test";
import { transformSync } from "esbuild";
import { BootScreen } from "../pages/boot-screen";
import { openContainer } from "../support/containers";

/** The console's errors and the page's uncaught exceptions, as they happen. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

async function withoutWebAssembly(page: Page): Promise<BootScreen> {
  await page.addInitScript(() => {
    delete (window as { WebAssembly?: unknown }).WebAssembly;
  });
  const boot = new BootScreen(page);
  await boot.countFailures();
  return boot;
}

test("without WebAssembly the boot screen asks to update DingTalk and nothing reaches the console", async ({ browser }) => {
  const { page, context } = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const errors = consoleErrors(page);
  const boot = await withoutWebAssembly(page);
  await page.goto("/");

  await expect(boot.update).toBeVisible();
  await expect(boot.update).toContainText("请升级钉钉");
  await boot.waitForFailure();
  expect(errors).toEqual([]);
  await expect(boot.retry).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath("boot-update-zh.png") });
  await context.close();
});

test.describe("in English", () => {
  test.use({ locale: "en-US" });

  test("without WebAssembly the boot screen asks to update DingTalk in English", async ({ page }) => {
    const boot = await withoutWebAssembly(page);
    await page.goto("/");

    await expect(boot.update).toContainText("Please update DingTalk");
    await expect(page.getByTestId("not-in-dingtalk")).toHaveCount(0);
  });
});

test("when the WASM download fails the boot screen says so, and its reload opens the app", async ({ browser }) => {
  const { page, context } = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const errors = consoleErrors(page);
  const boot = new BootScreen(page);
  await boot.countFailures();
  await page.route("**/*.wasm", (route) => route.abort());
  await page.goto("/");

  await expect(boot.failed).toBeVisible();
  await expect(boot.failed).toContainText("加载失败，请重试");
  await expect(boot.retry).toHaveText("重试");
  await page.screenshot({ path: test.info().outputPath("boot-failed-zh.png") });
  expect(errors.filter((e) => !e.includes("net::ERR_FAILED"))).toEqual([]);

  await page.unroute("**/*.wasm");
  await boot.retry.click();
  await page.waitForFunction(() => (window as { __shenpiReady?: number }).__shenpiReady);
  await expect(boot.failed).toHaveCount(0);
  await context.close();
});

test("the served check is ES5: lowering it to ES5 changes nothing", async ({ request }) => {
  const html = await (await request.get("/")).text();
  const check = /<script id="?es5-check"?>([\s\S]*?)<\/script>/.exec(html)?.[1];
  expect(check, "index.html has the es5-check script").toBeTruthy();
  const as = (target: string) => transformSync(check as string, { target, minifyWhitespace: true }).code;
  // esbuild lowers arrow functions, template literals, shorthand properties... to ES5, and refuses let and const.
  expect(as("es5")).toBe(as("esnext"));
});
