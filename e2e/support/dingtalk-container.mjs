// Simulated DingTalk containers for the Playwright suite: a browser context with
// DingTalk's user agent for the platform and the emulator's container script injected before any page script,
// so the real dingtalk-jsapi detects DingTalk. (The demo shows containers through the emulator's workbench instead.)

/** The platforms the emulator simulates. */
export const PLATFORMS = ["ios", "android", "pc"];

/**
 * A new browser context that is a DingTalk container logged in as `userId`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} emulatorUrl
 * @param {{ platform?: "ios" | "android" | "pc", userId: string, fixedCode?: string, locale?: string }} options
 *   `fixedCode` hands out that code every time instead of minting a fresh one (to replay a used code); `locale` is
 *   DingTalk's language: the webview's (`navigator.language`, all a mobile client says) and the one the PC client
 *   announces in `dd.env.language` (`en-US` → `en_US`).
 */
export async function newContainerContext(browser, emulatorUrl, { platform = "ios", userId, fixedCode, locale = "zh-CN" }) {
  const query = new URLSearchParams({ platform, user: userId, language: locale.replace("-", "_") });
  if (fixedCode) query.set("code", fixedCode);
  const response = await fetch(`${emulatorUrl}/_emulator/container.js?${query}`);
  if (!response.ok) throw new Error(`container script: HTTP ${response.status} ${await response.text()}`);
  // The emulator names the client's user agent (one source of truth, src/container.rs).
  const userAgent = response.headers.get("x-dingtalk-user-agent");
  const mobile = platform !== "pc";
  const context = await browser.newContext({
    userAgent,
    viewport: mobile ? { width: 390, height: 844 } : { width: 1280, height: 800 },
    deviceScaleFactor: mobile ? 2 : 1,
    isMobile: mobile,
    hasTouch: mobile,
    locale,
  });
  await context.addInitScript({ content: await response.text() });
  return context;
}
