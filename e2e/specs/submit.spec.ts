// New requests through the UI in the iOS container: every seeded template filled in with DingTalk's native pickers
// and submitted, the request created (its DingTalk instance exists, it did not fail); errors shown before sending;
// screenshots of the templates and a form on a phone and on PC.
import { expect, type Locator, type Request, type Response, test } from "@playwright/test";
import { DetailPage } from "../pages/detail-page";
import { InboxPage } from "../pages/inbox-page";
import { NewRequestPage, TemplatesPage } from "../pages/new-request-page";
import { openContainer } from "../support/containers";
import { holdAnswers } from "../support/network";
import { instanceOf } from "../support/shenpi";

type Fill = (form: NewRequestPage) => Promise<void>;

const templates: Array<{ processCode: string; name: string; fill: Fill }> = [
  {
    processCode: "PROC-EMU-LEAVE",
    name: "请假",
    fill: async (form) => {
      await form.choose("DDSelectField-X0FJU8G8", 0);
      await form.pickDate(form.page.getByTestId("field-DDDateRangeField-D4T6XKIC-input-start"), "2026-12-01");
      await form.pickDate(form.page.getByTestId("field-DDDateRangeField-D4T6XKIC-input-end"), "2026-12-03");
      await expect(form.page.getByTestId("field-DDDateRangeField-D4T6XKIC-input-duration")).toContainText("3");
      await form.fill("NumberField-04ANID0G", "3");
      await form.fill("TextareaField-PHQUVTUS", "回老家");
      await form.pickPeople("InnerContactField-O326JJ9T", ["lisi"]);
      await expect(form.input("InnerContactField-O326JJ9T")).toHaveText("李四");
    },
  },
  {
    processCode: "PROC-EMU-EXPENSE",
    name: "报销",
    fill: async (form) => {
      await form.choose("DDSelectField-JEC47FYZ", 0);
      await form.page.getByTestId("field-TableField-73M4X92L-add").click();
      await form.choose("TableField-73M4X92L-0-DDSelectField-45YB94KB", 1);
      await form.fill("TableField-73M4X92L-0-MoneyField-E2HLCBMF", "120.5");
      await form.pickDate(form.input("TableField-73M4X92L-0-DDDateField-2TGEUV1J"), "2026-11-20");
      await expect(form.page.getByTestId("field-TableField-73M4X92L-total-MoneyField-E2HLCBMF")).toContainText(
        "壹佰贰拾元伍角",
      );
      await form.fill("MoneyField-EXPTOTAL", "120.5");
      await expect(form.page.getByTestId("field-MoneyField-EXPTOTAL-upper")).toContainText("壹佰贰拾元伍角");
      await form.fill("TextareaField-FT74EQGP", "出差打车");
    },
  },
  {
    processCode: "PROC-EMU-PURCHASE",
    name: "采购",
    fill: async (form) => {
      await form.page.getByTestId("field-DDMultiSelectField-3FIF17ZW-input-1").check();
      await form.page.getByTestId("field-TableField-JPM8TK3O-add").click();
      await form.fill("TableField-JPM8TK3O-0-TextField-TGTSFYR4", "显示器");
      await form.fill("TableField-JPM8TK3O-0-NumberField-071XRFI0", "2");
      await form.fill("TableField-JPM8TK3O-0-MoneyField-2QFGQNQ6", "999");
      await form.fill("MoneyField-UEAARHD1", "1998");
      await form.pickDate(form.input("DDDateField-OTOJI404"), "2026-12-15");
      await form.pickPeople("InnerContactField-SNPCO8M4", ["zhangsan"]);
      await form.pickDepartment("DepartmentField-SKOFC0X9", 101);
      await form.fill("TextareaField-ON9XBANT", "新人入职");
      await form.pickApprover("act_purchase_pick", "admin01");
    },
  },
  {
    processCode: "PROC-EMU-GENERAL",
    name: "通用审批",
    fill: async (form) => {
      await form.fill("TextField-NPVG29PY", "申请会议室");
      await form.fill("TextareaField-3T6NCAZ7", "周五下午团队分享");
      await form.fill("PhoneField-6M1GW2WY", "010-12345678");
    },
  },
];

