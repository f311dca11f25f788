//! The browser's people and department pickers: a sheet that searches people by name or browses the department
//! tree, single or multiple, with people that may not be picked greyed out. Their data comes through
//! [`Directory`], which the app answers from `/api` and a test from a list of its own.

use std::future::Future;

use api_types::{Contact, DepartmentNode};
use leptos::prelude::*;

use super::overlay::{present, sheet};
use crate::api::Api;
use crate::errors::Failure;
use crate::i18n::Lang;
use crate::jsapi::{PickedDepartment, PickedUser};
use crate::platform::PeoplePick;
use crate::session::current_lang;

/// Where the pickers get the organisation from.
pub trait Directory: Clone + 'static {
    /// People whose name matches `q`.
    fn search(&self, q: &str) -> impl Future<Output = Result<Vec<Contact>, Failure>>;
    /// The members of department `dept` (and of its sub-departments).
    fn members(&self, dept: i64) -> impl Future<Output = Result<Vec<Contact>, Failure>>;
    /// The sub-departments of `parent`, or the root's.
    fn departments(&self, parent: Option<i64>) -> impl Future<Output = Result<Vec<DepartmentNode>, Failure>>;
}

impl Directory for Api {
    async fn search(&self, q: &str) -> Result<Vec<Contact>, Failure> {
        self.contacts(Some(q), None, None).await.map(|page| page.items)
    }

    async fn members(&self, dept: i64) -> Result<Vec<Contact>, Failure> {
        self.contacts(None, Some(dept), None).await.map(|page| page.items)
    }

    async fn departments(&self, parent: Option<i64>) -> Result<Vec<DepartmentNode>, Failure> {
        Api::departments(self, parent).await
    }
}

/// The departments browsed into, root first; empty at the root.
type Trail = RwSignal<Vec<(i64, String)>>;

