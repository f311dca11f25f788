// A bare page with the full official dingtalk-jsapi inside a simulated DingTalk container, for driving the
// library call by call. The page is served on the emulator's own origin (Playwright answers the request), so the
// container script reaches the control API without crossing origins.
import { readFile } from "node:fs/promises";
import type { Browser, BrowserContext, Page } from "@playwright/test";
import { newContainerContext } from "./dingtalk-container.mjs";
import { EMULATOR_URL } from "./containers";
import { FULL_JSAPI_BUNDLE } from "./paths";

export type Platform = "ios" | "android" | "pc";

/** How a library call ended: its result, or the rejection (plain data). */
export type Outcome = { ok: true; value: any } | { ok: false; error: any };

export class JsapiPage {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, platform: Platform, userId: string): Promise<JsapiPage> {
    const context = await newContainerContext(browser, EMULATOR_URL, { platform, userId });
    const bundle = await readFile(FULL_JSAPI_BUNDLE, "utf8");
    const base = `${EMULATOR_URL}/_jsapi-test`;
    await context.route(`${base}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path.endsWith("/dd.js")) return route.fulfill({ contentType: "text/javascript", body: bundle });
      return route.fulfill({
        contentType: "text/html; charset=utf-8",
        body: '<!doctype html><meta charset="utf-8"><title>jsapi</title><script src="dd.js"></script><p>jsapi</p>',
      });
    });
    const page = await context.newPage();
    await page.goto(`${base}/index.html`);
    return new JsapiPage(context, page);
  }

  /**
   * Starts `dd.<path>(params)` in the page and returns how it ends, without waiting for it here: dialogs can be
   * clicked before awaiting the outcome.
   */
  call(path: string, params: Record<string, unknown> = {}): Promise<Outcome> {
    return this.page.evaluate(
      ([path, params]) => {
        const fn = path.split(".").reduce((o: any, key) => o?.[key], (window as any).dd);
        if (typeof fn !== "function") return { ok: false as const, error: { message: `no dd.${path}` } };
        return Promise.resolve(fn(params)).then(
          (value: unknown) => ({ ok: true as const, value }),
          (error: any) => ({
            ok: false as const,
            error: { ...JSON.parse(JSON.stringify(error ?? null) ?? "null"), message: error?.message ?? error?.errorMessage },
          }),
        );
      },
      [path, params] as const,
    );
  }

  /** The environment the library derived when it loaded. */
  env(): Promise<{ platform: string; version: string; appType: string }> {
    return this.page.evaluate(() => (window as any).dd.env);
  }

  /** The JSAPI calls that reached the container, in order. */
  calls(): Promise<Array<{ method: string; params: Record<string, any> }>> {
    return this.page.evaluate(() => (window as any).__dingtalkContainer.calls);
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
