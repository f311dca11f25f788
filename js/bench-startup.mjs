// `cargo xtask bench startup`: how fast the app opens in the emulated iOS DingTalk container, on a slow phone
// network and a slow CPU. Debian's Chromium, driven by Playwright as the e2e suite drives it, against the server
// and emulator xtask started. Prints the median and p90 of each metric over cold opens (a fresh context: empty HTTP
// cache and storage) and warm opens (one context: HTTP cache and storage kept, after one unmeasured open).
//
// usage: SHENPI_URL=... EMULATOR_URL=... node js/bench-startup.mjs [opens per kind, default 10]
import { chromium } from "playwright-core";
import { newContainerContext } from "../e2e/support/dingtalk-container.mjs";

const SHENPI_URL = process.env.SHENPI_URL;
const EMULATOR_URL = process.env.EMULATOR_URL;
if (!SHENPI_URL || !EMULATOR_URL) throw new Error("SHENPI_URL and EMULATOR_URL must be set: run `cargo xtask bench startup`");
const OPENS = Number(process.argv[2] ?? 10);
const USER = "zhangsan";
/** How long one open may take before the run counts it as failed. */
const OPEN_LIMIT_MS = 90_000;

// Chrome DevTools' "Slow 4G" preset, as DevTools defines it in front_end/core/sdk/NetworkManager.ts
// (`Slow4GConditions`; Puppeteer copies it as `PredefinedNetworkConditions['Slow 4G']`, lib/cdp/PredefinedNetworkConditions.ts):
// ~1.6 Mbit/s down and ~750 kbit/s up at 90% goodput, 150 ms RTT times DevTools' 3.75 "packet-level" factor.
// (It replaced the former "Fast 3G" preset under that name in Chrome 126, crbug.com/342406608.)
const SLOW_4G = {
  offline: false,
  downloadThroughput: ((1.6 * 1000 * 1000) / 8) * 0.9,
  uploadThroughput: ((750 * 1000) / 8) * 0.9,
  latency: 150 * 3.75,
  connectionType: "cellular4g",
};
/** DevTools' "4x slowdown" CPU throttling. */
const CPU_SLOWDOWN = 4;

// What the app renders once the inbox is on screen: its list or its empty state (the header with the user's name
// comes before either, so it does not count); the first to appear counts, and the table says which.
const INBOX_SELECTORS = ['[data-testid="inbox-list"]', '[data-testid="inbox-empty"]'];

// Runs in the page before its own scripts: notes when the first inbox selector is in the DOM, at the start of the
// next frame (the one that paints it).
const WATCH_INBOX = `(() => {
  const selectors = ${JSON.stringify(INBOX_SELECTORS)};
  const marks = (window.__bench = { visible: null });
  const observer = new MutationObserver(() => {
    if (marks.visible) return;
    const selector = selectors.find((s) => document.querySelector(s));
    if (!selector) return;
    marks.visible = { selector, at: null };
    observer.disconnect();
    requestAnimationFrame((at) => { marks.visible.at = at; });
  });
  observer.observe(document, { childList: true, subtree: true });
})();`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** A container context for `USER` with the inbox watcher installed. */
async function newContext() {
  const context = await newContainerContext(browser, EMULATOR_URL, { platform: "ios", userId: USER });
  await context.addInitScript({ content: WATCH_INBOX });
  return context;
}

/** Opens the app in a new page of `context` under throttling and returns what it measured (ms since navigation). */
async function open(context) {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", SLOW_4G);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
    await page.goto(SHENPI_URL, { waitUntil: "commit", timeout: OPEN_LIMIT_MS });
    await page.waitForFunction(() => window.__shenpiReady && window.__bench?.visible?.at != null, null, {
      timeout: OPEN_LIMIT_MS,
      polling: 100,
    });
    return await page.evaluate(() => {
      const paint = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
      const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
      return {
        firstPaint: paint("first-paint"),
        firstContentfulPaint: paint("first-contentful-paint"),
        inboxVisible: window.__bench.visible.at,
        selector: window.__bench.visible.selector,
        interactive: window.__shenpiReady - performance.timeOrigin,
        transferred: entries.reduce((sum, e) => sum + (e.transferSize ?? 0), 0),
      };
    });
  } finally {
    await page.close();
  }
}

/** Runs `OPENS` opens of one kind; a failed open is reported and counted, not measured. */
async function series(kind, openOne) {
  const runs = [];
  let failed = 0;
  for (let i = 1; i <= OPENS; i++) {
    try {
      const run = await openOne();
      runs.push(run);
      console.log(`${kind} ${i}/${OPENS}: inbox ${run.inboxVisible.toFixed(0)} ms (${run.selector}), interactive ${run.interactive.toFixed(0)} ms`);
    } catch (e) {
      failed++;
      console.log(`${kind} ${i}/${OPENS}: FAILED ${e.message.split("\n")[0]}`);
    }
  }
  return { runs, failed };
}

const cold = await series("cold", async () => {
  const context = await newContext();
  try {
    return await open(context);
  } finally {
    await context.close();
  }
});
const warmContext = await newContext();
await open(warmContext); // fills the HTTP cache and the storage; not measured
const warm = await series("warm", () => open(warmContext));
await warmContext.close();
await browser.close();

/** The nearest-rank percentile `p` (0..100) of `values`, or null when there are none. */
function percentile(values, p) {
  const sorted = values.filter((v) => v != null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (v) => (v == null ? "-" : `${v.toFixed(0)} ms`);
const kb = (v) => (v == null ? "-" : `${(v / 1024).toFixed(1)} KB`);
const rows = [
  ["first paint", "firstPaint", ms],
  ["first contentful paint", "firstContentfulPaint", ms],
  ["inbox visible", "inboxVisible", ms],
  ["interactive (__shenpiReady)", "interactive", ms],
  ["bytes transferred", "transferred", kb],
];
const cell = (text, width) => text.padStart(width);
console.log(
  `\nstartup of ${SHENPI_URL} in the emulated iOS DingTalk container as ${USER}: ${cold.runs.length} cold, ${warm.runs.length} warm opens`,
);
console.log(
  `throttling: network DevTools "Slow 4G" (${SLOW_4G.latency} ms latency, ${((SLOW_4G.downloadThroughput * 8) / 1000).toFixed(0)} kbit/s down, ` +
    `${((SLOW_4G.uploadThroughput * 8) / 1000).toFixed(0)} kbit/s up), CPU ${CPU_SLOWDOWN}x slower`,
);
console.log(`\n${"metric".padEnd(28)}${cell("cold median", 13)}${cell("cold p90", 11)}${cell("warm median", 13)}${cell("warm p90", 11)}`);
for (const [label, key, unit] of rows) {
  const of = (s, p) => unit(percentile(s.runs.map((r) => r[key]), p));
  console.log(`${label.padEnd(28)}${cell(of(cold, 50), 13)}${cell(of(cold, 90), 11)}${cell(of(warm, 50), 13)}${cell(of(warm, 90), 11)}`);
}
const seen = new Map();
for (const run of [...cold.runs, ...warm.runs]) seen.set(run.selector, (seen.get(run.selector) ?? 0) + 1);
console.log(`inbox visible by: ${[...seen].map(([s, n]) => `${s} (${n}x)`).join(", ")}`);
const failed = cold.failed + warm.failed;
if (failed > 0) {
  console.log(`${failed} open(s) failed`);
  process.exit(1);
}
