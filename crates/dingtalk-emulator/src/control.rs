//! The emulator's own routes under `/_emulator/`: what a test or the demo uses to steer it (containers live in
//! `container`, the workbench in `workbench`). Also the typed [`Control`] client for them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_http::cors::CorsLayer;

use crate::org::Org;
use crate::state::{Shared, State as EmuState};

/// The control routes; CORS is open because container scripts call them from the app's origin.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/auth-codes", post(mint_auth_code))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/seed", post(seed))
        .route("/_emulator/org", get(org))
        .route("/_emulator/org/users/{user_id}/leave", post(leave))
        .layer(CorsLayer::permissive())
}

/// Body of `POST /_emulator/auth-codes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthCodeRequest {
    /// Whose code to mint.
    pub user_id: String,
    /// The corpId the page asked for; a code is only given for the emulator's own organisation.
    #[serde(default)]
    pub corp_id: Option<String>,
}

/// Answer of `POST /_emulator/auth-codes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthCodeResponse {
    /// The free-login code: single use, five minutes.
    pub code: String,
}

/// Body of `POST /_emulator/clock/advance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdvanceClock {
    /// How far to move the clock forward.
    pub seconds: u64,
}

/// The error body of control routes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlError {
    /// A stable code: `corpMismatch`, `userNotExist`, `userLeft`, `badRequest`.
    pub code: String,
    /// What went wrong.
    pub message: String,
}

pub(crate) fn control_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(ControlError { code: code.into(), message: message.into() })).into_response()
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, EmuState> {
    shared.state.lock().unwrap_or_else(|e| e.into_inner())
}

async fn mint_auth_code(State(shared): State<Arc<Shared>>, Json(req): Json<AuthCodeRequest>) -> Response {
    let mut state = lock(&shared);
    if let Some(corp_id) = &req.corp_id
        && corp_id != &state.org.corp.corp_id
    {
        return control_error(
            StatusCode::BAD_REQUEST,
            "corpMismatch",
            format!("corpId {corp_id} is not this organisation ({})", state.org.corp.corp_id),
        );
    }
    match state.org.user(&req.user_id) {
        None => return control_error(StatusCode::NOT_FOUND, "userNotExist", format!("no user {}", req.user_id)),
        Some(u) if !u.active => {
            return control_error(StatusCode::FORBIDDEN, "userLeft", format!("{} has left the organisation", u.name));
        }
        Some(_) => {}
    }
    let code = state.mint_auth_code(&req.user_id, shared.clock.now_ms());
    Json(AuthCodeResponse { code }).into_response()
}

async fn advance_clock(State(shared): State<Arc<Shared>>, Json(req): Json<AdvanceClock>) -> Json<serde_json::Value> {
    shared.clock.advance(Duration::from_secs(req.seconds));
    Json(json!({ "nowMs": shared.clock.now_ms() }))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    shared.reset();
    Json(json!({}))
}

/// Body of `POST /_emulator/seed`: what to put in place of the current organisation and templates (each kept as
/// it is when absent).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    /// An organisation in the shape of `fixtures/org.json`.
    #[serde(default)]
    pub org: Option<Org>,
    /// Templates in the shape of `fixtures/templates.json`.
    #[serde(default)]
    pub templates: Option<Vec<crate::templates::Template>>,
}

/// `POST /_emulator/seed`: resets everything and loads another organisation and/or templates. Refused when a
/// template's flow names someone who is not a member of the organisation, or process codes repeat.
async fn seed(State(shared): State<Arc<Shared>>, Json(req): Json<Seed>) -> Response {
    let (org, templates) = {
        let state = lock(&shared);
        (
            req.org.unwrap_or_else(|| state.org.clone()),
            req.templates.unwrap_or_else(|| state.approvals.templates.clone()),
        )
    };
    let mut codes = std::collections::HashSet::new();
    for template in &templates {
        if !codes.insert(template.process_code.as_str()) {
            let message = format!("process code {} appears twice", template.process_code);
            return control_error(StatusCode::BAD_REQUEST, "badRequest", message);
        }
        for step in &template.flow.steps {
            if let crate::templates::StepApprovers::Users { user_ids } = &step.approvers
                && let Some(missing) = user_ids.iter().find(|u| org.member(u).is_none())
            {
                let message = format!("{}: step {} names {missing}, who is not a member", template.name, step.name);
                return control_error(StatusCode::BAD_REQUEST, "badRequest", message);
            }
        }
    }
    shared.reseed(org, templates);
    Json(json!({})).into_response()
}

/// `POST /_emulator/org/users/{userId}/leave`: the person leaves the organisation. They can no longer log in or be
/// looked up, and a `user_leave_org` event naming them is raised on both channels; the answer is that event.
/// Unknown people are 404 `userNotExist`; someone who already left is 409 `userLeft` and raises nothing.
async fn leave(State(shared): State<Arc<Shared>>, Path(user_id): Path<String>) -> Response {
    let event = {
        let mut state = lock(&shared);
        let corp_id = state.org.corp.corp_id.clone();
        let Some(user) = state.org.users.iter_mut().find(|u| u.user_id == user_id) else {
            return control_error(StatusCode::NOT_FOUND, "userNotExist", format!("no user {user_id}"));
        };
        if !user.active {
            return control_error(StatusCode::CONFLICT, "userLeft", format!("{} has already left", user.name));
        }
        user.active = false;
        crate::events::Event::user_leave_org(&[user_id], shared.clock.now_ms(), corp_id)
    };
    shared.events.publish(event.clone());
    Json(event).into_response()
}

