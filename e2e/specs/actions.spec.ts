// The detail screen and its actions, through every layer: a request zhangsan submitted through shenpi, opened in a
// simulated DingTalk container by its approver (fe_lead, zhangsan's direct manager in the seeded org) or by
// zhangsan; each action goes from the app's remark sheet through shenpi's server to the emulator's DingTalk.
import { expect, test, type Browser } from "@playwright/test";
import { ContainerDialogs } from "../pages/container-dialogs";
import { DetailPage } from "../pages/detail-page";
import { HomePage } from "../pages/home-page";
import { WebLoginPage } from "../pages/web-login-page";
import { runningTasks } from "../support/approvals";
import { EMULATOR_URL, openContainer, type Container } from "../support/containers";
import { instanceOf, submitRequest } from "../support/shenpi";

const GENERAL = "PROC-EMU-GENERAL";

/** zhangsan submits a 通用审批 through shenpi (fe_lead approves it); returns shenpi's request id and the instance. */
async function submitGeneral(subject: string): Promise<{ requestId: string; instanceId: string }> {
  const request = await submitRequest("zhangsan", GENERAL, {
    "TextField-NPVG29PY": { type: "text", value: subject },
    "TextareaField-3T6NCAZ7": { type: "text", value: `${subject}：请审批。\n第二行说明，长文本应当换行显示。` },
  });
  return { requestId: request.id, instanceId: await instanceOf("zhangsan", request.id) };
}

async function openDetail(
  browser: Browser,
  userId: string,
  instanceId: string,
  platform: "ios" | "pc" = "ios",
): Promise<{ container: Container; detail: DetailPage; dialogs: ContainerDialogs }> {
  const container = await openContainer(browser, { platform, userId });
  const detail = await new DetailPage(container.page).open(instanceId);
  return { container, detail, dialogs: new ContainerDialogs(container.page) };
}

test("the approver agrees with a remark and the originator sees 同意 and the approved status", async ({ browser }) => {
  const { instanceId } = await submitGeneral("采购显示器");
  const { container, detail, dialogs } = await openDetail(browser, "fe_lead", instanceId);

  await expect(detail.title).toContainText("张三");
  await expect(detail.status).toHaveText("审批中");
  await expect(detail.fields.filter({ hasText: "事项名称" })).toContainText("采购显示器");
  await expect(detail.fields.filter({ hasText: "联系电话" })).toHaveCount(0);
  await expect(detail.waiting).toContainText("赵前端");
  await expect(container.page).toHaveTitle(/张三/);
  await container.page.screenshot({ path: test.info().outputPath("ios-detail.png"), fullPage: true });

  await detail.action("approve").click();
  await expect(detail.sheet).toBeVisible();
  await detail.remark.fill("同意，尽快办理");
  await container.page.screenshot({ path: test.info().outputPath("ios-sheet.png") });
  await detail.submit.click();

  await expect(dialogs.toast).toContainText("已同意");
  await expect(detail.sheet).toHaveCount(0);
  await expect(detail.status).toHaveText("已通过");
  await expect(detail.actionBar.getByTestId("action-approve")).toHaveCount(0);
  await container.context.close();

  const originator = await openDetail(browser, "zhangsan", instanceId);
  await expect(originator.detail.status).toHaveText("已通过");
  const agreed = originator.detail.entriesOf("executed");
  await expect(agreed).toHaveCount(1);
  await expect(agreed).toContainText("赵前端");
  await expect(agreed).toContainText("同意");
  await expect(agreed).toContainText("同意，尽快办理");
  await expect(originator.detail.waiting).toHaveCount(0);
  await originator.container.context.close();
});

