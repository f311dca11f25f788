// The templates page (/new) and a new request's form (/new/:processCode), driven through the container's native
// pickers (the ContainerDialogs over the page).
import { expect, type Locator, type Page } from "@playwright/test";
import { ContainerDialogs } from "./container-dialogs";

export class TemplatesPage {
  readonly list: Locator;
  readonly folders: Locator;

  constructor(readonly page: Page) {
    this.list = page.getByTestId("templates");
    this.folders = page.getByTestId("templates-folder");
  }

  async open(): Promise<this> {
    await this.page.goto("/new");
    return this;
  }

  template(processCode: string): Locator {
    return this.page.getByTestId(`template-${processCode}`);
  }
}

export class NewRequestPage {
  readonly form: Locator;
  readonly submit: Locator;
  readonly route: Locator;
  readonly failure: Locator;
  readonly dialogs: ContainerDialogs;

  constructor(readonly page: Page) {
    this.form = page.getByTestId("form");
    this.submit = page.getByTestId("submit");
    this.route = page.getByTestId("route");
    this.failure = page.getByTestId("submit-failed");
    this.dialogs = new ContainerDialogs(page);
  }

  async open(processCode: string): Promise<this> {
    await this.page.goto(`/new/${encodeURIComponent(processCode)}`);
    await expect(this.form).toBeVisible();
    return this;
  }

  field(id: string): Locator {
    return this.page.getByTestId(`field-${id}`);
  }

  input(id: string): Locator {
    return this.page.getByTestId(`field-${id}-input`);
  }

  error(id: string): Locator {
    return this.page.getByTestId(`field-${id}-error`);
  }

  /** Types into a text, number, money or phone field (a table cell's id is `<table>-<row>-<column>`). */
  async fill(id: string, value: string): Promise<void> {
    await this.input(id).fill(value);
  }

  /** Picks option `index` of a single select in DingTalk's option list. */
  async choose(id: string, index: number): Promise<void> {
    await this.input(id).click();
    await this.dialogs.chosenOption(index).click();
  }

  /** Picks a day in DingTalk's date picker; `button` is the field's input, or a date range's `-start`/`-end`. */
  async pickDate(button: Locator, date: string): Promise<void> {
    await button.click();
    await this.dialogs.dateInput.fill(date);
    await this.dialogs.dateOk.click();
    await expect(this.dialogs.datepicker).toHaveCount(0);
  }

  /** Picks people in DingTalk's contact picker. */
  async pickPeople(id: string, userIds: string[]): Promise<void> {
    await this.input(id).click();
    for (const userId of userIds) await this.dialogs.pickerUser(userId).check();
    await this.dialogs.pickerOk.click();
  }

  /** Picks a department in DingTalk's contact picker. */
  async pickDepartment(id: string, deptId: number): Promise<void> {
    await this.input(id).click();
    await this.page.getByTestId(`dd-picker-dept-${deptId}`).check();
    await this.dialogs.pickerOk.click();
  }

  /** Adds a file to an attachment field through DingTalk's upload dialog. */
  async attach(id: string, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    await this.input(id).click();
    await expect(this.dialogs.upload).toBeVisible();
    await this.dialogs.uploadInput.setInputFiles(file);
    await this.dialogs.uploadOk.click();
  }

  /** Submits the form and waits for the request's page: shenpi's request id. */
  async submitted(): Promise<string> {
    await this.submit.click();
    await expect(this.page).toHaveURL(/\/requests\/[^/]+$/);
    return decodeURIComponent(new URL(this.page.url()).pathname.split("/").pop() as string);
  }

  /** Chooses an approver for a step the originator picks for. */
  async pickApprover(activityId: string, userId: string): Promise<void> {
    await this.page.getByTestId(`route-step-${activityId}-${userId}`).click();
  }
}
