//! The templates the caller may start (`/new`), grouped by DingTalk's folder, each opening a new request.

use api_types::TemplateSummary;
use leptos::prelude::*;

use crate::components::{LoadFailed, Notice};
use crate::platform;
use crate::routes::Page;
use crate::session::{use_api, use_lang};

/// Templates in folders, in the order DingTalk lists them: `(folder, templates)`.
fn by_folder(templates: Vec<TemplateSummary>) -> Vec<(String, Vec<TemplateSummary>)> {
    let mut folders: Vec<(String, Vec<TemplateSummary>)> = Vec::new();
    for template in templates {
        match folders.iter_mut().find(|(name, _)| *name == template.dir_name) {
            Some((_, list)) => list.push(template),
            None => folders.push((template.dir_name.clone(), vec![template])),
        }
    }
    folders
}

/// The `/new` page.
#[component]
pub fn Templates() -> impl IntoView {
    let lang = use_lang();
    let api = use_api();
    platform::set_title(lang.pick("发起审批", "New request"));
    let templates = LocalResource::new(move || {
        let api = api.clone();
        async move { api.templates().await }
    });
    let list = move || {
        templates.get().map(|result| match result {
            Err(failure) => {
                let (title, detail) = failure.describe(lang);
                view! { <LoadFailed title detail test_id="templates-failed" on_retry=move |()| templates.refetch() lang /> }
                    .into_any()
            }
            Ok(list) if list.is_empty() => view! {
                <Notice
                    title=lang.pick("没有可发起的审批", "No templates")
                    detail=lang.pick("管理员还没有为你开放审批模板。", "Your administrator has not shared any template with you.")
                    test_id="templates-empty"
                />
            }
            .into_any(),
            Ok(list) => by_folder(list).into_iter().map(folder_view).collect_view().into_any(),
        })
    };
    view! {
        <section class="templates" data-testid="templates">
            <h1 class="visually-hidden">{lang.pick("发起审批", "New request")}</h1>
            <Transition fallback=move || view! { <p class="pending">{lang.pick("正在加载…", "Loading…")}</p> }>{list}</Transition>
        </section>
    }
}

/// One folder: its name and a grid of its templates.
fn folder_view((name, templates): (String, Vec<TemplateSummary>)) -> impl IntoView {
    let lang = use_lang();
    let name = if name.is_empty() { lang.pick("其他", "Other").to_owned() } else { name };
    view! {
        <section class="templates-folder" data-testid="templates-folder">
            <h2 class="templates-folder-name">{name}</h2>
            <ul class="templates-grid">
                {templates.into_iter().map(template_view).collect_view()}
            </ul>
        </section>
    }
}

/// One template: its icon (the name's first character on a coloured tile when it has none) and name.
fn template_view(template: TemplateSummary) -> impl IntoView {
    let href = Page::NewRequest { process_code: template.process_code.clone(), draft: None, copy: None }.path();
    let initial: String = template.name.chars().take(1).collect();
    // The tile's colour follows the name, so a template keeps its colour between visits.
    let hue = template.name.chars().fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(c as u32)) % 6;
    let icon = if template.icon_url.starts_with("http") || template.icon_url.starts_with('/') {
        view! { <img class="templates-icon" src=template.icon_url.clone() alt="" /> }.into_any()
    } else {
        view! { <span class=format!("templates-icon tile-{hue}") aria-hidden="true">{initial}</span> }.into_any()
    };
    view! {
        <li>
            <a class="templates-item" href=href data-testid=format!("template-{}", template.process_code)>
                {icon}
                <span class="templates-name">{template.name}</span>
            </a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(code: &str, dir: &str) -> TemplateSummary {
        TemplateSummary { process_code: code.into(), name: code.into(), icon_url: String::new(), dir_name: dir.into() }
    }

    #[test]
    fn templates_are_grouped_by_folder_in_first_seen_order() {
        let folders = by_folder(vec![template("a", "人事"), template("b", "财务"), template("c", "人事")]);
        let shape: Vec<(String, Vec<String>)> = folders
            .into_iter()
            .map(|(name, list)| (name, list.into_iter().map(|t| t.process_code).collect()))
            .collect();
        assert_eq!(shape, vec![("人事".into(), vec!["a".into(), "c".into()]), ("财务".into(), vec!["b".into()])]);
    }
}
