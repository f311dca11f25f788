// The simulated DingTalk containers against the FULL official dingtalk-jsapi, on every platform: the library must
// detect the client, and each call an approvals app makes must come back in DingTalk's shapes, with the native
// dialogs drawn as overlays a test can click.
import { expect, test } from "@playwright/test";
import { ContainerDialogs } from "../pages/container-dialogs";
import { EMULATOR_URL, corpId, redeemAuthCode, signedConfig } from "../support/containers";
import { JsapiPage, type Platform } from "../support/jsapi-page";

/** How each platform reports a user who cancelled (iOS and Android: errorCode "-1"; the library passes it on). */
const CANCELLED = { errorCode: "-1" };

for (const platform of ["ios", "android", "pc"] as Platform[]) {
  const mobile = platform !== "pc";

  test.describe(`${platform} container`, () => {
    let jsapi: JsapiPage;
    let dialogs: ContainerDialogs;

    test.beforeEach(async ({ browser }) => {
      jsapi = await JsapiPage.open(browser, platform, "zhangsan");
      dialogs = new ContainerDialogs(jsapi.page);
    });
    test.afterEach(async () => {
      await jsapi.close();
    });

    test("the library detects the client and its version", async () => {
      const env = await jsapi.env();
      expect(env.platform).toBe(platform);
      expect(env.version).toBe("7.6.0");
      expect(env.appType).toBe("WEB");
    });

    test("requestAuthCode gives a code the emulator exchanges for the user", async () => {
      const corp = await corpId();
      const classic = await jsapi.call("runtime.permission.requestAuthCode", { corpId: corp });
      expect(classic.ok).toBe(true);
      if (!classic.ok) return;
      expect(await redeemAuthCode(classic.value.code)).toBe("zhangsan");

      const current = await jsapi.call("requestAuthCode", { corpId: corp, clientId: "dingemuappkey7a3b9c" });
      expect(current.ok).toBe(true);
      if (!current.ok) return;
      expect(current.value.code).not.toBe(classic.value.code);
      expect(await redeemAuthCode(current.value.code)).toBe("zhangsan");
      const methods = (await jsapi.calls()).map((c) => c.method);
      expect(methods).toEqual(["runtime.permission.requestAuthCode", "runtime.permission.requestAuthCodeV2"]);
    });

    test("a foreign corpId gets no code", async () => {
      const outcome = await jsapi.call("runtime.permission.requestAuthCode", { corpId: "dingsomeoneelse" });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.error.errorCode).toBe("3");
    });

    /** Runs dd.config with `config`; resolves "ready" or rejects with the error DingTalk reported. */
    const runConfig = (config: object) => jsapi.page.evaluate((config) => new Promise((resolve, reject) => {
      const dd = (window as any).dd;
      dd.config(config);
      dd.ready(() => resolve("ready"));
      // Keep what DingTalk said, whatever shape the library wraps it in (only plain data leaves the page).
      dd.error((e: any) => reject(new Error([e?.message, e?.errorMessage, e?.errorCode, JSON.stringify(e)].join(" | "))));
    }), config);

    test("dd.config with the server's signature is accepted and its parameters recorded", async () => {
      const config = await signedConfig(jsapi.page.url(), ["biz.util.openLink"]);
      expect(await runConfig(config)).toBe("ready");
      const calls = await jsapi.calls();
      const auth = calls.find((c) => c.method === (mobile ? "runtime.permission.requestJsApis" : "config"));
      expect(auth?.params).toMatchObject({ signature: config.signature, nonceStr: config.nonceStr });
      if (!mobile) expect(auth?.params.url).toBe(jsapi.page.url());
    });

    test("dd.config with a wrong signature fails with DingTalk's 52013", async () => {
      const config = { ...(await signedConfig(jsapi.page.url(), ["biz.util.openLink"])), signature: "f".repeat(40) };
      const error: any = await runConfig(config).then(() => null, (e) => e);
      expect(error, "dd.config should have failed").not.toBeNull();
      expect(String(error.message)).toContain("Code:52013");
    });

    test("setTitle titles the page", async () => {
      expect((await jsapi.call("biz.navigation.setTitle", { title: "审批详情" })).ok).toBe(true);
      await expect(jsapi.page).toHaveTitle("审批详情");
    });

    test("toast, alert and confirm are drawn and answer after their buttons", async () => {
      expect((await jsapi.call("device.notification.toast", { text: "已提交", icon: "success", duration: 5 })).ok)
        .toBe(true);
      await expect(dialogs.toast).toHaveText("已提交");

      const alerted = jsapi.call("device.notification.alert", { message: "提交成功", title: "提示", buttonName: "好的" });
      await expect(dialogs.alert).toContainText("提交成功");
      await dialogs.alertButton.click();
      expect(await alerted).toEqual({ ok: true, value: { buttonIndex: 0 } });
      await expect(dialogs.alert).toHaveCount(0);

      const confirmed = jsapi.call("device.notification.confirm", { message: "撤销？", title: "", buttonLabels: ["取消", "撤销"] });
      await expect(dialogs.confirmButton(1)).toHaveText("撤销");
      await dialogs.confirmButton(1).click();
      expect(await confirmed).toEqual({ ok: true, value: { buttonIndex: 1 } });
    });

    test("complexPicker offers the members, not people who left, and returns DingTalk's shape", async () => {
      const picked = jsapi.call("biz.contact.complexPicker", { title: "选择审批人", corpId: await corpId(),
        multiple: true, maxUsers: 10, responseUserOnly: true, permissionType: "GLOBAL" });
      await expect(dialogs.pickerUser("lisi")).toBeVisible();
      await expect(dialogs.pickerUser("former01")).toHaveCount(0);
      await dialogs.pickerUser("lisi").check();
      await dialogs.pickerUser("fin_head").check();
      await dialogs.pickerOk.click();
      const outcome = await picked;
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.value.selectedCount).toBe(2);
      expect(outcome.value.departments).toEqual([]);
      expect(outcome.value.users.map((u: any) => [u.emplId, u.name])).toEqual([["lisi", "李四"], ["fin_head", "钱财务"]]);
    });

    test("uploadAttachment registers each chosen file in the emulator", async () => {
      const uploaded = jsapi.call("biz.util.uploadAttachment", { types: ["file"], file: { spaceId: "1", max: 3 } });
      await expect(dialogs.upload).toBeVisible();
      await dialogs.uploadInput.setInputFiles({ name: "报价单.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(2048, 1) });
      await dialogs.uploadOk.click();
      const outcome = await uploaded;
      expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.value.type).toBe("file");
      expect(outcome.value.data).toHaveLength(1);
      expect(outcome.value.data[0]).toMatchObject({ fileName: "报价单.pdf", fileSize: 2048, fileType: "pdf" });
      expect(outcome.value.data[0].fileId).toBeTruthy();
      expect(outcome.value.data[0].spaceId).toBeTruthy();
    });

    test("a method the container does not know fails as DingTalk fails it", async () => {
      const outcome = await jsapi.call("biz.util.share", { type: 0, url: "https://example.com", title: "x" });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.error.errorCode).toBe("1");
      expect((await jsapi.calls()).map((c) => c.method)).toContain("biz.util.share");
    });

    test("openLink opens the link in a new page", async () => {
      const url = `${EMULATOR_URL}/_emulator/org`;
      const popup = jsapi.context.waitForEvent("page");
      expect((await jsapi.call("biz.util.openLink", { url })).ok).toBe(true);
      expect((await popup).url()).toBe(url);
      expect((await jsapi.calls()).find((c) => c.method === "biz.util.openLink")?.params.url).toBe(url);
    });

    if (mobile) {
      test("the datepicker returns the date in the requested format, and cancel is a cancel", async () => {
        const picked = jsapi.call("biz.util.datepicker", { format: "yyyy-MM-dd", value: "2024-05-06" });
        await expect(dialogs.dateInput).toHaveValue("2024-05-06");
        await dialogs.dateInput.fill("2024-06-30");
        await dialogs.dateOk.click();
        expect(await picked).toEqual({ ok: true, value: { value: "2024-06-30" } });

        const timed = jsapi.call("biz.util.datetimepicker", { format: "yyyy-MM-dd HH:mm", value: "2024-05-06 09:30" });
        await expect(dialogs.dateInput).toHaveValue("2024-05-06T09:30");
        await dialogs.dateOk.click();
        expect(await timed).toEqual({ ok: true, value: { value: "2024-05-06 09:30" } });

        const cancelled = jsapi.call("biz.util.datepicker", { format: "yyyy-MM-dd" });
        await dialogs.dateCancel.click();
        const outcome = await cancelled;
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.error).toMatchObject(CANCELLED);
      });

      test("setRight draws the nav button and each click reaches onSuccess", async () => {
        await jsapi.page.evaluate(() => {
          (window as any).clicks = 0;
          (window as any).dd.biz.navigation.setRight({ show: true, text: "发起", onSuccess: () => (window as any).clicks++ });
        });
        const right = jsapi.page.getByTestId("dd-nav-right");
        await expect(right).toHaveText("发起");
        await right.click();
        await right.click();
        await expect.poll(() => jsapi.page.evaluate(() => (window as any).clicks)).toBe(2);
      });

      test("chosen returns the picked item", async () => {
        const chosen = jsapi.call("biz.util.chosen", {
          source: [{ key: "事假", value: "personal" }, { key: "年假", value: "annual" }],
          selectedKey: "事假",
        });
        await expect(dialogs.chosenOption(0)).toHaveAttribute("aria-selected", "true");
        await dialogs.chosenOption(1).click();
        expect(await chosen).toEqual({ ok: true, value: { key: "年假", value: "annual" } });
      });
    } else {
      test("mobile-only pickers are refused by the library itself (4050)", async () => {
        const outcome = await jsapi.call("biz.util.datepicker", { format: "yyyy-MM-dd" });
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(JSON.stringify(outcome.error)).toContain("4050");
        expect((await jsapi.calls()).map((c) => c.method)).not.toContain("biz.util.datepicker");
      });
    }
  });
}