for (const { processCode, name, fill } of templates) {
  test(`a ${name} request is filled in and submitted through the form`, async ({ browser }) => {
    const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
    const list = await new TemplatesPage(container.page).open();
    await list.template(processCode).click();
    const form = new NewRequestPage(container.page);
    await expect(form.form).toBeVisible();
    await expect(container.page).toHaveURL(new RegExp(`/new/${processCode}(\\?draft=[0-9a-f]{32})?$`));

    await fill(form);
    await expect(form.route.locator("li").first()).toBeVisible();
    const id = await form.submitted();
    // The request reached DingTalk: it has an instance (instanceOf throws when the request failed).
    expect(await instanceOf("zhangsan", id)).toBeTruthy();
    await container.context.close();
  });
}

test("a file added through DingTalk's upload goes with the request and shows in its detail", async ({ browser }) => {
  const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const form = await new NewRequestPage(container.page).open("PROC-EMU-GENERAL");
  await form.fill("TextField-NPVG29PY", "附件上传");
  await form.fill("TextareaField-3T6NCAZ7", "报价单见附件");
  await form.attach("DDAttachment-XORZV4UL", { name: "报价单.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(4096, 7) });
  await expect(form.input("DDAttachment-XORZV4UL")).toHaveText("报价单.pdf");
  await form.attach("DDAttachment-XORZV4UL", { name: "明细.xlsx", mimeType: "application/vnd.ms-excel", buffer: Buffer.alloc(512, 1) });
  await expect(form.input("DDAttachment-XORZV4UL")).toHaveText("报价单.pdf、明细.xlsx");
  const id = await form.submitted();
  expect(await instanceOf("zhangsan", id)).toBeTruthy();
  // The request page shows DingTalk's instance once it exists, the files among its values.
  const detail = new DetailPage(container.page);
  const files = detail.fields.filter({ hasText: "附件" }).getByTestId("detail-file");
  await expect(files).toHaveText(["报价单.pdf", "明细.xlsx"]);
  await container.context.close();
});

test("people picked to copy on the route are copied, and find the request in their 抄送我", async ({ browser }) => {
  const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const page = container.page;
  const form = await new NewRequestPage(page).open("PROC-EMU-GENERAL");
  const cc = form.route.getByTestId("route-step-act_general_cc");
  await expect(cc).toContainText("抄送人");
  await expect(cc.getByTestId("route-step-act_general_cc-pick")).toHaveText("添加抄送人");
  // Its hollow dot is the size of the approvers' dots: the steps' names line up.
  const nameLeft = (step: Locator) => step.locator(".route-name").evaluate((el) => el.getBoundingClientRect().left);
  expect(await nameLeft(cc)).toBe(await nameLeft(form.route.locator(".route-step").first()));

  // The route is asked for again half a second after typing stops. Here its answer arrives while DingTalk's picker
  // is open (as on a slow network, or a tap right after typing): the person picked must still be kept.
  const forecast = "/api/templates/PROC-EMU-GENERAL/forecast";
  const isForecast = (message: Request | Response) => new URL(message.url()).pathname === forecast;
  const release = await holdAnswers(page, forecast);
  const asked = page.waitForRequest(isForecast);
  await form.fill("TextField-NPVG29PY", "季度复盘");
  await form.fill("TextareaField-3T6NCAZ7", "请测试组知悉");
  await asked;
  await page.getByTestId("route-step-act_general_cc-pick").click();
  await expect(form.dialogs.picker).toBeVisible();
  const answered = page.waitForResponse(isForecast);
  release();
  await (await answered).finished();
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await form.dialogs.pickerUser("qa02").check();
  await form.dialogs.pickerOk.click();
  await expect(cc.getByTestId("route-step-act_general_cc-pick")).toHaveText("吴敏");
  const id = await form.submitted();
  expect(await instanceOf("zhangsan", id)).toBeTruthy();
  await container.context.close();

  // 吴敏 is copied from the start (the template's CC position): the request is in her 抄送我.
  const copied = await openContainer(browser, { platform: "ios", userId: "qa02" });
  const inbox = await new InboxPage(copied.page).open("?box=cc");
  await expect(inbox.tab("cc")).toHaveAttribute("aria-selected", "true");
  await expect(inbox.items).toHaveCount(1);
  await expect(inbox.items.first()).toContainText("张三");
  await expect(inbox.items.first()).toContainText("通用审批");
  await copied.context.close();
});

test("a picker reads as one line: its placeholder in grey where the choice will be, the same size once chosen", async ({
  browser,
}) => {
  const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const form = await new NewRequestPage(container.page).open("PROC-EMU-LEAVE");
  const picker = form.input("DDSelectField-X0FJU8G8");
  const look = () =>
    picker.evaluate((el) => {
      const style = getComputedStyle(el);
      return { align: style.textAlign, height: el.getBoundingClientRect().height, color: style.color };
    });
  await expect(picker).toHaveText("请选择");
  const unset = await look();
  await form.choose("DDSelectField-X0FJU8G8", 0);
  await expect(picker).toHaveText("年假");
  const chosen = await look();
  expect(unset.align).toBe("left");
  expect(unset.height).toBe(chosen.height);
  expect(unset.height).toBeLessThan(48);
  expect(unset.color).not.toBe(chosen.color);
  await container.context.close();
});

test("errors show on their fields before anything is sent", async ({ browser }) => {
  const container = await openContainer(browser, { platform: "ios", userId: "zhangsan" });
  const form = await new NewRequestPage(container.page).open("PROC-EMU-GENERAL");
  let posted = 0;
  container.page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/api/requests")) posted += 1;
  });

  await form.fill("PhoneField-6M1GW2WY", "12ab");
  await expect(form.error("PhoneField-6M1GW2WY")).toHaveText("请输入正确的手机号或座机号");
  await expect(form.error("TextField-NPVG29PY")).toHaveCount(0);
  await form.submit.click();

  await expect(form.error("TextField-NPVG29PY")).toHaveText("请填写此项");
  await expect(form.error("TextareaField-3T6NCAZ7")).toHaveText("请填写此项");
  await expect(form.input("TextField-NPVG29PY")).toBeFocused();
  // Only the draft id this visit is kept as joins the address; nothing was submitted.
  await expect(container.page).toHaveURL(/\/new\/PROC-EMU-GENERAL\?draft=[0-9a-f]{32}$/);
  expect(posted).toBe(0);
  await container.page.screenshot({ path: test.info().outputPath("phone-form-errors.png"), fullPage: true });
  await container.context.close();
});

for (const platform of ["ios", "pc"] as const) {
  test(`screenshots of the templates and a form on ${platform === "ios" ? "a phone" : "PC"}`, async ({ browser }) => {
    const container = await openContainer(browser, { platform, userId: "zhangsan" });
    const list = await new TemplatesPage(container.page).open();
    await expect(list.folders).toHaveCount(4);
    await expect(list.template("PROC-EMU-LEAVE")).toContainText("请假");
    await container.page.screenshot({ path: test.info().outputPath(`${platform}-templates.png`), fullPage: true });

    const form = await new NewRequestPage(container.page).open("PROC-EMU-EXPENSE");
    await form.page.getByTestId("field-TableField-73M4X92L-add").click();
    await form.fill("TableField-73M4X92L-0-MoneyField-E2HLCBMF", "6800");
    await form.fill("MoneyField-EXPTOTAL", "6800");
    // 5000 元 and more goes past the finance director: the route follows the values.
    await expect(form.page.getByTestId("route-step-act_expense_fin")).toBeVisible();
    await container.page.screenshot({ path: test.info().outputPath(`${platform}-expense-form.png`), fullPage: true });
    await container.context.close();
  });
}
