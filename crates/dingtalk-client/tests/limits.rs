//! The client within DingTalk's limits, against the emulator's own counters: pacing per API, retries after
//! per-second refusals, and the IP ban.

use std::time::{Duration, Instant};

use dingtalk_client::{Backoff, DingTalk, DingTalkBuilder, Error, Throttle};
use dingtalk_emulator::Emulator;
use dingtalk_emulator::limits::{ApiCalls, FaultRule};
use tokio::task::JoinSet;

const USER_GET: &str = "/topapi/v2/user/get";

fn builder(emu: &Emulator) -> DingTalkBuilder {
    let app = &emu.org().app;
    DingTalk::builder().app_key(&app.app_key).app_secret(&app.app_secret).base_url(emu.uri())
}

/// Short waits, so that a test sees several rounds of backoff in well under a second.
fn quick(retries: u32) -> Backoff {
    Backoff {
        per_second: Duration::from_millis(150),
        jitter: Duration::from_millis(20),
        retries,
        ip_ban: Duration::from_millis(800),
        ..Backoff::default()
    }
}

/// The emulator's counters for one API (`None` when it was never reached).
async fn calls_to(emu: &Emulator, method: &str, path: &str) -> Option<ApiCalls> {
    let counts = emu.control().calls().await.unwrap();
    counts.apis.into_iter().find(|api| api.method == method && api.path == path)
}

/// Runs `n` concurrent `user().get` calls and returns their results.
async fn user_gets(dt: &DingTalk, n: usize) -> Vec<dingtalk_client::Result<dingtalk_client::user::UserDetail>> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let dt = dt.clone();
        set.spawn(async move { dt.user().get("zhangsan").await });
    }
    set.join_all().await
}

/// Freezes the emulator's clock and fills its current second for `user/get` with twenty calls of a client
/// without its own limiter, which it returns: DingTalk refuses the next call with 90018 until the clock moves.
async fn with_a_full_second(emu: &Emulator, backoff: Backoff) -> DingTalk {
    emu.clock().freeze();
    let dt = builder(emu).no_rate_limit().backoff(backoff).build().unwrap();
    for result in user_gets(&dt, 20).await {
        result.unwrap();
    }
    dt
}

#[tokio::test]
async fn sixty_concurrent_calls_to_one_api_reach_dingtalk_at_most_fifteen_a_second() {
    let emu = Emulator::start().await.unwrap();
    let dt = builder(&emu).rate_limit(15).build().unwrap();
    let started = Instant::now();

    for result in user_gets(&dt, 60).await {
        result.unwrap();
    }

    // 60 calls one every 1/15 s take at least 59/15 s.
    assert!(started.elapsed() >= Duration::from_millis(3_900), "took only {:?}", started.elapsed());
    let api = calls_to(&emu, "POST", USER_GET).await.unwrap();
    assert_eq!(api.month_calls, 60);
    assert!(api.peak_per_second <= 15, "{:?}", api.seconds);
    assert!(api.seconds.iter().all(|s| s.refused == 0), "{:?}", api.seconds);
}

#[tokio::test]
async fn a_per_second_refusal_is_retried_after_a_pause_and_succeeds() {
    let emu = Emulator::start().await.unwrap();
    let dt = with_a_full_second(&emu, quick(3)).await;

    let call = tokio::spawn({
        let dt = dt.clone();
        async move { dt.user().get("lisi").await }
    });
    // Let DingTalk refuse it twice with 90018, then let the second pass.
    let deadline = Instant::now() + Duration::from_secs(5);
    while calls_to(&emu, "POST", USER_GET).await.unwrap().seconds.last().unwrap().refused < 2 {
        assert!(Instant::now() < deadline, "the client did not retry");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    emu.clock().advance(Duration::from_secs(1));

    assert_eq!(call.await.unwrap().unwrap().userid, "lisi");
    let api = calls_to(&emu, "POST", USER_GET).await.unwrap();
    let seconds: Vec<_> = api.seconds.iter().map(|s| (s.calls, s.refused)).collect();
    assert_eq!(seconds, [(20, 2), (1, 0)], "two refusals, then the retry in the next second");
}

#[tokio::test]
async fn refusals_past_the_retry_bound_end_in_throttled() {
    let emu = Emulator::start().await.unwrap();
    let dt = with_a_full_second(&emu, quick(2)).await;

    let err = dt.user().get("lisi").await.unwrap_err();
    assert!(matches!(err, Error::Throttled { kind: Throttle::PerSecond, .. }), "{err}");
    let api = calls_to(&emu, "POST", USER_GET).await.unwrap();
    assert_eq!(api.seconds.last().unwrap().refused, 3, "the first try and two retries");
}

#[tokio::test]
async fn a_v1_refusal_is_handled_like_a_legacy_one() {
    let emu = Emulator::start().await.unwrap();
    emu.clock().freeze();
    let dt = builder(&emu).no_rate_limit().backoff(quick(0)).build().unwrap();
    let code = emu.control().web_login("lisi", &emu.org().app.app_key, "http://app.test/back", "s1").await.unwrap();
    let token = dt.oauth().user_token(&code).await.unwrap();
    for _ in 0..20 {
        dt.oauth().me(&token).await.unwrap();
    }

    let err = dt.oauth().me(&token).await.unwrap_err();
    assert!(matches!(err, Error::Throttled { kind: Throttle::PerSecond, .. }), "{err}");
}

#[tokio::test]
async fn the_ip_ban_page_stops_every_call_until_the_ban_is_over() {
    let emu = Emulator::start().await.unwrap();
    let dt = builder(&emu).backoff(quick(3)).build().unwrap();
    dt.user().get("zhangsan").await.unwrap();
    emu.control().add_fault(&FaultRule { html_ban: true, times: Some(1), ..FaultRule::on(USER_GET) }).await.unwrap();

    let err = dt.user().get("zhangsan").await.unwrap_err();
    assert!(matches!(err, Error::Throttled { kind: Throttle::IpBan, .. }), "{err}");
    assert!(emu.control().faults().await.unwrap().is_empty(), "the ban page was served once");

    // The rule is spent, so any call that reached the emulator now would be answered and counted.
    let during = Instant::now();
    let again = dt.user().get("zhangsan").await.unwrap_err();
    let other = dt.user().by_union_id("uLisi").await.unwrap_err();
    assert!(during.elapsed() < Duration::from_millis(100), "calls during the ban must fail fast");
    for err in [again, other] {
        match err {
            Error::Throttled { kind: Throttle::IpBan, retry_after } => {
                assert!(retry_after <= Duration::from_millis(800))
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(calls_to(&emu, "POST", USER_GET).await.unwrap().month_calls, 1);
    assert!(calls_to(&emu, "POST", "/topapi/user/getbyunionid").await.is_none());

    tokio::time::sleep(Duration::from_millis(850)).await;
    dt.user().get("zhangsan").await.unwrap();
    assert_eq!(calls_to(&emu, "POST", USER_GET).await.unwrap().month_calls, 2);
}
