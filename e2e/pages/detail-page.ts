// The detail of one approval (/instances/:id): header, form, timeline, the action bar and its remark sheet.
import type { Locator, Page } from "@playwright/test";

export type ActionName = "approve" | "refuse" | "transfer" | "revoke" | "comment";

export class DetailPage {
  readonly detail: Locator;
  readonly title: Locator;
  readonly status: Locator;
  readonly number: Locator;
  readonly fields: Locator;
  readonly timeline: Locator;
  readonly entries: Locator;
  readonly waiting: Locator;
  readonly actionBar: Locator;
  readonly notFound: Locator;
  readonly sheet: Locator;
  readonly remark: Locator;
  readonly submit: Locator;
  readonly cancel: Locator;
  readonly sheetError: Locator;
  readonly target: Locator;
  readonly targetName: Locator;

  constructor(readonly page: Page) {
    this.detail = page.getByTestId("instance-detail");
    this.title = page.getByTestId("detail-title");
    this.status = page.getByTestId("detail-status");
    this.number = page.getByTestId("detail-number");
    this.fields = page.getByTestId("detail-field");
    this.timeline = page.getByTestId("timeline");
    this.entries = page.getByTestId("timeline-entry");
    this.waiting = page.getByTestId("timeline-waiting");
    this.actionBar = page.getByTestId("action-bar");
    this.notFound = page.getByTestId("detail-not-found");
    this.sheet = page.getByTestId("remark-sheet");
    this.remark = page.getByTestId("sheet-remark");
    this.submit = page.getByTestId("sheet-submit");
    this.cancel = page.getByTestId("sheet-cancel");
    this.sheetError = page.getByTestId("sheet-error");
    this.target = page.getByTestId("sheet-target");
    this.targetName = page.getByTestId("sheet-target-name");
  }

  async open(instanceId: string): Promise<this> {
    await this.page.goto(`/instances/${encodeURIComponent(instanceId)}`);
    await this.detail.waitFor();
    return this;
  }

  action(name: ActionName): Locator {
    return this.page.getByTestId(`action-${name}`);
  }

  /** The timeline entries of one kind (`started`, `executed`, `transferred`, `commented`, `revoked`, ...). */
  entriesOf(kind: string): Locator {
    return this.page.locator(`[data-testid="timeline-entry"][data-kind="${kind}"]`);
  }

  /** Opens the sheet of `name`, types `remark` and submits it. */
  async act(name: ActionName, remark: string): Promise<void> {
    await this.action(name).click();
    await this.sheet.waitFor();
    await this.remark.fill(remark);
    await this.submit.click();
  }
}