/// The breadcrumb above the lists: 通讯录 / 研发部 / 前端组, each a button back to that level.
fn breadcrumb(lang: Lang, trail: Trail) -> impl IntoView {
    let crumbs = move || {
        trail
            .get()
            .into_iter()
            .enumerate()
            .map(|(depth, (_, name))| {
                view! {
                    <span aria-hidden="true">" / "</span>
                    <button
                        type="button"
                        class="picker-crumb"
                        data-testid="picker-crumb"
                        on:click=move |_| trail.update(|t| t.truncate(depth + 1))
                    >
                        {name}
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <nav class="picker-trail" aria-label=lang.pick("部门路径", "Department path")>
            <button
                type="button"
                class="picker-crumb"
                data-testid="picker-crumb-root"
                on:click=move |_| trail.set(Vec::new())
            >
                {lang.pick("通讯录", "Contacts")}
            </button>
            {crumbs}
        </nav>
    }
}

/// A failure or an empty list as one muted line.
fn note(text: &'static str) -> AnyView {
    view! { <p class="picker-note muted" data-testid="picker-note" role="status">{text}</p> }.into_any()
}

/// A department row that browses into it.
fn department_row(lang: Lang, trail: Trail, dept: &DepartmentNode) -> impl IntoView + use<> {
    let (id, name) = (dept.dept_id, dept.name.clone());
    let count = dept.member_count;
    let label = format!("{name}（{count}）");
    let aria_label = format!("{} {label}", lang.pick("打开", "Open"));
    view! {
        <li class="cell picker-dept">
            <button
                type="button"
                class="picker-open"
                data-testid="picker-dept"
                data-dept-id=id.to_string()
                aria-label=aria_label
                on:click=move |_| trail.update(|t| t.push((id, name.clone())))
            >
                {label}
                <span class="picker-chevron" aria-hidden="true">"›"</span>
            </button>
        </li>
    }
}

/// The people sheet of [`pick_people_from`].
fn people_sheet<D: Directory>(
    directory: D,
    pick: PeoplePick,
    answer: super::overlay::Answer<Vec<PickedUser>>,
) -> impl IntoView {
    let lang = current_lang();
    let query = RwSignal::new(String::new());
    let trail: Trail = RwSignal::new(Vec::new());
    let chosen = RwSignal::new(
        pick.picked.iter().map(|id| PickedUser { user_id: id.clone(), name: String::new() }).collect::<Vec<_>>(),
    );
    let (multiple, max, disabled) = (pick.multiple, pick.max, StoredValue::new(pick.disabled));
    let browsing = move || query.with(|q| q.trim().is_empty());
    let dir = directory.clone();
    let departments = LocalResource::new(move || {
        let (dir, parent, browsing) = (dir.clone(), trail.with(|t| t.last().map(|d| d.0)), browsing());
        async move { if browsing { dir.departments(parent).await } else { Ok(Vec::new()) } }
    });
    let people = LocalResource::new(move || {
        let (dir, q, dept) = (directory.clone(), query.get(), trail.with(|t| t.last().map(|d| d.0)));
        async move {
            match (q.trim(), dept) {
                ("", Some(dept)) => dir.members(dept).await,
                ("", None) => Ok(Vec::new()),
                (q, _) => dir.search(q).await,
            }
        }
    });
    let toggle = move |person: PickedUser| {
        chosen.update(|c| {
            if let Some(at) = c.iter().position(|p| p.user_id == person.user_id) {
                c.remove(at);
            } else if !multiple {
                *c = vec![person];
            } else if max.is_none_or(|max| (c.len() as u32) < max) {
                c.push(person);
            }
        })
    };
    let person_row = move |contact: Contact| {
        let is_disabled = disabled.with_value(|d| d.contains(&contact.user_id));
        let person = PickedUser { user_id: contact.user_id.clone(), name: contact.name.clone() };
        let id = contact.user_id.clone();
        let checked = move || chosen.with(|c| c.iter().any(|p| p.user_id == id));
        view! {
            <li class="cell picker-person" class:disabled=is_disabled>
                <label class="picker-choice" data-testid="picker-person" data-user-id=contact.user_id.clone()>
                    <input
                        type=if multiple { "checkbox" } else { "radio" }
                        name="picker-people"
                        disabled=is_disabled
                        prop:checked=checked
                        on:change=move |_| toggle(person.clone())
                    />
                    <span class="cell-main">
                        <span class="cell-title">{contact.name}</span>
                        <span class="cell-brief">{contact.departments.join(" · ")}</span>
                    </span>
                </label>
            </li>
        }
    };
    let lists = move || {
        let depts =
            departments.get().map(|r| r.map(|d| d.iter().map(|d| department_row(lang, trail, d)).collect_view()));
        let folks = people.get().map(|r| r.map(|p| p.into_iter().map(person_row).collect_view()));
        match (depts, folks) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => note(e.describe(lang).0),
            (Some(Ok(depts)), Some(Ok(folks))) => view! {
                <ul class="cells picker-list" data-testid="picker-list">{depts}{folks}</ul>
            }
            .into_any(),
            _ => note(lang.pick("加载中…", "Loading…")),
        }
    };
    let limit = move || {
        let full = max.is_some_and(|max| chosen.with(|c| c.len() as u32 >= max));
        (multiple && full).then(|| note(lang.pick("已达到可选人数上限", "That is as many as you can pick")))
    };
    let body = view! {
        <input
            type="search"
            class="picker-search"
            data-testid="picker-search"
            data-autofocus
            aria-label=lang.pick("搜索姓名", "Search by name")
            placeholder=lang.pick("搜索姓名", "Search by name")
            on:input=move |ev| query.set(event_target_value(&ev))
        />
        {move || browsing().then(|| breadcrumb(lang, trail))}
        <p class="picker-count muted" data-testid="picker-count" aria-live="polite">
            {move || format!("{} {}", lang.pick("已选", "Picked"), chosen.with(Vec::len))}
        </p>
        {limit}
        <Transition fallback=move || note(lang.pick("加载中…", "Loading…"))>{lists}</Transition>
    };
    let can_confirm = Signal::derive(move || chosen.with(|c| !c.is_empty()));
    let title = if pick.title.is_empty() { lang.pick("选择人员", "Pick people").to_owned() } else { pick.title };
    sheet(answer, lang, title, "people-picker", can_confirm, move || answer.give(chosen.get_untracked()), body)
}

/// The app's people picker over `directory`: `None` when cancelled. People picked before (`pick.picked`) come back
/// with an empty name unless they were seen in the sheet; the caller knows their names.
pub async fn pick_people_from<D: Directory>(directory: D, pick: PeoplePick) -> Option<Vec<PickedUser>> {
    present(move |answer| people_sheet(directory, pick, answer)).await
}

/// The app's department picker over `directory`: tick departments, open one to see its sub-departments. `None`
/// when cancelled; departments picked before come back with an empty name unless they were seen.
pub async fn pick_departments_from<D: Directory>(
    directory: D,
    title: String,
    multiple: bool,
    picked: Vec<i64>,
) -> Option<Vec<PickedDepartment>> {
    let lang = current_lang();
    present(move |answer| {
        let trail: Trail = RwSignal::new(Vec::new());
        let chosen = RwSignal::new(
            picked.into_iter().map(|id| PickedDepartment { id, name: String::new() }).collect::<Vec<_>>(),
        );
        let departments = LocalResource::new(move || {
            let (dir, parent) = (directory.clone(), trail.with(|t| t.last().map(|d| d.0)));
            async move { dir.departments(parent).await }
        });
        let toggle = move |dept: PickedDepartment| {
            chosen.update(|c| {
                if let Some(at) = c.iter().position(|d| d.id == dept.id) {
                    c.remove(at);
                } else if multiple {
                    c.push(dept);
                } else {
                    *c = vec![dept];
                }
            })
        };
        let row = move |node: DepartmentNode| {
            let dept = PickedDepartment { id: node.dept_id, name: node.name.clone() };
            let id = node.dept_id;
            let checked = move || chosen.with(|c| c.iter().any(|d| d.id == id));
            let open = node.has_children.then(|| {
                let name = node.name.clone();
                view! {
                    <button
                        type="button"
                        class="picker-open"
                        data-testid="picker-dept-open"
                        aria-label=format!("{} {}", lang.pick("下级部门", "Sub-departments of"), node.name)
                        on:click=move |_| trail.update(|t| t.push((id, name.clone())))
                    >
                        {lang.pick("下级", "Open")}
                        <span class="picker-chevron" aria-hidden="true">"›"</span>
                    </button>
                }
            });
            view! {
                <li class="cell picker-dept">
                    <label class="picker-choice" data-testid="picker-dept" data-dept-id=id.to_string()>
                        <input
                            type=if multiple { "checkbox" } else { "radio" }
                            name="picker-departments"
                            prop:checked=checked
                            on:change=move |_| toggle(dept.clone())
                        />
                        <span class="cell-main">
                            <span class="cell-title">{node.name}</span>
                            <span class="cell-brief">{format!("{} {}", node.member_count, lang.pick("人", "people"))}</span>
                        </span>
                    </label>
                    {open}
                </li>
            }
        };
        let list = move || {
            departments.get().map(|r| match r {
                Ok(nodes) if nodes.is_empty() => note(lang.pick("没有下级部门", "No sub-departments")),
                Ok(nodes) => view! {
                    <ul class="cells picker-list" data-testid="picker-list">{nodes.into_iter().map(row).collect_view()}</ul>
                }
                .into_any(),
                Err(e) => note(e.describe(lang).0),
            })
        };
        let body = view! {
            {breadcrumb(lang, trail)}
            <Transition fallback=move || note(lang.pick("加载中…", "Loading…"))>{list}</Transition>
        };
        let can_confirm = Signal::derive(move || chosen.with(|c| !c.is_empty()));
        let title = if title.is_empty() { lang.pick("选择部门", "Pick departments").to_owned() } else { title };
        sheet(answer, lang, title, "department-picker", can_confirm, move || answer.give(chosen.get_untracked()), body)
    })
    .await
}
