//! `GET /metrics`, end to end: a real server over a SQLite file against the emulator, its exposition parsed and
//! compared with the emulator's own call counters.

use std::collections::BTreeMap;

use common::{Harness, start_with};
use dingtalk_emulator::limits::FaultRule;
use reqwest::StatusCode;

mod common;

/// One sample: the metric's name and its labels in order, e.g. `shenpi_dingtalk_calls_total{api="GET /gettoken",outcome="ok"}`.
type Samples = BTreeMap<String, f64>;

/// Parses an OpenMetrics text exposition strictly enough to catch a broken one: every line is a `# HELP`,
/// `# TYPE` or `# UNIT` comment or `name{label="value",...} number`, every sample belongs to a declared family, and
/// the text ends with `# EOF`.
fn parse(text: &str) -> Samples {
    let mut families: Vec<String> = Vec::new();
    let mut samples = Samples::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line == "# EOF" {
            assert!(lines.peek().is_none(), "text after # EOF");
            return samples;
        }
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let (kind, name) = (parts.next().unwrap(), parts.next().expect(line));
            assert!(matches!(kind, "HELP" | "TYPE" | "UNIT"), "{line}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
            if kind == "TYPE" {
                let ty = parts.next().expect(line);
                assert!(matches!(ty, "counter" | "gauge" | "histogram"), "{line}");
                families.push(name.to_owned());
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect(line);
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().expect(line),
        };
        let name = series.split('{').next().unwrap();
        assert!(families.iter().any(|f| name.starts_with(f.as_str())), "undeclared {line}");
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            let inner = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')).expect(line);
            for pair in inner.split("\",").filter(|p| !p.is_empty()) {
                let (key, value) = pair.split_once("=\"").expect(line);
                assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
                assert!(!value.trim_end_matches('"').contains('"'), "{line}");
            }
        }
        assert!(samples.insert(series.to_owned(), value).is_none(), "duplicate {line}");
    }
    panic!("no # EOF at the end");
}

/// What `/metrics` shows now.
trait MetricsOf {
    async fn metrics(&self) -> Samples;
    /// Logs `user` in with a fresh free-login code.
    async fn login_as(&self, user: &str) -> reqwest::Response;
}

impl MetricsOf for Harness {
    async fn metrics(&self) -> Samples {
        let res = self.http.get(format!("{}/metrics", self.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
        parse(&res.text().await.unwrap())
    }

    async fn login_as(&self, user: &str) -> reqwest::Response {
        let code = self.emu.control().auth_code(user).await.unwrap();
        self.login(&code).await
    }
}

/// The samples of `metric` (`name{`), by their labels.
fn of<'a>(samples: &'a Samples, metric: &str) -> BTreeMap<&'a str, f64> {
    let prefix = format!("{metric}{{");
    samples
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|labels| (labels.trim_end_matches('}'), *v)))
        .collect()
}

