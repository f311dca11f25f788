// Drafts and the offline outbox through the UI: a form being typed is kept (this device at once, the server after a
// pause), so a reload and another device both reopen it; a submit made without network waits in the outbox and goes
// out exactly once, with its Idempotency-Key, when the network returns.
import { expect, test } from "@playwright/test";
import { NewRequestPage } from "../pages/new-request-page";
import { openContainer } from "../support/containers";
import { SHENPI_URL, sessionToken } from "../support/shenpi";

const GENERAL = "PROC-EMU-GENERAL";
const SUBJECT = "TextField-NPVG29PY";
const CONTENT = "TextareaField-3T6NCAZ7";

test("a draft survives a reload and opens on another device", async ({ browser }) => {
  const phone = await openContainer(browser, { platform: "ios", userId: "fin01" });
  const form = await new NewRequestPage(phone.page).open(GENERAL);
  await expect(phone.page).toHaveURL(/\?draft=[0-9a-f]{32}$/);
  await form.fill(SUBJECT, "草稿里的会议室");
  await form.fill(CONTENT, "还没写完");
  await expect(phone.page.getByTestId("draft-status")).toHaveText("已保存");
  const draftUrl = phone.page.url();

  await phone.page.reload();
  await expect(form.input(SUBJECT)).toHaveValue("草稿里的会议室");
  await expect(form.input(CONTENT)).toHaveValue("还没写完");
  expect(phone.page.url()).toBe(draftUrl);

  // Another device of the same person: nothing in its storage, the server's copy opens.
  const desk = await openContainer(browser, { platform: "pc", userId: "fin01" });
  await desk.page.goto(new URL(draftUrl).pathname + new URL(draftUrl).search);
  const deskForm = new NewRequestPage(desk.page);
  await expect(deskForm.input(SUBJECT)).toHaveValue("草稿里的会议室");
  await expect(deskForm.input(CONTENT)).toHaveValue("还没写完");

  const drafts = await (
    await fetch(`${SHENPI_URL}/api/drafts`, { headers: { authorization: `Bearer ${await sessionToken("fin01")}` } })
  ).json();
  expect(drafts.filter((d: { id: string }) => draftUrl.endsWith(d.id))).toHaveLength(1);
  await phone.context.close();
  await desk.context.close();
});

test("a submit made offline waits in the outbox and goes out once when the network returns", async ({ browser }) => {
  const phone = await openContainer(browser, { platform: "ios", userId: "fin_cashier" });
  const posts: string[] = [];
  phone.page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/requests") {
      posts.push(request.headers()["idempotency-key"] ?? "");
    }
  });
  const form = await new NewRequestPage(phone.page).open(GENERAL);
  const subject = `离线提交 ${Date.now()}`;
  await form.fill(SUBJECT, subject);
  await form.fill(CONTENT, "地铁里没有信号");

  await phone.context.setOffline(true);
  await form.submit.click();
  await expect(phone.page.getByTestId("outbox-waiting")).toContainText("1 个申请等待联网后提交");
  await phone.page.screenshot({ path: test.info().outputPath("ios-outbox-waiting.png") });

  await phone.context.setOffline(false);
  await expect(phone.page.getByTestId("outbox-waiting")).toHaveCount(0, { timeout: 20_000 });

  // Every attempt carried the same key, and the server holds the request once.
  expect(posts.length).toBeGreaterThanOrEqual(2);
  expect(new Set(posts).size).toBe(1);
  const token = await sessionToken("fin_cashier");
  const mine = await (await fetch(`${SHENPI_URL}/api/requests`, { headers: { authorization: `Bearer ${token}` } })).json();
  const detailed = await Promise.all(
    mine.items.map(async (r: { id: string }) =>
      (await fetch(`${SHENPI_URL}/api/requests/${r.id}`, { headers: { authorization: `Bearer ${token}` } })).json(),
    ),
  );
  const sent = detailed.filter((r: { submitted?: { values: Record<string, unknown> } }) =>
    JSON.stringify(r.submitted?.values ?? {}).includes(subject),
  );
  expect(sent).toHaveLength(1);
  await phone.context.close();
});
