// `cargo xtask demo` opens the emulator's workbench (/_emulator/workbench): the app in a phone and a desktop
// DingTalk container, a user switcher, the approver panel and the event log. Debian's Chromium, launched as the
// Playwright suite launches it. With a display it opens a window and stays until the window closes; without one
// it waits for the phone frame to log in, headless, and saves a screenshot.
//
// usage: node js/demo-container.mjs <workbenchUrl> <userId> <screenshotPath>
import { chromium } from "playwright-core";

const [workbenchUrl, userId, screenshot] = process.argv.slice(2);
if (!screenshot) throw new Error("usage: demo-container.mjs <workbenchUrl> <userId> <screenshotPath>");

const headed = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: !headed,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1720, height: 920 }, locale: "zh-CN" });
await page.goto(`${workbenchUrl}?${new URLSearchParams({ "phone-user": userId })}`);
const phone = page.frameLocator("[data-testid=wb-phone-frame]");
const outcome = await Promise.race([
  phone.getByTestId("user-name").waitFor({ timeout: 20_000 }).then(async () => `logged in as ${await phone.getByTestId("user-name").textContent()}`),
  phone.getByTestId("login-error").waitFor({ timeout: 20_000 }).then(async () => `login failed: ${await phone.getByTestId("login-error").textContent()}`),
]).catch((e) => `no answer from the app: ${e.message}`);
await page.screenshot({ path: screenshot });
console.log(`workbench, phone frame (iOS container): ${outcome}; screenshot ${screenshot}`);
if (headed) {
  await new Promise((resolve) => page.on("close", resolve));
}
await browser.close();
