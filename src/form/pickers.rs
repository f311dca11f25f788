//! Controls that open a picker — DingTalk's native one inside DingTalk, the app's own elsewhere, through
//! [`crate::platform`] — and show what was picked. A picker that cannot open says why on its field (`trouble`).

use api_types::form::{Attachment, DateFormat, FieldValue, range_duration};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::FormState;
use super::controls::text_of;
use crate::errors::{Failure, picker_failure_text};
use crate::platform::{self, PeoplePick, UploadKind};
use crate::session::{use_api, use_lang};

/// Runs a picker; a pick goes to `done`, a failure to `trouble`, a cancel nowhere.
fn run_picker<T: 'static, F>(trouble: RwSignal<Option<&'static str>>, pick: F, done: impl FnOnce(T) + 'static)
where
    F: Future<Output = Result<Option<T>, Failure>> + 'static,
{
    let lang = use_lang();
    trouble.set(None);
    spawn_local(async move {
        match pick.await {
            Ok(Some(picked)) => done(picked),
            Ok(None) => {}
            Err(failure) => {
                leptos::logging::warn!("picker failed: {failure}");
                trouble.set(Some(picker_failure_text(&failure, lang)));
            }
        }
    });
}

/// The button a picker opens from: what was picked, or the placeholder in grey.
fn picker_button(id: String, shown: Signal<String>, placeholder: String, open: impl Fn() + 'static) -> impl IntoView {
    let empty = move || shown.with(String::is_empty);
    view! {
        <button
            type="button"
            class="form-picker"
            class:unset=empty
            id=id.clone()
            data-testid=id
            on:click=move |_| open()
        >
            {move || if empty() { placeholder.clone() } else { shown.get() }}
        </button>
    }
}

/// A single-select field: DingTalk's option list.
#[component]
pub fn ChoicePicker(
    /// Element id and `data-testid`.
    id: String,
    /// The options.
    options: Vec<String>,
    /// Shown while nothing is picked.
    placeholder: String,
    /// The picked option.
    value: Signal<Option<FieldValue>>,
    /// Called with the pick.
    on_change: Callback<Option<FieldValue>>,
    /// Where a failure to open goes.
    trouble: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let shown = Signal::derive(move || text_of(&value.get()));
    let open = move || {
        let options = options.clone();
        let selected = shown.get_untracked();
        let pick = async move {
            platform::choose(&options, Some(&selected).filter(|s| !s.is_empty()).map(|s| s.as_str())).await
        };
        run_picker(trouble, pick, move |choice| on_change.run(Some(FieldValue::Choice(choice))));
    };
    picker_button(id, shown, placeholder, open)
}

