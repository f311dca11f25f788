// The inbox: tabs with the 待处理 badge, search and filters, the list with endless scroll, pull to refresh.
import type { Locator, Page } from "@playwright/test";

export type InboxTab = "todo" | "done" | "mine" | "cc";

export class InboxPage {
  readonly userName: Locator;
  readonly todoBadge: Locator;
  readonly search: Locator;
  readonly filterToggle: Locator;
  readonly filterStatus: Locator;
  readonly filterTemplate: Locator;
  readonly filterFrom: Locator;
  readonly filterTo: Locator;
  readonly filterError: Locator;
  readonly list: Locator;
  readonly items: Locator;
  readonly empty: Locator;
  readonly end: Locator;
  readonly refresh: Locator;
  readonly newRequest: Locator;
  readonly detailEmpty: Locator;

  constructor(readonly page: Page) {
    this.userName = page.getByTestId("user-name");
    this.todoBadge = page.getByTestId("todo-badge");
    this.search = page.getByTestId("inbox-search");
    this.filterToggle = page.getByTestId("filter-toggle");
    this.filterStatus = page.getByTestId("filter-status");
    this.filterTemplate = page.getByTestId("filter-template");
    this.filterFrom = page.getByTestId("filter-from");
    this.filterTo = page.getByTestId("filter-to");
    this.filterError = page.getByTestId("filter-error");
    this.list = page.getByTestId("inbox-list");
    this.items = page.getByTestId("inbox-item");
    this.empty = page.getByTestId("inbox-empty");
    this.end = page.getByTestId("inbox-end");
    this.refresh = page.getByTestId("inbox-refresh");
    this.newRequest = page.getByTestId("new-request");
    this.detailEmpty = page.getByTestId("detail-empty");
  }

  async open(query = ""): Promise<this> {
    await this.page.goto(`/${query}`);
    return this;
  }

  tab(name: InboxTab): Locator {
    return this.page.getByTestId(`tab-${name}`);
  }

  /** The list's items whose text contains `text`. */
  item(text: string): Locator {
    return this.items.filter({ hasText: text });
  }

  async searchFor(text: string): Promise<void> {
    await this.search.fill(text);
    await this.search.press("Enter");
  }
}
