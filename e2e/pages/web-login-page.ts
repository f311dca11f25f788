// DingTalk's web login page, as the emulator serves it: a list of the organisation's members to log in as.
import type { Locator, Page } from "@playwright/test";

export class WebLoginPage {
  readonly heading: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole("heading", { name: /钉钉登录/ });
  }

  userLink(userId: string): Locator {
    return this.page.getByTestId(`oauth-user-${userId}`);
  }

  async chooseUser(userId: string): Promise<void> {
    await this.userLink(userId).click();
  }
}