/// A multi-select field: the options as checkboxes on the page.
#[component]
pub fn MultiChoice(
    /// Element id prefix and `data-testid`.
    id: String,
    /// The options.
    options: Vec<String>,
    /// The picked options.
    value: Signal<Option<FieldValue>>,
    /// Called with the picks, in the options' order.
    on_change: Callback<Option<FieldValue>>,
) -> impl IntoView {
    let picked = move || match value.get() {
        Some(FieldValue::Choices(c)) => c,
        _ => Vec::new(),
    };
    let all = options.clone();
    let toggle = move |option: String| {
        let now = picked();
        let next: Vec<String> = all.iter().filter(|o| (**o == option) != now.contains(o)).cloned().collect();
        on_change.run(Some(FieldValue::Choices(next)));
    };
    view! {
        <div class="form-checks" role="group" id=id.clone() data-testid=id.clone()>
            {options
                .into_iter()
                .enumerate()
                .map(|(i, option)| {
                    let checked = {
                        let option = option.clone();
                        move || picked().contains(&option)
                    };
                    let toggle = toggle.clone();
                    let mine = option.clone();
                    view! {
                        <label class="form-check">
                            <input
                                type="checkbox"
                                data-testid=format!("{id}-{i}")
                                prop:checked=checked
                                on:change=move |_| toggle(mine.clone())
                            />
                            {option}
                        </label>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// A date field: DingTalk's date picker (with the time for a date-time field).
#[component]
pub fn DatePicker(
    /// Element id and `data-testid`.
    id: String,
    /// How the date is written.
    format: DateFormat,
    /// Shown while empty.
    placeholder: String,
    /// The date.
    value: Signal<Option<FieldValue>>,
    /// Called with the pick.
    on_change: Callback<Option<FieldValue>>,
    /// Where a failure to open goes.
    trouble: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let shown = Signal::derive(move || text_of(&value.get()));
    let open = move || {
        let current = shown.get_untracked();
        let pick = async move {
            platform::pick_date(
                Some(&current).filter(|c| !c.is_empty()).map(|c| c.as_str()),
                format == DateFormat::DateTime,
            )
            .await
        };
        run_picker(trouble, pick, move |date| on_change.run(Some(FieldValue::Date(date))));
    };
    picker_button(id, shown, placeholder, open)
}

/// A date range field: a start and an end picker, and the duration between them.
#[component]
pub fn DateRangePicker(
    /// Element id prefix and `data-testid` prefix (`-start`, `-end`, `-duration`).
    id: String,
    /// How both ends are written.
    format: DateFormat,
    /// The start's and the end's labels.
    labels: [String; 2],
    /// The duration's unit.
    unit: Option<String>,
    /// Whether to show the duration.
    duration: bool,
    /// The duration's label.
    duration_label: Option<String>,
    /// The range.
    value: Signal<Option<FieldValue>>,
    /// Called with the range.
    on_change: Callback<Option<FieldValue>>,
    /// Where a failure to open goes.
    trouble: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let lang = use_lang();
    let ends = Signal::derive(move || match value.get() {
        Some(FieldValue::DateRange { start, end }) => (start, end),
        _ => (String::new(), String::new()),
    });
    let end_picker = |which: usize, placeholder: String| {
        let shown = Signal::derive(move || ends.with(|(s, e)| if which == 0 { s.clone() } else { e.clone() }));
        let open = move || {
            let current = shown.get_untracked();
            let pick = async move {
                platform::pick_date(
                    Some(&current).filter(|c| !c.is_empty()).map(|c| c.as_str()),
                    format == DateFormat::DateTime,
                )
                .await
            };
            run_picker(trouble, pick, move |date: String| {
                let (mut start, mut end) = ends.get_untracked();
                if which == 0 {
                    start = date
                } else {
                    end = date
                }
                on_change.run(Some(FieldValue::DateRange { start, end }));
            });
        };
        let suffix = if which == 0 { "start" } else { "end" };
        picker_button(format!("{id}-{suffix}"), shown, placeholder, open)
    };
    let [start_label, end_label] = labels;
    let unit_text = unit.clone().unwrap_or_else(|| lang.pick("天", "days").to_owned());
    let days = Memo::new(move |_| {
        let (start, end) = ends.get();
        range_duration(format, unit.as_deref(), &start, &end)
    });
    let label = duration_label.unwrap_or_else(|| lang.pick("时长", "Duration").to_owned());
    let duration_id = format!("{id}-duration");
    view! {
        <div class="form-range">
            {end_picker(0, start_label)}
            <span class="form-range-to" aria-hidden="true">"~"</span>
            {end_picker(1, end_label)}
        </div>
        <Show when=move || duration && days.with(Option::is_some)>
            <p class="form-duration" data-testid=duration_id.clone()>
                {label.clone()} " " {move || days.get()} " " {unit_text.clone()}
            </p>
        </Show>
    }
}

/// Names of picked items, from the form's name book (the key itself when the name is not known yet).
fn names_of(form: FormState, keys: Vec<String>) -> String {
    form.names.with(|names| {
        keys.iter()
            .map(|k| {
                names.get(k).cloned().unwrap_or_else(|| k.split_once(':').map_or(k.clone(), |(_, id)| id.to_owned()))
            })
            .collect::<Vec<_>>()
            .join("、")
    })
}

/// A contact field: DingTalk's people picker.
#[component]
pub fn PeoplePicker(
    /// Element id and `data-testid`.
    id: String,
    /// The form, for the picked people's names.
    form: FormState,
    /// The picker's title.
    title: String,
    /// Several people, or one.
    multiple: bool,
    /// Shown while empty.
    placeholder: String,
    /// The people.
    value: Signal<Option<FieldValue>>,
    /// Called with the picks.
    on_change: Callback<Option<FieldValue>>,
    /// Where a failure to open goes.
    trouble: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let api = use_api();
    let ids = move || match value.get() {
        Some(FieldValue::People(ids)) => ids,
        _ => Vec::new(),
    };
    let shown = Signal::derive(move || names_of(form, ids().into_iter().map(|i| format!("u:{i}")).collect()));
    let open = move || {
        let pick = PeoplePick { title: title.clone(), multiple, picked: ids(), ..Default::default() };
        let api = api.clone();
        let pick = async move { platform::pick_people(&api, &pick).await };
        run_picker(trouble, pick, move |users| {
            for user in &users {
                form.name(format!("u:{}", user.user_id), user.name.clone());
            }
            on_change.run(Some(FieldValue::People(users.into_iter().map(|u| u.user_id).collect())));
        });
    };
    picker_button(id, shown, placeholder, open)
}

/// A department field: DingTalk's department picker.
#[component]
pub fn DepartmentPicker(
    /// Element id and `data-testid`.
    id: String,
    /// The form, for the picked departments' names.
    form: FormState,
    /// The picker's title.
    title: String,
    /// Several departments, or one.
    multiple: bool,
    /// Shown while empty.
    placeholder: String,
    /// The departments.
    value: Signal<Option<FieldValue>>,
    /// Called with the picks.
    on_change: Callback<Option<FieldValue>>,
    /// Where a failure to open goes.
    trouble: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let api = use_api();
    let ids = move || match value.get() {
        Some(FieldValue::Departments(ids)) => ids,
        _ => Vec::new(),
    };
    let shown = Signal::derive(move || names_of(form, ids().into_iter().map(|i| format!("d:{i}")).collect()));
    let open = move || {
        let (api, title, picked) = (api.clone(), title.clone(), ids());
        let pick = async move { platform::pick_departments(&api, &title, multiple, &picked).await };
        run_picker(trouble, pick, move |departments| {
            for department in &departments {
                form.name(format!("d:{}", department.id), department.name.clone());
            }
            on_change.run(Some(FieldValue::Departments(departments.into_iter().map(|d| d.id).collect())));
        });
    };
    picker_button(id, shown, placeholder, open)
}

/// An attachment field: DingTalk's upload into the approval space; the files are listed by name.
///
/// A photo field takes image URLs, which DingTalk's upload does not return (it files photos in the approval space
/// like any file), so it says so instead of uploading.
#[component]
pub fn Uploader(
    /// Element id and `data-testid`.
    id: String,
    /// A photo field.
    photos: bool,
    /// Shown while empty.
    placeholder: String,
    /// The files.
    value: Signal<Option<FieldValue>>,
    /// Called with the files (the new ones after those already there).
    on_change: Callback<Option<FieldValue>>,
    /// Where a failure to open goes.
    trouble: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let api = use_api();
    let lang = use_lang();
    let files = move || match value.get() {
        Some(FieldValue::Attachments(files)) => files,
        _ => Vec::new(),
    };
    let shown = Signal::derive(move || files().iter().map(|f| f.file_name.clone()).collect::<Vec<_>>().join("、"));
    let open = move || {
        if photos {
            trouble.set(Some(lang.pick("照片请在钉钉审批中上传", "Add photos in DingTalk's own approvals app")));
            return;
        }
        let api = api.clone();
        // The approval space is the caller's own; DingTalk files the upload there whatever id the page names.
        let pick = async move { platform::upload(&api, UploadKind::File, 9).await };
        run_picker(trouble, pick, move |added: Vec<Attachment>| {
            let mut all = files();
            all.extend(added);
            on_change.run(Some(FieldValue::Attachments(all)));
        });
    };
    picker_button(id, shown, placeholder, open)
}
