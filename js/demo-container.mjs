// `cargo xtask demo` opens the app in a simulated DingTalk container: Debian's Chromium with DingTalk's iOS user
// agent and the emulator's container script, the same setup as the Playwright suite. With a display it opens a
// window and stays until the window closes; without one it logs in headless and saves a screenshot.
//
// usage: node js/demo-container.mjs <appUrl> <emulatorUrl> <userId> <screenshotPath>
import { chromium } from "playwright-core";

const [appUrl, emulatorUrl, userId, screenshot] = process.argv.slice(2);
if (!screenshot) throw new Error("usage: demo-container.mjs <appUrl> <emulatorUrl> <userId> <screenshotPath>");

const headed = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const script = await (await fetch(`${emulatorUrl}/_emulator/container.js?platform=ios&user=${encodeURIComponent(userId)}`)).text();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: !headed,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({
  userAgent:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 " +
    "AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/31280000 Channel/201200 language/zh-Hans-CN WK",
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: "zh-CN",
});
await context.addInitScript({ content: script });
const page = await context.newPage();
await page.goto(appUrl);
const outcome = await Promise.race([
  page.getByTestId("user-name").waitFor({ timeout: 20_000 }).then(async () => `logged in as ${await page.getByTestId("user-name").textContent()}`),
  page.getByTestId("login-error").waitFor({ timeout: 20_000 }).then(async () => `login failed: ${await page.getByTestId("login-error").textContent()}`),
]);
await page.screenshot({ path: screenshot });
console.log(`simulated iOS DingTalk container: ${outcome}; screenshot ${screenshot}`);
if (headed) {
  await new Promise((resolve) => page.on("close", resolve));
}
await browser.close();
