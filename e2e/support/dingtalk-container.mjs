// Simulated DingTalk containers for Playwright (the e2e suite and `cargo xtask demo`): a browser context with
// DingTalk's user agent for the platform and the emulator's container script injected before any page script,
// so the real dingtalk-jsapi detects DingTalk. Plain JavaScript so the demo can load it with node as it is.

/** User agents shaped like DingTalk's own (jsapi.md §2); only the platform and DingTalk parts matter. */
export const USER_AGENTS = {
  ios:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 " +
    "AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/31280000 Channel/201200 language/zh-Hans-CN WK",
};

/**
 * A new browser context that is a DingTalk container logged in as `userId`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} emulatorUrl
 * @param {{ platform?: "ios", userId: string, fixedCode?: string }} options `fixedCode` hands out that code
 *   every time instead of minting a fresh one (to replay a used code).
 */
export async function newContainerContext(browser, emulatorUrl, { platform = "ios", userId, fixedCode }) {
  const query = new URLSearchParams({ platform, user: userId });
  if (fixedCode) query.set("code", fixedCode);
  const response = await fetch(`${emulatorUrl}/_emulator/container.js?${query}`);
  if (!response.ok) throw new Error(`container script: HTTP ${response.status} ${await response.text()}`);
  const context = await browser.newContext({
    userAgent: USER_AGENTS[platform],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
  });
  await context.addInitScript({ content: await response.text() });
  return context;
}
