//! The browser's client for shenpi's `/api`: one struct, one private `send()` that adds the session and turns a
//! non-2xx answer into the server's [`ApiError`].

use api_types::attachments::{FILE_NAME_HEADER, MAX_UPLOAD_BYTES};
use api_types::form::Attachment;
use api_types::{
    ActionDone, ApiError, AppConfig, AttachmentSpace, AuthCodeLogin, ContactPage, DepartmentNode, Draft, ErrorCode,
    FileLink, ForecastRequest, ForecastStep, InboxCounts, InboxPage, InstanceAction, InstanceDetail, JsapiSignature,
    JsapiSignatureRequest, OAuthLogin, RequestPage, SaveDraft, Session, SubmittedRequest, TemplateDetail,
    TemplateSummary, User,
};
use gloo_net::http::{Method, Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::errors::Failure;
use crate::offline::outbox::Accepted;
use crate::routes::{InboxQuery, encode};

/// A client for the server the page came from.
#[derive(Debug, Clone, Default)]
pub struct Api {
    token: Option<String>,
}

impl Api {
    /// A client without a session, for config and login.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// A client that sends `token` as its bearer.
    pub fn with_token(token: impl Into<String>) -> Self {
        Self { token: Some(token.into()) }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, Failure> {
        let response = self.exchange(method, path, body, None).await?;
        Self::decode(response).await
    }

    /// Like `send`, with an `Idempotency-Key` header: the server carries a request out once per key, and a repeat
    /// gets the first answer.
    async fn send_keyed<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &(impl Serialize + ?Sized),
        idempotency_key: &str,
    ) -> Result<T, Failure> {
        let response = self.exchange(method, path, Some(body), Some(idempotency_key)).await?;
        Self::decode(response).await
    }

    /// Sends one request with the session (and the key, if any); see [`Api::answer`] for a failure.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
        idempotency_key: Option<&str>,
    ) -> Result<Response, Failure> {
        let mut builder = self.builder(method, path);
        if let Some(key) = idempotency_key {
            builder = builder.header("idempotency-key", key);
        }
        let request = match body {
            Some(body) => builder.json(body),
            None => builder.build(),
        };
        Self::answer(request, path).await
    }

    /// A successful answer's JSON body.
    async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, Failure> {
        response.json().await.map_err(|e| Failure::Network(format!("unreadable answer: {e}")))
    }

    /// A request to `path` with the session, asking for JSON.
    fn builder(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = RequestBuilder::new(path).method(method).header("accept", "application/json");
        match &self.token {
            Some(token) => builder.header("authorization", &format!("Bearer {token}")),
            None => builder,
        }
    }

    /// Sends a built request; a non-2xx answer becomes the server's [`ApiError`], or [`Failure::Network`] when it
    /// has no such body.
    async fn answer(request: Result<Request, gloo_net::Error>, path: &str) -> Result<Response, Failure> {
        let request = request.map_err(|e| Failure::Network(e.to_string()))?;
        let response = request.send().await.map_err(|e| Failure::Network(e.to_string()))?;
        if response.ok() {
            return Ok(response);
        }
        let status = response.status();
        match response.json::<ApiError>().await {
            Ok(error) => Err(Failure::Api(error)),
            Err(_) => Err(Failure::Network(format!("HTTP {status} from {path}"))),
        }
    }

    /// `GET /api/config`.
    pub async fn config(&self) -> Result<AppConfig, Failure> {
        self.send(Method::GET, "/api/config", None::<&()>).await
    }

    /// `GET /api/me`: who the session belongs to.
    pub async fn me(&self) -> Result<User, Failure> {
        self.send(Method::GET, "/api/me", None::<&()>).await
    }

    /// `POST /api/session/oauth` with the `authCode` of DingTalk's web login.
    pub async fn login_oauth(&self, auth_code: String) -> Result<Session, Failure> {
        self.send(Method::POST, "/api/session/oauth", Some(&OAuthLogin { auth_code })).await
    }

    /// `POST /api/session` with a JSAPI free-login code.
    pub async fn login(&self, auth_code: String) -> Result<Session, Failure> {
        self.send(Method::POST, "/api/session", Some(&AuthCodeLogin { auth_code })).await
    }

    /// `GET /api/inbox`: a page of one box, filtered as `query` says, after `cursor`.
    pub async fn inbox(&self, query: &InboxQuery, cursor: Option<&str>, limit: u32) -> Result<InboxPage, Failure> {
        let mut pairs = query.pairs();
        if query.tab.is_none() {
            pairs.insert(0, ("box", query.tab().as_str().to_owned()));
        }
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_owned()));
        }
        pairs.push(("limit", limit.to_string()));
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        self.send(Method::GET, &format!("/api/inbox?{}", query.join("&")), None::<&()>).await
    }

    /// `GET /api/inbox/counts`.
    pub async fn inbox_counts(&self) -> Result<InboxCounts, Failure> {
        self.send(Method::GET, "/api/inbox/counts", None::<&()>).await
    }

    /// `GET /api/instances/{id}`.
    pub async fn instance(&self, id: &str) -> Result<InstanceDetail, Failure> {
        self.send(Method::GET, &format!("/api/instances/{}", encode(id)), None::<&()>).await
    }

    /// `POST /api/instances/{id}/actions`, once per `key` (a retry with the same key gets the first answer).
    pub async fn act(&self, id: &str, action: &InstanceAction, key: &str) -> Result<ActionDone, Failure> {
        let path = format!("/api/instances/{}/actions", encode(id));
        self.send_keyed(Method::POST, &path, action, key).await
    }

    /// `GET /api/templates`.
    pub async fn templates(&self) -> Result<Vec<TemplateSummary>, Failure> {
        self.send(Method::GET, "/api/templates", None::<&()>).await
    }

    /// `GET /api/templates/{process_code}`: the template's form.
    pub async fn template(&self, process_code: &str) -> Result<TemplateDetail, Failure> {
        self.send(Method::GET, &format!("/api/templates/{}", encode(process_code)), None::<&()>).await
    }

    /// `POST /api/templates/{process_code}/forecast`: the steps these values would run through.
    pub async fn forecast(&self, process_code: &str, request: &ForecastRequest) -> Result<Vec<ForecastStep>, Failure> {
        let path = format!("/api/templates/{}/forecast", encode(process_code));
        self.send(Method::POST, &path, Some(request)).await
    }

    /// `POST /api/requests`, once per `key`. The body is an [`api_types::SubmitRequest`] already in JSON; of the
    /// answer, only the request's id is read.
    pub async fn submit(&self, request: &RawValue, key: &str) -> Result<Accepted, Failure> {
        self.send_keyed(Method::POST, "/api/requests", request, key).await
    }

    /// `GET /api/requests/{id}`: where one of the caller's requests stands, with what was submitted.
    pub async fn request(&self, id: &str) -> Result<SubmittedRequest, Failure> {
        self.send(Method::GET, &format!("/api/requests/{}", encode(id)), None::<&()>).await
    }

    /// `GET /api/requests`: the caller's own requests, newest first.
    pub async fn requests(&self, cursor: Option<&str>) -> Result<RequestPage, Failure> {
        let path = match cursor {
            Some(cursor) => format!("/api/requests?cursor={}", encode(cursor)),
            None => "/api/requests".to_owned(),
        };
        self.send(Method::GET, &path, None::<&()>).await
    }

    /// `GET /api/drafts`.
    pub async fn drafts(&self) -> Result<Vec<Draft>, Failure> {
        self.send(Method::GET, "/api/drafts", None::<&()>).await
    }

    /// `GET /api/drafts/{id}`.
    pub async fn draft(&self, id: &str) -> Result<Draft, Failure> {
        self.send(Method::GET, &format!("/api/drafts/{}", encode(id)), None::<&()>).await
    }

    /// `PUT /api/drafts/{id}`.
    pub async fn save_draft(&self, id: &str, draft: &SaveDraft) -> Result<Draft, Failure> {
        self.send(Method::PUT, &format!("/api/drafts/{}", encode(id)), Some(draft)).await
    }

    /// `DELETE /api/drafts/{id}`.
    pub async fn delete_draft(&self, id: &str) -> Result<(), Failure> {
        self.exchange(Method::DELETE, &format!("/api/drafts/{}", encode(id)), None::<&()>, None).await.map(|_| ())
    }

    /// `GET /api/contacts`: members by name (`q`) or by department.
    pub async fn contacts(
        &self,
        q: Option<&str>,
        dept: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<ContactPage, Failure> {
        let mut pairs = Vec::new();
        if let Some(q) = q.filter(|q| !q.is_empty()) {
            pairs.push(format!("q={}", encode(q)));
        }
        if let Some(dept) = dept {
            pairs.push(format!("dept={dept}"));
        }
        if let Some(cursor) = cursor {
            pairs.push(format!("cursor={}", encode(cursor)));
        }
        self.send(Method::GET, &format!("/api/contacts?{}", pairs.join("&")), None::<&()>).await
    }

    /// `GET /api/departments`: the sub-departments of `parent` (the root's when absent).
    pub async fn departments(&self, parent: Option<i64>) -> Result<Vec<DepartmentNode>, Failure> {
        let path = match parent {
            Some(parent) => format!("/api/departments?parent={parent}"),
            None => "/api/departments".to_owned(),
        };
        self.send(Method::GET, &path, None::<&()>).await
    }

    /// `POST /api/jsapi/signature`: the `dd.config` parameters for `url`.
    pub async fn jsapi_signature(&self, request: &JsapiSignatureRequest) -> Result<JsapiSignature, Failure> {
        self.send(Method::POST, "/api/jsapi/signature", Some(request)).await
    }

    /// `GET /api/attachments/space`: the caller's approval space, the `spaceId` of `biz.util.uploadAttachment`.
    pub async fn attachment_space(&self) -> Result<AttachmentSpace, Failure> {
        self.send(Method::GET, "/api/attachments/space", None::<&()>).await
    }

    /// `GET /api/instances/{id}/files/{file_id}`: a fresh download link for a file attached to the instance.
    pub async fn file_url(&self, id: &str, file_id: &str) -> Result<FileLink, Failure> {
        self.send(Method::GET, &format!("/api/instances/{}/files/{}", encode(id), encode(file_id)), None::<&()>).await
    }

    /// `POST /api/attachments`: uploads a file (a `web_sys::File` is a `Blob`) outside DingTalk, where the JSAPI's
    /// `uploadAttachment` is missing; the value for a `DDAttachment` field. A file over the server's limit is refused
    /// here with the server's `payload_too_large`, before its bytes are sent.
    pub async fn upload(&self, file: &web_sys::Blob, name: &str) -> Result<Attachment, Failure> {
        if file.size() > MAX_UPLOAD_BYTES as f64 {
            let message = format!("files are at most {} MiB", MAX_UPLOAD_BYTES / (1024 * 1024));
            return Err(Failure::Api(ApiError::new(ErrorCode::PayloadTooLarge, message)));
        }
        let path = "/api/attachments";
        let request = self
            .builder(Method::POST, path)
            .header(FILE_NAME_HEADER, &encode(name))
            .header("content-type", "application/octet-stream")
            .body(file.clone());
        let response = Self::answer(request, path).await?;
        Self::decode(response).await
    }
}
