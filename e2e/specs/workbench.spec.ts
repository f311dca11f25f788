// The emulator's workbench shows the real app (through the emulator's app proxy on *.app.localhost) logged in as
// the chosen member in each frame, and re-logs in when the member changes.
import { expect, test } from "@playwright/test";
import { WorkbenchPage } from "../pages/workbench-page";
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

test("the approver panel lists the chosen member's tasks", async ({ page }) => {
  const probe = await fetch(`${EMULATOR_URL}/_emulator/tasks?userId=fe_lead`);
  test.skip(probe.status === 404, "the emulator has no approval engine yet");
  const workbench = await new WorkbenchPage(page).open();
  await workbench.approver.selectOption("rd_head");
  await expect(workbench.tasks).not.toContainText("不可用");
});
