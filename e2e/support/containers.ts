// The suite's view of simulated DingTalk containers (the setup itself is shared with the demo, in
// dingtalk-container.mjs), and the emulator's control calls the specs use.
import type { Browser, BrowserContext, Page } from "@playwright/test";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { newContainerContext } from "./dingtalk-container.mjs";
import { ORG_FIXTURE } from "./paths";

export const EMULATOR_URL = process.env.EMULATOR_URL as string;

export interface ContainerOptions {
  platform?: "ios" | "android" | "pc";
  /** The seeded user the container logs in as. */
  userId: string;
  /** Hand out this code instead of minting a fresh one (to replay a used code). */
  fixedCode?: string;
  /** The webview's language, `zh-CN` unless said (`en-US` shows the app in English). */
  locale?: string;
}

export interface Container {
  context: BrowserContext;
  page: Page;
  /** The JSAPI calls the page made to the container, in order. */
  calls(): Promise<Array<{ method: string; params: Record<string, unknown> }>>;
}

export async function openContainer(browser: Browser, options: ContainerOptions): Promise<Container> {
  const context: BrowserContext = await newContainerContext(browser, EMULATOR_URL, options);
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

/** Exchanges a free-login code as the app's server would (gettoken, then getuserinfo); returns the userid. */
export async function redeemAuthCode(code: string): Promise<string> {
  const org = JSON.parse(await readFile(ORG_FIXTURE, "utf8"));
  const token = await (
    await fetch(`${EMULATOR_URL}/gettoken?appkey=${org.app.appKey}&appsecret=${encodeURIComponent(org.app.appSecret)}`)
  ).json();
  const response = await fetch(`${EMULATOR_URL}/topapi/v2/user/getuserinfo?access_token=${token.access_token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  const body = await response.json();
  if (body.errcode !== 0) throw new Error(`getuserinfo refused the code: ${JSON.stringify(body)}`);
  return body.result.userid;
}

/** The seeded organisation's corpId. */
export async function corpId(): Promise<string> {
  return JSON.parse(await readFile(ORG_FIXTURE, "utf8")).corp.corpId;
}

/** The app's current JSAPI ticket, fetched as the app's server does (v1.0 app token, then jsapiTickets). */
export async function jsapiTicket(): Promise<string> {
  const org = JSON.parse(await readFile(ORG_FIXTURE, "utf8"));
  const token = await (
    await fetch(`${EMULATOR_URL}/v1.0/oauth2/accessToken`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: org.app.appKey, appSecret: org.app.appSecret }),
    })
  ).json();
  const ticket = await (
    await fetch(`${EMULATOR_URL}/v1.0/oauth2/jsapiTickets`, {
      method: "POST",
      headers: { "x-acs-dingtalk-access-token": token.accessToken },
    })
  ).json();
  return ticket.jsapiTicket;
}

/** `dd.config` parameters for the page at `url`, signed as the server signs them (SHA-1 over the raw URL). */
export async function signedConfig(url: string, jsApiList: string[]) {
  const org = JSON.parse(await readFile(ORG_FIXTURE, "utf8"));
  const timeStamp = Date.now();
  const nonceStr = "e2enonce";
  const page = url.split("#")[0];
  const plain = `jsapi_ticket=${await jsapiTicket()}&noncestr=${nonceStr}&timestamp=${timeStamp}&url=${page}`;
  const signature = createHash("sha1").update(plain).digest("hex");
  return { agentId: String(org.app.agentId), corpId: org.corp.corpId, timeStamp, nonceStr, signature, jsApiList };
}
