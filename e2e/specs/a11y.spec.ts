// Every screen, judged by axe-core against WCAG 2.1 A and AA: names, roles, labels, landmarks and the language of
// the page, on a phone and on PC, in Chinese and in English. The parts hidden by default are opened first (a sheet,
// the filters, a form's errors), so they are judged too. The English screens are saved as screenshots.
import { expect, test } from "@playwright/test";
import { DetailPage } from "../pages/detail-page";
import { HomePage } from "../pages/home-page";
import { InboxPage } from "../pages/inbox-page";
import { NewRequestPage, TemplatesPage } from "../pages/new-request-page";
import { expectAccessible } from "../support/a11y";
import { openContainer } from "../support/containers";
import { instanceOf, submitRequest } from "../support/shenpi";

const GENERAL = "PROC-EMU-GENERAL";
const TEMPLATES = ["PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", "PROC-EMU-PURCHASE", GENERAL];

async function submitGeneral(subject: string): Promise<{ requestId: string; instanceId: string }> {
  const request = await submitRequest("zhangsan", GENERAL, {
    "TextField-NPVG29PY": { type: "text", value: subject },
    "TextareaField-3T6NCAZ7": { type: "text", value: `${subject}：请审批。` },
  });
  return { requestId: request.id, instanceId: await instanceOf("zhangsan", request.id) };
}

for (const platform of ["ios", "pc"] as const) {
  test.describe(`${platform} container`, () => {
    test("the inbox, with its filters open and on every tab", async ({ browser }) => {
      await submitGeneral("无障碍检查：收件箱");
      const container = await openContainer(browser, { platform, userId: "fe_lead" });
      const inbox = await new InboxPage(container.page).open();
      await expect(inbox.items.first()).toBeVisible();
      await expectAccessible(container.page, `${platform}-inbox-todo`);
      await inbox.filterToggle.click();
      await expect(inbox.filterStatus).toBeVisible();
      await expectAccessible(container.page, `${platform}-inbox-filters`);
      for (const tab of ["done", "mine", "cc"] as const) {
        await inbox.tab(tab).click();
        await expect(inbox.tab(tab)).toHaveAttribute("aria-selected", "true");
        await expect(inbox.list).toHaveAttribute("data-fresh", "true");
        await expectAccessible(container.page, `${platform}-inbox-${tab}`);
      }
      await container.context.close();
    });

    test("the templates and each template's form, with its errors shown", async ({ browser }) => {
      const container = await openContainer(browser, { platform, userId: "zhangsan" });
      const templates = await new TemplatesPage(container.page).open();
      await expect(templates.template(GENERAL)).toBeVisible();
      await expectAccessible(container.page, `${platform}-templates`);
      for (const processCode of TEMPLATES) {
        const form = await new NewRequestPage(container.page).open(processCode);
        await expect(form.route.locator("li").first()).toBeVisible();
        await expectAccessible(container.page, `${platform}-form-${processCode}`);
        await form.submit.click();
        await expect(container.page.locator(".field-error").first()).toBeVisible();
        await expectAccessible(container.page, `${platform}-form-${processCode}-errors`);
      }
      await container.context.close();
    });

    test("the detail with its action bar and remark sheet, and my request's page", async ({ browser }) => {
      const { requestId, instanceId } = await submitGeneral("无障碍检查：详情");
      const approver = await openContainer(browser, { platform, userId: "fe_lead" });
      const detail = await new DetailPage(approver.page).open(instanceId);
      await expect(detail.actionBar).toBeVisible();
      await expectAccessible(approver.page, `${platform}-detail`);
      await detail.action("refuse").click();
      await expect(detail.sheet).toBeVisible();
      await expectAccessible(approver.page, `${platform}-remark-sheet`);
      await approver.context.close();

      const originator = await openContainer(browser, { platform, userId: "zhangsan" });
      await originator.page.goto(`/requests/${encodeURIComponent(requestId)}`);
      await expect(originator.page.getByTestId("request-copy")).toBeVisible();
      await expectAccessible(originator.page, `${platform}-request`);
      await originator.context.close();
    });
  });
}

test("in a plain browser, in Chinese and in English: the notice to open shenpi in DingTalk", async ({ browser }) => {
  for (const locale of ["zh-CN", "en-US"]) {
    const context = await browser.newContext({ locale });
    const home = await new HomePage(await context.newPage()).open();
    await expect(home.notInDingTalk).toBeVisible();
    await expectAccessible(home.page, `browser-notice-${locale}`);
    await context.close();
  }
});

test("in English in DingTalk: the inbox, a form and the detail, on a phone and on PC", async ({ browser }) => {
  const { instanceId } = await submitGeneral("无障碍检查：英文");
  for (const platform of ["ios", "pc"] as const) {
    const container = await openContainer(browser, { platform, userId: "fe_lead", locale: "en-US" });
    const page = container.page;
    const inbox = await new InboxPage(page).open();
    await expect(inbox.tab("todo")).toContainText("To do");
    await expect(inbox.items.first()).toBeVisible();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expectAccessible(page, `${platform}-en-inbox`);
    await page.screenshot({ path: test.info().outputPath(`${platform}-en-inbox.png`) });

    const form = await new NewRequestPage(page).open("PROC-EMU-LEAVE");
    await expect(form.submit).toHaveText("Submit");
    await form.submit.click();
    await expect(page.locator(".field-error").first()).toBeVisible();
    await expectAccessible(page, `${platform}-en-form`);
    await page.screenshot({ path: test.info().outputPath(`${platform}-en-form.png`), fullPage: true });

    const detail = await new DetailPage(page).open(instanceId);
    await expect(detail.actionBar).toBeVisible();
    await expectAccessible(page, `${platform}-en-detail`);
    await page.screenshot({ path: test.info().outputPath(`${platform}-en-detail.png`) });
    await container.context.close();
  }
});
