//! One of my own requests (`/requests/:id`), live: while shenpi is still handing it to DingTalk the page asks
//! again every two seconds; once DingTalk has the instance it shows the instance's detail; when it failed, why,
//! with a way to edit and send it again.

use api_types::{ApiError, RequestState, SubmittedRequest};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::instance::InstanceScreen;
use crate::components::{LoadFailed, Notice};
use crate::errors::Failure;
use crate::i18n::Lang;
use crate::platform;
use crate::routes::Page;
use crate::session::SessionContext;

/// How often a request on its way to DingTalk is read again.
const POLL_MS: u64 = 2000;

/// Whether the request is still on its way to DingTalk (so the page keeps asking).
fn on_its_way(request: &SubmittedRequest) -> bool {
    request.instance_id.is_none() && matches!(request.state, RequestState::Queued | RequestState::Submitted)
}

/// The link that opens the form again with this request's values: 重新编辑 after a failure, 复制 otherwise.
fn copy_link(request: &SubmittedRequest) -> Option<String> {
    let process_code = request.process_code.clone()?;
    Some(Page::NewRequest { process_code, draft: None, copy: Some(request.id.clone()) }.path())
}

/// The page at `/requests/:id`.
#[component]
pub fn Request() -> impl IntoView {
    let ctx = SessionContext::expect();
    let lang = ctx.lang;
    let api = ctx.api();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let request = LocalResource::new(move || {
        let api = api.clone();
        let id = id();
        async move { api.request(&id).await }
    });

    // Poll while the request is on its way; the interval goes when the page does.
    let polling = Signal::derive(move || matches!(request.get(), Some(Ok(r)) if on_its_way(&r)));
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if polling.get_untracked() {
                request.refetch();
            }
        },
        std::time::Duration::from_millis(POLL_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    Effect::new(move |_| {
        if matches!(request.get(), Some(Ok(r)) if r.instance_id.is_none()) {
            platform::set_title(lang.pick("我的申请", "My request"));
        }
    });

    let fallback =
        move || view! { <p class="pending" data-testid="request-pending">{lang.pick("加载中…", "Loading…")}</p> };
    view! {
        <Transition fallback=fallback>
            {move || {
                request
                    .get()
                    .map(|result| match result {
                        Ok(r) => view! { <RequestView request=r lang=lang /> }.into_any(),
                        Err(e) => {
                            leptos::logging::warn!("request failed to load: {e}");
                            let (title, advice) = e.describe(lang);
                            view! { <LoadFailed title=title detail=advice test_id="request-load-failed" on_retry=move |()| request.refetch() lang=lang /> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// The request as it stands: on its way, failed, or (with the instance's detail) in DingTalk.
#[component]
fn RequestView(request: SubmittedRequest, lang: Lang) -> impl IntoView {
    let link = copy_link(&request);
    if let Some(instance_id) = request.instance_id.clone() {
        let copy = link.map(|href| {
            view! {
                <p class="request-links">
                    <a href=href data-testid="request-copy">{lang.pick("复制", "Copy")}</a>
                </p>
            }
        });
        return view! {
            <InstanceScreen id=instance_id />
            {copy}
        }
        .into_any();
    }
    let name = request.template_name.clone().unwrap_or_default();
    match (&request.state, &request.failure) {
        (RequestState::Failed, failure) => {
            let (title, advice) = failure
                .as_ref()
                .map(|f| Failure::Api(ApiError::new(f.code, f.message.clone())).describe(lang))
                .unwrap_or((lang.pick("提交失败", "Submission failed"), ""));
            view! {
                <Notice title=title detail=advice test_id="request-failed">
                    <p class="muted">{name}</p>
                    <div class="actions">
                        {link.map(|href| view! { <a class="button primary" href=href data-testid="request-edit">{lang.pick("重新编辑", "Edit and resend")}</a> })}
                    </div>
                </Notice>
            }
            .into_any()
        }
        _ => view! {
            <Notice
                title=lang.pick("正在提交到钉钉…", "Sending to DingTalk…")
                detail=lang.pick("提交后会自动显示审批详情，可以先离开这个页面。", "The approval appears here once DingTalk has it; you may leave this page.")
                test_id="request-on-its-way"
            >
                <p class="muted">{name}</p>
                <div class="actions">
                    {link.map(|href| view! { <a class="button" href=href data-testid="request-copy">{lang.pick("复制", "Copy")}</a> })}
                </div>
            </Notice>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(state: RequestState, instance_id: Option<&str>) -> SubmittedRequest {
        SubmittedRequest {
            id: "r1".into(),
            state,
            instance_id: instance_id.map(str::to_owned),
            failure: None,
            process_code: Some("PROC-1".into()),
            template_name: None,
            created_at: None,
            submitted: None,
        }
    }

    #[test]
    fn polling_stops_once_dingtalk_has_the_instance_or_the_request_failed() {
        assert!(on_its_way(&request(RequestState::Queued, None)));
        assert!(on_its_way(&request(RequestState::Submitted, None)));
        assert!(!on_its_way(&request(RequestState::Submitted, Some("inst-1"))));
        assert!(!on_its_way(&request(RequestState::Running, Some("inst-1"))));
        assert!(!on_its_way(&request(RequestState::Failed, None)));
    }

    #[test]
    fn edit_and_copy_reopen_the_form_with_this_requests_values() {
        assert_eq!(copy_link(&request(RequestState::Failed, None)).as_deref(), Some("/new/PROC-1?copy=r1"));
        let mut unknown_template = request(RequestState::Failed, None);
        unknown_template.process_code = None;
        assert_eq!(copy_link(&unknown_template), None);
    }
}
