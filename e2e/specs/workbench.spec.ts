// The emulator's workbench shows the real app (through the emulator's app proxy on *.app.localhost) logged in as
// the chosen member in each frame, and re-logs in when the member changes.
import { expect, test } from "@playwright/test";
import { WorkbenchPage } from "../pages/workbench-page";
import { runningTasks, startGeneralApproval } from "../support/approvals";
import { EMULATOR_URL } from "../support/containers";

test.beforeAll(async () => {
  // The suite starts the emulator before the app, on a port it does not know in advance.
  const response = await fetch(`${EMULATOR_URL}/_emulator/app-url`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ appUrl: process.env.SHENPI_URL }),
  });
  expect(response.ok).toBe(true);
});

test("the phone and desktop frames show the app logged in as their members", async ({ page }) => {
  const workbench = await new WorkbenchPage(page).open({ "phone-user": "zhangsan", "pc-user": "fe_lead" });
  await expect(page.getByTestId("wb-app-url")).toHaveText(new URL(process.env.SHENPI_URL as string).toString());
  await expect(WorkbenchPage.userName(workbench.phone)).toHaveText("张三");
  await expect(WorkbenchPage.userName(workbench.pc)).toHaveText("赵前端");
  // The frames' containers report their calls to the workbench.
  await expect(workbench.calls).toContainText("ios/zhangsan runtime.permission.requestAuthCode");
  await expect(workbench.calls).toContainText("pc/fe_lead runtime.permission.requestAuthCode");
  await page.screenshot({ path: test.info().outputPath("workbench.png"), fullPage: true });
});

test("switching the member or the phone's platform logs in again", async ({ page }) => {
  const workbench = await new WorkbenchPage(page).open({ "phone-user": "zhangsan" });
  await expect(WorkbenchPage.userName(workbench.phone)).toHaveText("张三");

  await workbench.phoneUser.selectOption("lisi");
  await expect(WorkbenchPage.userName(workbench.phone)).toHaveText("李四");

  await workbench.phonePlatform.selectOption("android");
  await expect(WorkbenchPage.userName(workbench.phone)).toHaveText("李四");
  await expect(workbench.calls).toContainText("android/lisi runtime.permission.requestAuthCode");

  await workbench.pcUser.selectOption("fin_head");
  await expect(WorkbenchPage.userName(workbench.pc)).toHaveText("钱财务");
});

test("the approver panel lists the member's tasks and agrees to one", async ({ page }) => {
  const subject = `工作台测试 ${Date.now()}`;
  const instanceId = await startGeneralApproval("zhangsan", 101, subject);
  const task = (await runningTasks("fe_lead")).find((t) => t.processInstanceId === instanceId);
  expect(task, "the direct manager has the task").toBeTruthy();
  if (!task) return;

  const workbench = await new WorkbenchPage(page).open({ approver: "fe_lead" });
  await expect(workbench.task(task.taskId)).toContainText(`张三提交的通用审批 · act_general_mgr1 · ${instanceId}`);
  await workbench.agree(task.taskId).click();

  await expect(workbench.task(task.taskId)).toHaveCount(0);
  expect((await runningTasks("fe_lead")).map((t) => t.taskId)).not.toContain(task.taskId);
  await expect(workbench.events).toContainText(`bpms_instance_change finish agree 张三提交的通用审批 ${instanceId}`);
});
