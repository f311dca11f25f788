//! The app's own UI for what DingTalk's JSAPI does natively, used in a plain browser and where the DingTalk client
//! lacks an API (PC has no datepicker, chosen or preloader): DingTalk Design dialogs and sheets from the shared CSS.
//!
//! Pages call [`crate::platform`], never this module; it is public so browser tests can drive the pickers with a
//! [`Directory`] of their own.

mod overlay;
mod pickers;

use api_types::form::Attachment;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::Api;
use crate::errors::Failure;
use crate::jsapi::{PickedDepartment, PickedUser, ToastIcon, UploadKind};
use crate::platform::PeoplePick;
use crate::session::current_lang;
use overlay::{Answer, present, sheet, unique_id};
pub use pickers::{Directory, pick_departments_from, pick_people_from};

/// A toast of the app's own: a `role="status"` line that goes after two seconds.
pub fn toast(text: &str, icon: ToastIcon) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let (Ok(toast), Some(body)) = (document.create_element("div"), document.body()) else { return };
    toast.set_class_name(match icon {
        ToastIcon::None => "toast",
        ToastIcon::Success => "toast success",
        ToastIcon::Error => "toast error",
    });
    let _ = toast.set_attribute("role", "status");
    let _ = toast.set_attribute("data-testid", "toast");
    toast.set_text_content(Some(text));
    let _ = body.append_child(&toast);
    let remove = wasm_bindgen::closure::Closure::once_into_js(move || toast.remove());
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(remove.unchecked_ref(), 2000);
    }
}

/// A centred dialog: the title (if any), the message and `buttons`; the mask and Escape cancel.
fn dialog<T: 'static>(answer: Answer<T>, title: String, message: String, buttons: impl IntoView) -> impl IntoView {
    let title_id = unique_id("dialog-title");
    let message_id = unique_id("dialog-message");
    let labelled_by = if title.is_empty() { message_id.clone() } else { title_id.clone() };
    let described_by = message_id.clone();
    view! {
        <div class="dialog-mask" data-testid="dialog-mask" on:click=move |_| answer.cancel()></div>
        <div
            class="dialog"
            role="dialog"
            aria-modal="true"
            aria-labelledby=labelled_by
            aria-describedby=described_by
            data-testid="dialog"
        >
            {(!title.is_empty()).then(|| view! { <h2 class="dialog-title" id=title_id>{title}</h2> })}
            <p class="dialog-message" id=message_id>{message}</p>
            <div class="dialog-buttons">{buttons}</div>
        </div>
    }
}

/// The dialog's answering button (focused first).
fn ok_button(answer: Answer<()>, label: String) -> impl IntoView {
    view! {
        <button
            type="button"
            class="dialog-button primary"
            data-testid="dialog-ok"
            data-autofocus
            on:click=move |_| answer.give(())
        >
            {label}
        </button>
    }
}

/// The app's own alert dialog; returns when it is dismissed.
pub async fn alert(title: &str, message: &str, button: &str) {
    let (title, message, button) = (title.to_owned(), message.to_owned(), button.to_owned());
    present(move |answer| dialog(answer, title, message, ok_button(answer, button))).await;
}

/// The app's own confirm dialog, `cancel` left and `ok` right as in DingTalk: whether `ok` was chosen.
pub async fn confirm(title: &str, message: &str, cancel: &str, ok: &str) -> bool {
    let (title, message, cancel, ok) = (title.to_owned(), message.to_owned(), cancel.to_owned(), ok.to_owned());
    present(move |answer| {
        let buttons = view! {
            <button type="button" class="dialog-button" data-testid="dialog-cancel" on:click=move |_| answer.cancel()>
                {cancel}
            </button>
            {ok_button(answer, ok)}
        };
        dialog(answer, title, message, buttons)
    })
    .await
    .is_some()
}

/// A sheet with the browser's date (or, `with_time`, date and time) input: `yyyy-MM-dd` or `yyyy-MM-dd HH:mm`, as
/// DingTalk's pickers answer.
pub async fn pick_date(current: Option<&str>, with_time: bool) -> Result<Option<String>, Failure> {
    let lang = current_lang();
    // `datetime-local` speaks `yyyy-MM-ddTHH:mm`.
    let initial = current.map(|c| if with_time { c.replacen(' ', "T", 1) } else { c.to_owned() }).unwrap_or_default();
    Ok(present::<String, _>(move |answer| {
        let value = RwSignal::new(initial);
        let confirm = move || {
            let value = value.get_untracked();
            if with_time {
                answer.give(value.replacen('T', " ", 1).chars().take(16).collect());
            } else {
                answer.give(value);
            }
        };
        let (title, kind) = if with_time {
            (lang.pick("选择日期和时间", "Pick a date and time"), "datetime-local")
        } else {
            (lang.pick("选择日期", "Pick a date"), "date")
        };
        let input = view! {
            <input
                type=kind
                class="date-input"
                data-testid="date-input"
                aria-label=title
                data-autofocus
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        };
        let can_confirm = Signal::derive(move || value.with(|v| !v.is_empty()));
        sheet(answer, lang, title.to_owned(), "date-sheet", can_confirm, confirm, input)
    })
    .await)
}

