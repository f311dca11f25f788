// Playwright runs the flows against servers that `cargo xtask test` starts: the DingTalk emulator (EMULATOR_URL)
// and shenpi's server with the release build of the app (SHENPI_URL). Chromium is Debian's: Playwright's own
// browser download cannot work on our machines.
import { defineConfig } from "@playwright/test";

for (const name of ["SHENPI_URL", "EMULATOR_URL"]) {
  if (!process.env[name]) throw new Error(`${name} is not set: run the suite with \`cargo xtask test\``);
}

export default defineConfig({
  testDir: "./specs",
  globalSetup: "./support/global-setup.ts",
  outputDir: "./test-results",
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/results.json" }]],
  use: {
    baseURL: process.env.SHENPI_URL,
    locale: "zh-CN",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
