// The native dialogs a simulated DingTalk container draws over the page (emulator assets/container/core.js). They
// live in an open shadow root, which Playwright's test-id locators pierce.
import type { Locator, Page } from "@playwright/test";

export class ContainerDialogs {
  readonly toast: Locator;
  readonly alert: Locator;
  readonly alertButton: Locator;
  readonly confirm: Locator;
  readonly preloader: Locator;
  readonly datepicker: Locator;
  readonly dateInput: Locator;
  readonly dateOk: Locator;
  readonly dateCancel: Locator;
  readonly chosen: Locator;
  readonly picker: Locator;
  readonly pickerOk: Locator;
  readonly upload: Locator;
  readonly uploadInput: Locator;
  readonly uploadOk: Locator;

  constructor(readonly page: Page) {
    this.toast = page.getByTestId("dd-toast");
    this.alert = page.getByTestId("dd-alert");
    this.alertButton = page.getByTestId("dd-alert-button");
    this.confirm = page.getByTestId("dd-confirm");
    this.preloader = page.getByTestId("dd-preloader");
    this.datepicker = page.getByTestId("dd-datepicker");
    this.dateInput = page.getByTestId("dd-datepicker-input");
    this.dateOk = page.getByTestId("dd-datepicker-ok");
    this.dateCancel = page.getByTestId("dd-datepicker-cancel");
    this.chosen = page.getByTestId("dd-chosen");
    this.picker = page.getByTestId("dd-complex-picker");
    this.pickerOk = page.getByTestId("dd-picker-ok");
    this.upload = page.getByTestId("dd-upload");
    this.uploadInput = page.getByTestId("dd-upload-input");
    this.uploadOk = page.getByTestId("dd-upload-ok");
  }

  confirmButton(index: number): Locator {
    return this.page.getByTestId(`dd-confirm-button-${index}`);
  }

  chosenOption(index: number): Locator {
    return this.page.getByTestId(`dd-chosen-option-${index}`);
  }

  pickerUser(userId: string): Locator {
    return this.page.getByTestId(`dd-picker-user-${userId}`);
  }
}
