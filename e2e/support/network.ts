// The network as a slow one would behave: answers held back until the spec lets them through.
import type { Page } from "@playwright/test";

/** Holds back every answer to a request for `path` until the returned function is called. */
export async function holdAnswers(page: Page, path: string): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => url.pathname === path,
    async (route) => {
      await released;
      await route.continue();
    },
  );
  return release;
}