test("a refusal needs a reason, keeps what was typed elsewhere, and ends the approval refused", async ({ browser }) => {
  const { instanceId } = await submitGeneral("团建经费");
  const { container, detail } = await openDetail(browser, "fe_lead", instanceId);

  await detail.action("refuse").click();
  await detail.submit.click();
  await expect(detail.sheetError).toHaveText("请填写拒绝理由");
  await expect(detail.sheet).toBeVisible();

  await detail.remark.fill("预算已用完，下季度再申请");
  await detail.submit.click();
  await expect(detail.status).toHaveText("已拒绝");
  const refused = detail.entriesOf("executed");
  await expect(refused).toContainText("拒绝");
  await expect(refused).toContainText("预算已用完，下季度再申请");
  await container.context.close();
});

test("transfer hands the task to the member picked in DingTalk's picker", async ({ browser }) => {
  const { instanceId } = await submitGeneral("出差申请");
  const { container, detail, dialogs } = await openDetail(browser, "fe_lead", instanceId);

  await detail.action("transfer").click();
  await expect(dialogs.picker).toBeVisible();
  await dialogs.pickerUser("fe01").check();
  await dialogs.pickerOk.click();
  await expect(detail.targetName).toHaveText("刘洋");
  await detail.remark.fill("请刘洋处理");
  await detail.submit.click();

  await expect(detail.entriesOf("transferred")).toContainText("请刘洋处理");
  await expect(detail.action("approve")).toHaveCount(0);
  await expect(detail.status).toHaveText("审批中");
  const calls = await container.calls();
  const picker = calls.find((c) => c.method === "biz.contact.complexPicker");
  expect(picker?.params.disabledUsers).toEqual(["fe_lead"]);
  expect((await runningTasks("fe01")).map((t) => t.processInstanceId)).toContain(instanceId);
  await container.context.close();
});

test("in a plain browser transfer uses the app's own people picker", async ({ page }) => {
  const { instanceId } = await submitGeneral("浏览器转交");
  const home = await new HomePage(page).open();
  await home.webLogin.click();
  await new WebLoginPage(page).chooseUser("fe_lead");
  await expect(home.userName).toHaveText("赵前端");
  const detail = await new DetailPage(page).open(instanceId);

  await detail.action("transfer").click();
  const picker = page.getByTestId("people-picker");
  await expect(picker).toBeVisible();
  // The approver cannot hand the task to themselves.
  await picker.getByTestId("picker-search").fill("赵");
  await expect(picker.locator('[data-testid="picker-person"][data-user-id="fe_lead"] input')).toBeDisabled();
  await picker.getByTestId("picker-search").fill("刘洋");
  await picker.locator('[data-testid="picker-person"][data-user-id="fe01"]').click();
  await expect(picker.getByTestId("picker-count")).toHaveText("已选 1");
  await picker.getByTestId("sheet-confirm").click();
  await expect(picker).toHaveCount(0);
  await expect(detail.targetName).toHaveText("刘洋");
  await detail.remark.fill("浏览器里转交给刘洋");
  await detail.submit.click();

  await expect(detail.entriesOf("transferred")).toContainText("浏览器里转交给刘洋");
  await expect(detail.action("approve")).toHaveCount(0);
  expect((await runningTasks("fe01")).map((t) => t.processInstanceId)).toContain(instanceId);
});