/// A sheet with one radio button per option.
pub async fn choose(options: &[String], selected: Option<&str>) -> Result<Option<String>, Failure> {
    let lang = current_lang();
    let options = options.to_vec();
    let selected = selected.map(str::to_owned);
    Ok(present::<String, _>(move |answer| {
        let selected = RwSignal::new(selected);
        let group = unique_id("choose");
        let rows = options
            .into_iter()
            .map(|option| {
                let (checked, pick) = (option.clone(), option.clone());
                view! {
                    <label class="cell choose-option" data-testid="choose-option">
                        <input
                            type="radio"
                            name=group.clone()
                            value=option.clone()
                            prop:checked=move || selected.with(|s| s.as_deref() == Some(checked.as_str()))
                            on:change=move |_| selected.set(Some(pick.clone()))
                        />
                        <span class="cell-main">{option}</span>
                    </label>
                }
            })
            .collect_view();
        let body =
            view! { <div class="cells choose-options" role="radiogroup" data-autofocus tabindex="-1">{rows}</div> };
        let confirm = move || {
            if let Some(value) = selected.get_untracked() {
                answer.give(value);
            }
        };
        let can_confirm = Signal::derive(move || selected.with(Option::is_some));
        sheet(answer, lang, lang.pick("请选择", "Choose").to_owned(), "choose-sheet", can_confirm, confirm, body)
    })
    .await)
}

/// The app's people picker over `/api/contacts`.
pub async fn pick_people(api: &Api, pick: &PeoplePick) -> Result<Option<Vec<PickedUser>>, Failure> {
    Ok(pick_people_from(api.clone(), pick.clone()).await)
}

/// The app's department picker over `/api/departments`.
pub async fn pick_departments(
    api: &Api,
    title: &str,
    multiple: bool,
    picked: &[i64],
) -> Result<Option<Vec<PickedDepartment>>, Failure> {
    Ok(pick_departments_from(api.clone(), title.to_owned(), multiple, picked.to_vec()).await)
}

/// Files chosen with the browser's file input (images only for photos), each uploaded through the server into
/// the caller's approval space. `Ok(None)` when the person closes the chooser without a file.
pub async fn upload(api: &Api, kind: UploadKind, max: u32) -> Result<Option<Vec<Attachment>>, Failure> {
    let Some(files) = choose_files(kind, max).await else { return Ok(None) };
    if files.len() > max as usize {
        return Err(Failure::TooManyFiles);
    }
    let mut uploaded = Vec::with_capacity(files.len());
    for file in files {
        uploaded.push(api.upload(&file, &file.name()).await?);
    }
    Ok(Some(uploaded))
}

/// Opens the browser's file chooser and waits for the choice (none on cancel). Called from a tap, so the browser
/// lets the input open.
async fn choose_files(kind: UploadKind, max: u32) -> Option<Vec<web_sys::File>> {
    let document = web_sys::window()?.document()?;
    let input: web_sys::HtmlInputElement = document.create_element("input").ok()?.dyn_into().ok()?;
    input.set_type("file");
    input.set_multiple(max > 1);
    if kind == UploadKind::Photo {
        input.set_accept("image/*");
    }
    let _ = input.set_attribute("data-testid", "file-input");
    let _ = input.set_attribute("hidden", "");
    document.body()?.append_child(&input).ok()?;
    let (sender, receiver) = futures_channel::oneshot::channel::<bool>();
    let sender = std::rc::Rc::new(std::cell::Cell::new(Some(sender)));
    let answer = |chosen: bool| {
        let sender = std::rc::Rc::clone(&sender);
        wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            if let Some(sender) = sender.take() {
                let _ = sender.send(chosen);
            }
        })
    };
    let (on_change, on_cancel) = (answer(true), answer(false));
    let _ = input.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    let _ = input.add_event_listener_with_callback("cancel", on_cancel.as_ref().unchecked_ref());
    input.click();
    let chosen = receiver.await.unwrap_or(false);
    input.remove();
    drop((on_change, on_cancel));
    let list = input.files().filter(|_| chosen)?;
    let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    Some(files).filter(|f| !f.is_empty())
}

/// A new tab.
pub fn open_link(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.open_with_url_and_target(url, "_blank");
    }
}
