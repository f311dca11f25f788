// The start page: silent login, then a greeting, or a notice that says what went wrong.
import type { Locator, Page } from "@playwright/test";

export class HomePage {
  readonly userName: Locator;
  readonly loginError: Locator;
  readonly notInDingTalk: Locator;
  readonly retry: Locator;
  readonly webLogin: Locator;

  constructor(readonly page: Page) {
    this.userName = page.getByTestId("user-name");
    this.loginError = page.getByTestId("login-error");
    this.notInDingTalk = page.getByTestId("not-in-dingtalk");
    this.retry = page.getByTestId("retry");
    this.webLogin = page.getByTestId("oauth-login");
  }

  async open(): Promise<this> {
    await this.page.goto("/");
    return this;
  }
}