test("the originator can revoke only after DingTalk's first 15 seconds", async ({ browser }) => {
  const { instanceId } = await submitGeneral("申请取消");
  const { container, detail } = await openDetail(browser, "zhangsan", instanceId);
  await expect(detail.action("approve")).toHaveCount(0);

  await detail.act("revoke", "填错了");
  await expect(detail.sheetError).toContainText("暂时不能撤销");
  await expect(detail.remark).toHaveValue("填错了");

  const advanced = await fetch(`${EMULATOR_URL}/_emulator/clock/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds: 20 }),
  });
  expect(advanced.ok).toBe(true);
  await detail.submit.click();
  await expect(detail.status).toHaveText("已撤销");
  await expect(detail.entriesOf("revoked")).toContainText("填错了");
  await container.context.close();
});

test("a comment of any participant shows in the timeline, and an empty one is not sent", async ({ browser }) => {
  const { instanceId } = await submitGeneral("补充材料");
  const { container, detail } = await openDetail(browser, "zhangsan", instanceId);

  await detail.action("comment").click();
  await detail.submit.click();
  await expect(detail.sheetError).toHaveText("请填写评论内容");
  await detail.remark.fill("发票稍后补交");
  await detail.submit.click();
  await expect(detail.entriesOf("commented")).toContainText("发票稍后补交");
  await expect(detail.status).toHaveText("审批中");
  await container.context.close();
});

test("a double tap on 同意 sends one action", async ({ browser }) => {
  const { instanceId } = await submitGeneral("双击测试");
  const { container, detail } = await openDetail(browser, "fe_lead", instanceId);
  const keys: string[] = [];
  container.page.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("/actions")) {
      keys.push(request.headers()["idempotency-key"]);
    }
  });

  await detail.action("approve").click();
  await detail.submit.dblclick();
  await expect(detail.status).toHaveText("已通过");
  await expect(detail.entriesOf("executed")).toHaveCount(1);
  await expect(detail.sheet).toHaveCount(0);
  expect(keys.length).toBeGreaterThanOrEqual(1);
  expect(new Set(keys).size).toBe(1);
  await container.context.close();
});

test("an instance the caller takes no part in reads as not found", async ({ browser }) => {
  const { instanceId } = await submitGeneral("别人的审批");
  const container = await openContainer(browser, { platform: "ios", userId: "wangwu" });
  await container.page.goto(`/instances/${encodeURIComponent(instanceId)}`);
  const detail = new DetailPage(container.page);
  await expect(detail.notFound).toContainText("审批不存在或无权查看");
  await expect(detail.detail).toHaveCount(0);
  await container.context.close();
});

test("my request's page shows the instance once DingTalk has it, with a copy link", async ({ browser }) => {
  const { requestId } = await submitGeneral("请求页");
  const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  await container.page.goto(`/requests/${encodeURIComponent(requestId)}`);
  const detail = new DetailPage(container.page);
  await expect(detail.title).toContainText("张三");
  await expect(container.page.getByTestId("request-copy")).toHaveAttribute(
    "href",
    `/new/${GENERAL}?copy=${encodeURIComponent(requestId)}`,
  );
  await container.context.close();
});

test("a request DingTalk refused says why on its page, and opens again to edit", async ({ browser }) => {
  // 周离职 has left: DingTalk refuses to copy them (targetSelectApproverScopeError).
  const request = await submitRequest(
    "zhangsan",
    GENERAL,
    {
      "TextField-NPVG29PY": { type: "text", value: "抄送离职同事" },
      "TextareaField-3T6NCAZ7": { type: "text", value: "请审批" },
    },
    { picks: [{ activityId: "act_general_cc", userIds: ["former01"] }] },
  );
  const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  await container.page.goto(`/requests/${encodeURIComponent(request.id)}`);
  const failed = container.page.getByTestId("request-failed");
  await expect(failed).toContainText("所选人员不在可选范围内");
  await expect(failed).toContainText("通用审批");
  await container.page.screenshot({ path: test.info().outputPath("ios-request-failed.png") });
  await failed.getByTestId("request-edit").click();
  await expect(container.page).toHaveURL(new RegExp(`/new/${GENERAL}\\?(copy|draft)=`));
  await expect(container.page.getByTestId("field-TextField-NPVG29PY-input")).toHaveValue("抄送离职同事");
  await container.context.close();
});

test("on PC the detail and the remark sheet", async ({ browser }) => {
  const { instanceId } = await submitGeneral("电脑端截图");
  const { container, detail } = await openDetail(browser, "fe_lead", instanceId, "pc");
  await expect(detail.actionBar).toBeVisible();
  await container.page.screenshot({ path: test.info().outputPath("pc-detail.png"), fullPage: true });
  await detail.action("approve").click();
  await expect(detail.sheet).toBeVisible();
  await container.page.screenshot({ path: test.info().outputPath("pc-sheet.png") });
  await detail.cancel.click();
  await expect(detail.sheet).toHaveCount(0);
  await container.context.close();
});
