//! The browser fallbacks' dialogs and sheets, mounted on demand: one overlay per question, its answer through a
//! oneshot channel, Escape and the mask as cancel, focus moved into the overlay and given back afterwards.

use std::cell::Cell;

use futures_channel::oneshot;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::i18n::Lang;

/// How an overlay answers its question: once, with `Some(value)`, or `None` for a cancel. It is `Copy`, so every
/// button of the overlay can hold it; answers after the first are ignored.
pub struct Answer<T: 'static>(StoredValue<Option<oneshot::Sender<Option<T>>>, LocalStorage>);

impl<T> Clone for Answer<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Answer<T> {}

impl<T> Answer<T> {
    /// Answers with `value` and closes the overlay.
    pub fn give(self, value: T) {
        self.send(Some(value));
    }

    /// Closes the overlay as cancelled.
    pub fn cancel(self) {
        self.send(None);
    }

    fn send(self, value: Option<T>) {
        if let Some(sender) = self.0.try_update_value(Option::take).flatten() {
            let _ = sender.send(value);
        }
    }
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// A document-unique id for an overlay's title (overlays can stack: a confirm over a sheet).
pub fn unique_id(prefix: &str) -> String {
    let n = NEXT_ID.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    format!("{prefix}-{n}")
}

/// Mounts what `build` returns at the end of `<body>`, waits for its [`Answer`], then removes it and gives focus
/// back to the element that had it. Escape anywhere inside cancels. Focus goes to the element marked
/// `data-autofocus`, else to the first button.
pub async fn present<T: 'static, V: IntoView + 'static>(build: impl FnOnce(Answer<T>) -> V + 'static) -> Option<T> {
    let document = web_sys::window()?.document()?;
    let host: web_sys::HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
    host.set_class_name("overlay");
    document.body()?.append_child(&host).ok()?;
    let previous = document.active_element();
    let (sender, receiver) = oneshot::channel();
    let handle = leptos::mount::mount_to(host.clone(), move || {
        let answer = Answer(StoredValue::new_local(Some(sender)));
        let on_key = move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Escape" {
                ev.prevent_default();
                answer.cancel();
            }
        };
        view! { <div class="overlay-root" on:keydown=on_key>{build(answer)}</div> }
    });
    focus_inside(&host);
    let value = receiver.await.ok().flatten();
    drop(handle);
    host.remove();
    if let Some(previous) = previous.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = previous.focus();
    }
    value
}

fn focus_inside(host: &web_sys::HtmlElement) {
    let target = host
        .query_selector("[data-autofocus]")
        .ok()
        .flatten()
        .or_else(|| host.query_selector("button:not([disabled])").ok().flatten());
    if let Some(target) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = target.focus();
    }
}

/// A bottom sheet (a centred card on wide screens) in DingTalk's picker layout: 取消 on the left, the title, 确定 on
/// the right; the mask cancels. `confirm` runs on 确定, which is disabled while `can_confirm` is false.
pub fn sheet<T: 'static>(
    answer: Answer<T>,
    lang: Lang,
    title: String,
    test_id: &'static str,
    can_confirm: Signal<bool>,
    confirm: impl Fn() + 'static,
    body: impl IntoView,
) -> impl IntoView {
    let title_id = unique_id("sheet-title");
    let labelled_by = title_id.clone();
    view! {
        <div class="sheet-mask" data-testid="sheet-mask" on:click=move |_| answer.cancel()></div>
        <div class="sheet" role="dialog" aria-modal="true" aria-labelledby=labelled_by data-testid=test_id>
            <div class="sheet-header">
                <button type="button" class="sheet-cancel" data-testid="sheet-cancel" on:click=move |_| answer.cancel()>
                    {lang.pick("取消", "Cancel")}
                </button>
                <h2 class="sheet-title" id=title_id>{title}</h2>
                <button
                    type="button"
                    class="sheet-confirm"
                    data-testid="sheet-confirm"
                    disabled=move || !can_confirm.get()
                    on:click=move |_| confirm()
                >
                    {lang.pick("确定", "OK")}
                </button>
            </div>
            {body}
        </div>
    }
}