#[tokio::test]
async fn one_free_login_shows_exactly_its_three_dingtalk_calls_and_its_route() {
    // Without event intake: Stream mode's own call (`connections/open`) is not the login's.
    let h = start_with(&["--events=off".to_owned()]).await;
    let before = h.metrics().await;
    assert!(of(&before, "shenpi_dingtalk_calls_total").is_empty(), "no DingTalk call before the login");
    assert_eq!(before["shenpi_dingtalk_metered_calls_month"], 0.0);

    assert_eq!(h.login_as("zhangsan").await.status(), StatusCode::CREATED);
    let after = h.metrics().await;

    let calls = of(&after, "shenpi_dingtalk_calls_total");
    let expected = BTreeMap::from([
        (r#"api="GET /gettoken",outcome="ok""#, 1.0),
        (r#"api="POST /topapi/v2/user/get",outcome="ok""#, 1.0),
        (r#"api="POST /topapi/v2/user/getuserinfo",outcome="ok""#, 1.0),
    ]);
    assert_eq!(calls, expected);
    assert_eq!(after[r#"shenpi_dingtalk_call_seconds_count{api="GET /gettoken"}"#], 1.0);
    assert!(of(&after, "shenpi_dingtalk_throttled_total").is_empty());
    assert_eq!(after["shenpi_dingtalk_metered_calls_month"], 0.0, "login uses only exempt APIs");
    assert_eq!(after["shenpi_dingtalk_metered_calls_projected_month"], 0.0);
    assert_eq!(after[r#"shenpi_http_requests_total{route="/api/session",status="201"}"#], 1.0);
    assert_eq!(after[r#"shenpi_http_request_seconds_count{route="/api/session"}"#], 1.0);
    assert_eq!(after["shenpi_sessions_active"], 1.0);

    // The emulator counted the same calls, API by API.
    let counts = h.emu.control().calls().await.unwrap();
    let theirs: BTreeMap<String, u64> =
        counts.apis.iter().map(|a| (format!("{} {}", a.method, a.path), a.month_calls)).collect();
    let ours: BTreeMap<String, u64> =
        calls.iter().map(|(labels, n)| (labels.split('"').nth(1).unwrap().to_owned(), *n as u64)).collect();
    assert_eq!(ours, theirs);
}

#[tokio::test]
async fn routes_are_counted_by_pattern_and_metrics_itself_is_not_an_api_route() {
    let h = start_with(&[]).await;
    for path in ["/api/me", "/api/no/such/thing", "/api/health"] {
        h.http.get(format!("{}{path}", h.base)).send().await.unwrap();
    }
    h.http.get(format!("{}/some/app/page", h.base)).send().await.unwrap();
    let samples = h.metrics().await;
    let requests = of(&samples, "shenpi_http_requests_total");
    let expected = BTreeMap::from([
        (r#"route="/api/health",status="200""#, 1.0),
        (r#"route="/api/me",status="401""#, 1.0),
        (r#"route="/api/{*rest}",status="404""#, 1.0),
    ]);
    assert_eq!(requests, expected, "the raw path never becomes a label; the app and /metrics are not counted");
}

#[tokio::test]
async fn a_throttled_call_is_counted_as_throttled() {
    let h = start_with(&[]).await;
    let rule = FaultRule { html_ban: true, times: Some(1), ..FaultRule::on("/topapi/v2/user/get") };
    h.emu.control().add_fault(&rule).await.unwrap();
    assert_eq!(h.login_as("zhangsan").await.status(), StatusCode::SERVICE_UNAVAILABLE);

    let samples = h.metrics().await;
    let calls = of(&samples, "shenpi_dingtalk_calls_total");
    assert_eq!(calls[r#"api="POST /topapi/v2/user/get",outcome="throttled""#], 1.0);
    assert_eq!(samples[r#"shenpi_dingtalk_throttled_total{api="POST /topapi/v2/user/get"}"#], 1.0);
    assert_eq!(samples[r#"shenpi_http_requests_total{route="/api/session",status="503"}"#], 1.0);
}

#[tokio::test]
async fn a_configured_token_guards_metrics() {
    let h = start_with(&["--metrics-token=scrape-me".to_owned()]).await;
    let url = format!("{}/metrics", h.base);
    let none = h.http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let wrong = h.http.get(&url).bearer_auth("scrape-you").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = h.http.get(&url).bearer_auth("scrape-me").send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    parse(&right.text().await.unwrap());
}

#[tokio::test]
async fn the_outbox_depth_and_the_age_of_its_oldest_row_are_read_at_scrape_time() {
    let h = start_with(&["--outbox-poll-ms=50".to_owned(), "--outbox-backoff-ms=100".to_owned()]).await;
    let empty = h.metrics().await;
    assert_eq!((empty["shenpi_outbox_rows"], empty["shenpi_outbox_oldest_age_seconds"]), (0.0, 0.0));

    // DingTalk is busy for every create call, so the request stays in the outbox, retried.
    let busy =
        FaultRule { method: Some("POST".into()), error_rate: 1.0, ..FaultRule::on("/v1.0/workflow/processInstances") };
    h.emu.control().add_fault(&busy).await.unwrap();
    let token = h.session_for("zhangsan").await;
    let body = common::general_request("出差");
    let res = h
        .http
        .post(format!("{}/api/requests", h.base))
        .bearer_auth(&token)
        .header("Idempotency-Key", "key-metrics-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED, "{}", res.text().await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let waiting = h.metrics().await;
    assert_eq!(waiting["shenpi_outbox_rows"], 1.0);
    let age = waiting["shenpi_outbox_oldest_age_seconds"];
    assert!((1.0..30.0).contains(&age), "the row arrived about 1.2 s ago: {age}");

    h.emu.control().clear_faults().await.unwrap();
    for _ in 0..100 {
        if h.metrics().await["shenpi_outbox_rows"] == 0.0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the outbox never emptied once DingTalk answered");
}
