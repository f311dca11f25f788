// Simulated DingTalk containers: a browser context with DingTalk's user agent for the platform, and the
// emulator's container script injected before any page script, so the real dingtalk-jsapi detects DingTalk.
import type { Browser, BrowserContext, Page } from "@playwright/test";

export const EMULATOR_URL = process.env.EMULATOR_URL as string;

/** User agents shaped like DingTalk's own (jsapi.md §2); only the platform and DingTalk parts matter. */
export const USER_AGENTS = {
  ios:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 " +
    "AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/31280000 Channel/201200 language/zh-Hans-CN WK",
} as const;

export type Platform = keyof typeof USER_AGENTS;

export interface ContainerOptions {
  platform?: Platform;
  /** The seeded user the container logs in as. */
  userId: string;
  /** Hand out this code instead of minting a fresh one (to replay a used code). */
  fixedCode?: string;
}

export interface Container {
  context: BrowserContext;
  page: Page;
  /** The JSAPI calls the page made to the container, in order. */
  calls(): Promise<Array<{ method: string; params: Record<string, unknown> }>>;
}

export async function openContainer(browser: Browser, options: ContainerOptions): Promise<Container> {
  const platform = options.platform ?? "ios";
  const query = new URLSearchParams({ platform, user: options.userId });
  if (options.fixedCode) query.set("code", options.fixedCode);
  const response = await fetch(`${EMULATOR_URL}/_emulator/container.js?${query}`);
  if (!response.ok) throw new Error(`container script: HTTP ${response.status} ${await response.text()}`);
  const script = await response.text();

  const context = await browser.newContext({
    userAgent: USER_AGENTS[platform],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
  });
  await context.addInitScript({ content: script });
  const page = await context.newPage();
  return {
    context,
    page,
    calls: () => page.evaluate(() => (window as any).__dingtalkContainer.calls),
  };
}

/** Mints a free-login code through the emulator's control API, as the container would. */
export async function mintAuthCode(userId: string): Promise<string> {
  const response = await fetch(`${EMULATOR_URL}/_emulator/auth-codes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (!response.ok) throw new Error(`auth code: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()).code;
}
