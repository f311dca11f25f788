// The inbox through every layer: a request submitted through shenpi → outbox → the emulator's DingTalk → event
// intake → the approver's 待处理 with its badge; tabs and search in the URL; endless scroll; the per-user cache.
// Each test uses its own department (submitter → their manager), so parallel tests do not change each other's counts.
import { expect, test } from "@playwright/test";
import { InboxPage } from "../pages/inbox-page";
import { openContainer } from "../support/containers";
import { holdAnswers } from "../support/network";
import { instanceOf, submitRequest } from "../support/shenpi";

const GENERAL = "PROC-EMU-GENERAL";

/** Submits a 通用审批 through shenpi as `userId`, with `subject` as its 事项名称. */
function submitGeneral(userId: string, subject: string) {
  return submitRequest(userId, GENERAL, {
    "TextField-NPVG29PY": { type: "text", value: subject },
    "TextareaField-3T6NCAZ7": { type: "text", value: `${subject}：请审批` },
  });
}

/** The `href`s of the list's items, in order. */
async function hrefs(inbox: InboxPage): Promise<string[]> {
  return inbox.items.evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
}

test("a request to the approver shows in their 待处理 with badge 1, on a phone and on PC", async ({ browser }) => {
  const request = await submitGeneral("hr01", "年度培训报名");
  await instanceOf("hr01", request.id);

  const phone = await openContainer(browser, { platform: "ios", userId: "hr_head" });
  const inbox = await new InboxPage(phone.page).open();
  await expect(inbox.userName).toHaveText("陈人事");
  await expect(inbox.tab("todo")).toHaveAttribute("aria-selected", "true");
  await expect(inbox.todoBadge).toHaveText("1");
  await expect(inbox.items).toHaveCount(1);
  await expect(inbox.items.first()).toContainText("刘婷");
  await expect(inbox.items.first()).toContainText("通用审批");
  await expect(inbox.items.first().getByTestId("inbox-item-status")).toHaveText("审批中");
  await expect(inbox.items.first().getByTestId("inbox-item-time")).toHaveText(/刚刚|分钟前/);
  await expect(inbox.newRequest).toHaveAttribute("href", "/new");
  await expect(inbox.detailEmpty).toBeHidden();
  await phone.page.screenshot({ path: test.info().outputPath("inbox-phone.png") });
  await phone.context.close();

  const pc = await openContainer(browser, { platform: "pc", userId: "hr_head" });
  const desk = await new InboxPage(pc.page).open();
  await expect(desk.todoBadge).toHaveText("1");
  await expect(desk.items).toHaveCount(1);
  await expect(desk.detailEmpty).toHaveText("选择一个审批");
  await expect(desk.refresh).toBeVisible();
  await pc.page.screenshot({ path: test.info().outputPath("inbox-pc.png") });
  await pc.context.close();
});

test("the tab and the search live in the URL: reload and back restore them", async ({ browser }) => {
  const printer = await submitGeneral("admin01", "打印机维修");
  const room = await submitGeneral("admin01", "会议室预订");

  const container = await openContainer(browser, { platform: "ios", userId: "admin01" });
  const inbox = await new InboxPage(container.page).open();
  await expect(inbox.tab("todo")).toHaveAttribute("aria-selected", "true");
  await expect(inbox.empty).toHaveText("暂无待处理的审批");

  await inbox.tab("mine").click();
  await expect(container.page).toHaveURL(/\?box=mine$/);
  await expect(inbox.items).toHaveCount(2);
  await container.page.reload();
  await expect(inbox.tab("mine")).toHaveAttribute("aria-selected", "true");
  await expect(inbox.items).toHaveCount(2);

  await inbox.searchFor("打印机");
  await expect(container.page).toHaveURL(/box=mine&q=%E6%89%93%E5%8D%B0%E6%9C%BA/);
  await expect(inbox.items).toHaveCount(1);
  const [href] = await hrefs(inbox);
  expect([`/requests/${printer.id}`, `/instances/${await instanceOf("admin01", printer.id)}`]).toContain(href);
  expect(href).not.toContain(room.id);

  await container.page.reload();
  await expect(inbox.search).toHaveValue("打印机");
  await expect(inbox.items).toHaveCount(1);

  await inbox.searchFor("没有这种审批");
  await expect(inbox.empty).toHaveText("没有符合条件的审批");
  await container.page.goBack();
  await expect(inbox.search).toHaveValue("打印机");
  await expect(inbox.items).toHaveCount(1);
  await container.context.close();
});

test("filters go into the URL, and a backwards date range is explained instead of sent", async ({ browser }) => {
  await submitGeneral("qa01", "测试环境申请");
  const container = await openContainer(browser, { platform: "ios", userId: "qa01" });
  const inbox = await new InboxPage(container.page).open("?box=mine");
  await expect(inbox.items).toHaveCount(1);

  await inbox.filterToggle.click();
  await inbox.filterStatus.selectOption("approved");
  await expect(container.page).toHaveURL(/status=approved/);
  await expect(inbox.empty).toHaveText("没有符合条件的审批");
  await expect(inbox.filterToggle).toHaveText("筛选 1");

  await inbox.filterFrom.fill("2026-12-31");
  await inbox.filterTo.fill("2026-01-01");
  await expect(inbox.filterError).toHaveText("开始日期不能晚于结束日期。");
  await expect(container.page).not.toHaveURL(/to=/);
  await expect(inbox.filterTo).toHaveValue("2026-01-01");

  await container.page.getByTestId("filter-reset").click();
  await expect(container.page).toHaveURL(/\?box=mine$/);
  await expect(inbox.items).toHaveCount(1);
  await container.context.close();
});

