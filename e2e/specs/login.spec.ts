// Login through every layer: simulated DingTalk container → real dingtalk-jsapi → app (WASM) → shenpi server →
// DingTalk emulator (gettoken, getuserinfo, user/get) → the user's name on screen.
import { expect, test } from "@playwright/test";
import { HomePage } from "../pages/home-page";
import { WebLoginPage } from "../pages/web-login-page";
import { mintAuthCode, openContainer } from "../support/containers";

test("in the iOS container the user is logged in silently and greeted by name", async ({ browser }) => {
  const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const home = await new HomePage(container.page).open();

  await expect(home.userName).toHaveText("张三");
  await expect(container.page).toHaveTitle("审批");

  const calls = await container.calls();
  const authCalls = calls.filter((c) => c.method === "runtime.permission.requestAuthCode");
  expect(authCalls).toHaveLength(1);
  const config = await (await container.page.request.get("/api/config")).json();
  expect(authCalls[0].params.corpId).toBe(config.corpId);
  await container.page.screenshot({ path: test.info().outputPath("ios-logged-in.png") });
  await container.context.close();
});

test("a reused auth code shows a clear error instead of logging in", async ({ browser }) => {
  const code = await mintAuthCode("lisi");

  const first = await openContainer(browser, { platform: "ios", userId: "lisi", fixedCode: code });
  await expect((await new HomePage(first.page).open()).userName).toHaveText("李四");
  await first.context.close();

  const second = await openContainer(browser, { platform: "ios", userId: "lisi", fixedCode: code });
  const home = await new HomePage(second.page).open();
  await expect(home.loginError).toBeVisible();
  await expect(home.loginError).toContainText("登录码已失效");
  await expect(home.retry).toBeVisible();
  await expect(home.userName).toHaveCount(0);
  await second.page.screenshot({ path: test.info().outputPath("ios-code-reused.png") });
  await second.context.close();
});

test("in a plain browser the page says to open it in DingTalk", async ({ page }) => {
  const home = await new HomePage(page).open();
  await expect(home.notInDingTalk).toContainText("请在钉钉中打开");
  await expect(home.webLogin).toHaveText("用钉钉账号登录");
  await expect(home.userName).toHaveCount(0);
});

test("in a plain browser DingTalk's web login logs the user in", async ({ page }) => {
  const home = await new HomePage(page).open();
  await home.webLogin.click();

  const login = new WebLoginPage(page);
  await expect(login.heading).toBeVisible();
  await login.chooseUser("fin_head");

  await expect(home.userName).toHaveText("钱财务");
  // The code and state are gone from the address bar, so a reload cannot replay them...
  expect(new URL(page.url()).search).toBe("");
  // ...and a reload keeps the session of this tab.
  await page.reload();
  await expect(home.userName).toHaveText("钱财务");
  await page.screenshot({ path: test.info().outputPath("browser-web-login.png") });
});

test("a web login that comes back with a foreign state is refused", async ({ page }) => {
  const home = await new HomePage(page).open();
  await home.webLogin.click();
  const login = new WebLoginPage(page);
  await expect(login.heading).toBeVisible();
  // Someone else's link: a valid code, but a state this tab never sent.
  const link = new URL((await login.userLink("zhangsan").getAttribute("href")) as string, page.url());
  link.searchParams.set("state", "forged");
  await page.goto(link.toString());

  await expect(home.loginError).toContainText("登录请求已失效");
  await expect(home.userName).toHaveCount(0);
});

test("in an English browser the same notice is in English", async ({ browser }) => {
  const context = await browser.newContext({ locale: "en-US" });
  const home = await new HomePage(await context.newPage()).open();
  await expect(home.notInDingTalk).toContainText("Open shenpi in DingTalk");
  await expect(home.retry).toHaveText("Retry");
  await context.close();
});