/// The organisation without the app secret, for pickers and tests.
async fn org(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let state = lock(&shared);
    let Org { corp, app, departments, users } = &state.org;
    Json(json!({
        "corp": corp,
        "app": { "appKey": app.app_key, "agentId": app.agent_id },
        "departments": departments,
        "users": users,
    }))
}

/// A typed client for the control routes, for tests and xtask.
#[derive(Debug, Clone)]
pub struct Control {
    http: reqwest::Client,
    base: String,
}

/// What a control call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ControlCallError {
    /// The emulator could not be reached or answered something unreadable.
    #[error("emulator request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The emulator refused the call.
    #[error("emulator refused: {} ({})", .0.message, .0.code)]
    Refused(ControlError),
}

impl Control {
    /// A client for the emulator at `base` (e.g. `http://127.0.0.1:3100`).
    pub fn new(base: impl Into<String>) -> Self {
        Self { http: reqwest::Client::new(), base: base.into().trim_end_matches('/').to_owned() }
    }

    /// The emulator's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// POSTs a JSON body to a control route and decodes the answer (or the [`ControlError`]).
    pub(crate) async fn post<B: Serialize, R: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ControlCallError> {
        let response = self.http.post(format!("{}{path}", self.base)).json(body).send().await?;
        Self::decode(response).await
    }

    /// GETs a control route with query parameters and decodes the answer (or the [`ControlError`]).
    pub(crate) async fn get<R: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<R, ControlCallError> {
        let response = self.http.get(format!("{}{path}", self.base)).query(query).send().await?;
        Self::decode(response).await
    }

    /// DELETEs a control route and decodes the answer (or the [`ControlError`]).
    pub(crate) async fn delete<R: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<R, ControlCallError> {
        let response = self.http.delete(format!("{}{path}", self.base)).send().await?;
        Self::decode(response).await
    }

    async fn decode<R: for<'de> Deserialize<'de>>(response: reqwest::Response) -> Result<R, ControlCallError> {
        if response.status().is_success() {
            Ok(response.json().await?)
        } else {
            Err(ControlCallError::Refused(response.json().await?))
        }
    }

    /// Mints a free-login code for `user_id`, as the container would.
    pub async fn auth_code(&self, user_id: &str) -> Result<String, ControlCallError> {
        let req = AuthCodeRequest { user_id: user_id.to_owned(), corp_id: None };
        let res: AuthCodeResponse = self.post("/_emulator/auth-codes", &req).await?;
        Ok(res.code)
    }

    /// Plays a person on DingTalk's web login page: picks `user_id` and consents, then returns the `authCode` the
    /// page put on the redirect to `redirect_uri` (checking that `state` came back unchanged).
    pub async fn web_login(
        &self,
        user_id: &str,
        app_key: &str,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String, ControlCallError> {
        let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let response = no_redirects
            .get(format!("{}/oauth2/auth/choose", self.base))
            .query(&[
                ("user", user_id),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("client_id", app_key),
                ("scope", "openid"),
                ("state", state),
                ("prompt", "consent"),
            ])
            .send()
            .await?;
        let refused = |message: String| ControlCallError::Refused(ControlError { code: "webLogin".into(), message });
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url::Url::parse(l).ok())
            .ok_or_else(|| refused(format!("the login page answered {} without a redirect", response.status())))?;
        let pairs: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
        if pairs.get("state").map(String::as_str) != Some(state) {
            return Err(refused(format!("state did not come back: {location}")));
        }
        pairs.get("authCode").cloned().ok_or_else(|| refused(format!("no authCode in {location}")))
    }

    /// Makes `user_id` leave the organisation; the `user_leave_org` event that raised.
    pub async fn leave_org(&self, user_id: &str) -> Result<crate::events::Event, ControlCallError> {
        self.post(&format!("/_emulator/org/users/{user_id}/leave"), &json!({})).await
    }

    /// Moves the emulator's clock forward.
    pub async fn advance_clock(&self, by: Duration) -> Result<(), ControlCallError> {
        let _: serde_json::Value =
            self.post("/_emulator/clock/advance", &AdvanceClock { seconds: by.as_secs() }).await?;
        Ok(())
    }

    /// Resets and loads another organisation and/or templates.
    pub async fn seed(&self, seed: &Seed) -> Result<(), ControlCallError> {
        let _: serde_json::Value = self.post("/_emulator/seed", seed).await?;
        Ok(())
    }

    /// Forgets tokens and codes and puts the clock back.
    pub async fn reset(&self) -> Result<(), ControlCallError> {
        let _: serde_json::Value = self.post("/_emulator/reset", &json!({})).await?;
        Ok(())
    }
}
