// The static boot screen of index.html: what it says when this webview cannot run the app, or the app did not load.
import type { Locator, Page } from "@playwright/test";

export class BootScreen {
  readonly update: Locator;
  readonly failed: Locator;
  readonly retry: Locator;

  constructor(readonly page: Page) {
    this.update = page.getByTestId("boot-update");
    this.failed = page.getByTestId("boot-failed");
    this.retry = page.getByTestId("boot-retry");
  }

  /** Counts, in `window.__bootFailures`, the failures the page reports before the app starts (an init script, so it
   *  runs before the boot screen's own listeners, which keep them off the console). */
  async countFailures(): Promise<void> {
    await this.page.addInitScript(() => {
      const w = window as unknown as { __bootFailures: number };
      w.__bootFailures = 0;
      const count = () => {
        w.__bootFailures += 1;
      };
      window.addEventListener("error", count, true);
      window.addEventListener("unhandledrejection", count);
    });
  }

  /** Waits until the app's load has failed at least once. */
  async waitForFailure(): Promise<void> {
    await this.page.waitForFunction(() => (window as unknown as { __bootFailures: number }).__bootFailures > 0);
  }
}
