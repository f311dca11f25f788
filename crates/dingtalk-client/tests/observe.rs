//! The client's call observer against the emulator: one report per request sent, named as the limiter names the
//! API, with the outcome DingTalk's answer meant.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_client::{Backoff, Call, CallObserver, DingTalk, DingTalkBuilder, Outcome, Throttle};
use dingtalk_emulator::Emulator;
use dingtalk_emulator::limits::FaultRule;

/// One observed call, owned.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    api: String,
    outcome: Outcome,
    metered: bool,
    limiter_wait: Duration,
}

/// Keeps every call it hears about.
#[derive(Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl CallObserver for Recorder {
    fn observe(&self, call: &Call<'_>) {
        let seen = Seen {
            api: call.api.to_owned(),
            outcome: call.outcome,
            metered: call.metered,
            limiter_wait: call.limiter_wait,
        };
        self.0.lock().unwrap().push(seen);
    }
}

impl Recorder {
    /// The calls so far as `(api, outcome)`.
    fn calls(&self) -> Vec<(String, Outcome)> {
        self.0.lock().unwrap().iter().map(|s| (s.api.clone(), s.outcome)).collect()
    }
}

fn builder(emu: &Emulator) -> (DingTalkBuilder, Arc<Recorder>) {
    let app = &emu.org().app;
    let recorder = Arc::new(Recorder::default());
    let dt = DingTalk::builder().app_key(&app.app_key).app_secret(&app.app_secret).base_url(emu.uri());
    (dt.observer(recorder.clone()), recorder)
}

fn call(api: &str, outcome: Outcome) -> (String, Outcome) {
    (api.to_owned(), outcome)
}

#[tokio::test]
async fn a_free_login_reports_the_token_identity_and_profile_calls_as_ok() {
    let emu = Emulator::start().await.unwrap();
    let (dt, recorder) = builder(&emu);
    let dt = dt.build().unwrap();
    let code = emu.control().auth_code("zhangsan").await.unwrap();
    let who = dt.user().by_auth_code(&code).await.unwrap();
    dt.user().get(&who.userid).await.unwrap();

    let expected = [
        call("GET /gettoken", Outcome::Ok),
        call("POST /topapi/v2/user/getuserinfo", Outcome::Ok),
        call("POST /topapi/v2/user/get", Outcome::Ok),
    ];
    assert_eq!(recorder.calls(), expected);
    assert!(recorder.0.lock().unwrap().iter().all(|s| !s.metered), "identity and contacts are exempt");
}

#[tokio::test]
async fn refusals_are_api_errors_and_the_ban_page_is_throttled() {
    let emu = Emulator::start().await.unwrap();
    let (dt, recorder) = builder(&emu);
    let dt = dt.backoff(Backoff { ip_ban: Duration::from_millis(200), ..Backoff::default() }).build().unwrap();
    dt.user().by_auth_code("no-such-code").await.unwrap_err();
    dt.oauth().user_token("no-such-code").await.unwrap_err();
    emu.control()
        .add_fault(&FaultRule { html_ban: true, times: Some(1), ..FaultRule::on("/topapi/v2/user/get") })
        .await
        .unwrap();
    dt.user().get("zhangsan").await.unwrap_err();
    // During the ban nothing is sent, so nothing is reported.
    dt.user().get("zhangsan").await.unwrap_err();

    let expected = [
        call("GET /gettoken", Outcome::Ok),
        call("POST /topapi/v2/user/getuserinfo", Outcome::ApiError),
        call("POST /v1.0/oauth2/userAccessToken", Outcome::ApiError),
        call("POST /topapi/v2/user/get", Outcome::Throttled(Throttle::IpBan)),
    ];
    assert_eq!(recorder.calls(), expected);
}

#[tokio::test]
async fn a_per_second_refusal_and_its_retry_are_two_calls_and_waits_are_measured() {
    let emu = Emulator::start().await.unwrap();
    emu.clock().freeze();
    let (dt, recorder) = builder(&emu);
    let backoff = Backoff { per_second: Duration::from_millis(100), jitter: Duration::ZERO, ..Backoff::default() };
    let dt = dt.no_rate_limit().backoff(backoff).build().unwrap();
    for _ in 0..20 {
        dt.user().get("zhangsan").await.unwrap();
    }
    let unfreeze = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        emu.clock().advance(Duration::from_secs(1));
    };
    let users = dt.user();
    let (retried, ()) = tokio::join!(users.get("zhangsan"), unfreeze);
    retried.unwrap();

    let seen = recorder.0.lock().unwrap().clone();
    let user_get: Vec<&Seen> = seen.iter().filter(|s| s.api == "POST /topapi/v2/user/get").collect();
    assert_eq!(user_get.len(), 22, "twenty, the refused one and its retry");
    assert_eq!(user_get[20].outcome, Outcome::Throttled(Throttle::PerSecond));
    assert_eq!(user_get[21].outcome, Outcome::Ok);
    assert!(user_get[21].limiter_wait >= Duration::from_millis(100), "the retry waited out the pause");
    assert!(user_get[..20].iter().all(|s| s.limiter_wait < Duration::from_millis(100)));
    let counts = emu.control().calls().await.unwrap();
    let api = counts.apis.iter().find(|a| a.path == "/topapi/v2/user/get").unwrap();
    let refused: u32 = api.seconds.iter().map(|s| s.refused).sum();
    assert_eq!((api.month_calls, refused), (21, 1), "the emulator saw what the observer heard");
}
