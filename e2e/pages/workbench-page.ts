// The emulator's workbench (/_emulator/workbench): the app in a phone and a desktop frame, a user switcher, the
// approver panel and the event log.
import type { FrameLocator, Locator, Page } from "@playwright/test";
import { EMULATOR_URL } from "../support/containers";

export class WorkbenchPage {
  readonly phonePlatform: Locator;
  readonly phoneUser: Locator;
  readonly phone: FrameLocator;
  readonly pcUser: Locator;
  readonly pc: FrameLocator;
  readonly approver: Locator;
  readonly tasks: Locator;
  readonly calls: Locator;
  readonly events: Locator;

  constructor(readonly page: Page) {
    this.phonePlatform = page.getByTestId("wb-phone-platform");
    this.phoneUser = page.getByTestId("wb-phone-user");
    this.phone = page.frameLocator("[data-testid=wb-phone-frame]");
    this.pcUser = page.getByTestId("wb-pc-user");
    this.pc = page.frameLocator("[data-testid=wb-pc-frame]");
    this.approver = page.getByTestId("wb-approver");
    this.tasks = page.getByTestId("wb-tasks");
    this.calls = page.getByTestId("wb-calls");
    this.events = page.getByTestId("wb-events");
  }

  async open(query: Record<string, string> = {}): Promise<this> {
    await this.page.goto(`${EMULATOR_URL}/_emulator/workbench?${new URLSearchParams(query)}`);
    return this;
  }

  task(taskId: number): Locator {
    return this.page.getByTestId(`wb-task-${taskId}`);
  }

  agree(taskId: number): Locator {
    return this.page.getByTestId(`wb-agree-${taskId}`);
  }

  /** The greeting of the app's home page inside a frame (see home-page.ts). */
  static userName(frame: FrameLocator): Locator {
    return frame.getByTestId("user-name");
  }
}
