// `cargo xtask demo` opens the app in a simulated DingTalk container: Debian's Chromium set up exactly as the
// Playwright suite does it (e2e/support/dingtalk-container.mjs). With a display it opens a
// window and stays until the window closes; without one it logs in headless and saves a screenshot.
//
// usage: node js/demo-container.mjs <appUrl> <emulatorUrl> <userId> <screenshotPath>
import { chromium } from "playwright-core";
import { newContainerContext } from "../e2e/support/dingtalk-container.mjs";

const [appUrl, emulatorUrl, userId, screenshot] = process.argv.slice(2);
if (!screenshot) throw new Error("usage: demo-container.mjs <appUrl> <emulatorUrl> <userId> <screenshotPath>");

const headed = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: !headed,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await newContainerContext(browser, emulatorUrl, { platform: "ios", userId });
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