test("scrolling to the end of the list loads the next page until there is no more", async ({ browser }) => {
  const subjects = Array.from({ length: 11 }, (_, i) => `滚动加载 ${String(i + 1).padStart(2, "0")}`);
  for (const subject of subjects) await submitGeneral("sales01", subject);

  const container = await openContainer(browser, { platform: "ios", userId: "sales01" });
  // A short screen and pages of 5 (the app asks for 20), so the end of the list starts out of view.
  await container.page.setViewportSize({ width: 390, height: 280 });
  const asked: string[] = [];
  await container.page.route(
    (url) => url.pathname === "/api/inbox",
    async (route) => {
      const url = new URL(route.request().url());
      url.searchParams.set("limit", "5");
      asked.push(url.search);
      await route.continue({ url: url.toString() });
    },
  );
  const inbox = await new InboxPage(container.page).open("?box=mine");
  await expect(inbox.items).toHaveCount(5);
  await expect(inbox.end).toBeHidden();
  expect(asked.filter((q) => q.includes("cursor="))).toHaveLength(0);

  await container.page.getByTestId("inbox-more").scrollIntoViewIfNeeded();
  await expect(inbox.items).toHaveCount(10);
  await container.page.getByTestId("inbox-more").scrollIntoViewIfNeeded();
  await expect(inbox.items).toHaveCount(11);
  await expect(inbox.end).toHaveText("没有更多了");
  expect(new Set(await hrefs(inbox)).size).toBe(11);
  expect(asked.filter((q) => q.includes("cursor="))).toHaveLength(2);
  await container.context.close();
});

test("a reopened inbox shows this user's cached list before the network answers", async ({ browser }) => {
  await submitGeneral("mkt01", "展会物料");
  const container = await openContainer(browser, { platform: "ios", userId: "mkt01" });
  const inbox = await new InboxPage(container.page).open("?box=mine");
  await expect(inbox.list).toHaveAttribute("data-fresh", "true");
  await expect(inbox.items).toHaveCount(1);
  // Someone else's cache on the same phone: never shown, and gone once this user's cache is written.
  await container.page.evaluate(() =>
    localStorage.setItem(
      "shenpi.inbox.intruder",
      JSON.stringify({ counts: { todo: 42, done: 0, mine: 0, cc: 0 }, pages: [["/?box=mine", { items: [] }]] }),
    ),
  );

  const release = await holdAnswers(container.page, "/api/inbox");
  await container.page.reload();
  await expect(inbox.list).toHaveAttribute("data-fresh", "false");
  await expect(inbox.items).toHaveCount(1);
  await expect(inbox.todoBadge).toHaveCount(0);
  await container.page.screenshot({ path: test.info().outputPath("inbox-cached.png") });

  release();
  await expect(inbox.list).toHaveAttribute("data-fresh", "true");
  await expect(inbox.items).toHaveCount(1);
  expect(await container.page.evaluate(() => localStorage.getItem("shenpi.inbox.intruder"))).toBeNull();
  await container.context.close();
});

test("the refresh button and the page coming back into view fetch the list again", async ({ browser }) => {
  const container = await openContainer(browser, { platform: "pc", userId: "be01" });
  const inbox = await new InboxPage(container.page).open("?box=mine");
  await expect(inbox.empty).toHaveText("暂无已发起的审批");

  await submitGeneral("be01", "服务器扩容");
  await inbox.refresh.click();
  await expect(inbox.items).toHaveCount(1);

  await submitGeneral("be01", "数据库备份");
  await container.page.evaluate(() => document.dispatchEvent(new Event("visibilitychange", { bubbles: true })));
  await expect(inbox.items).toHaveCount(2);
  await container.context.close();
});

test("pulling the list down at the top shows the indicator and refreshes on release", async ({ browser }) => {
  const container = await openContainer(browser, { platform: "ios", userId: "wangwu" });
  const inbox = await new InboxPage(container.page).open("?box=mine");
  await expect(inbox.empty).toHaveText("暂无已发起的审批");
  await submitGeneral("wangwu", "下拉刷新");
  let fetched = 0;
  await container.page.route(
    (url) => url.pathname === "/api/inbox",
    (route) => {
      fetched += 1;
      return route.continue();
    },
  );

  const touch = (type: string, y: number) =>
    container.page.evaluate(
      ([type, y]) => {
        const target = document.querySelector(".inbox") as Element;
        const point = new Touch({ identifier: 1, target, clientX: 200, clientY: y as number });
        const touches = type === "touchend" ? [] : [point];
        target.dispatchEvent(
          new TouchEvent(type as string, { touches, changedTouches: [point], bubbles: true, cancelable: true }),
        );
      },
      [type, y],
    );
  await touch("touchstart", 150);
  await touch("touchmove", 200);
  await expect(container.page.getByTestId("pull-indicator")).toHaveText("下拉刷新");
  expect(fetched).toBe(0);
  await touch("touchmove", 350);
  await expect(container.page.getByTestId("pull-indicator")).toHaveText("释放立即刷新");
  await touch("touchend", 350);
  await expect(inbox.items).toHaveCount(1);
  expect(fetched).toBe(1);
  await container.context.close();
});
