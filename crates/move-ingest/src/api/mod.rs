//! The Move UGC API client: GraphQL over HTTPS with the key in `Authorization`.

pub mod documents;
pub(crate) mod error;
pub(crate) mod jobs;
pub(crate) mod multicam;
pub(crate) mod types;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use error::{ApiError, AuthError, GqlError};
pub use types::{
    Client as Account, ClientRef, Expand, File, SourceInput, Take, TakeView, TakeViewPage,
    TakesPage,
};

use crate::config::{ApiConfig, ResolvedKey};

/// Where the client reports the outcome of every call: the daemon's monitor counts errors and
/// tracks whether the API answers (the API never imports what watches it).
pub trait Report: Send + Sync {
    /// One API call ended, answered (`None`) or with this error.
    fn api_result(&self, err: Option<&ApiError>);
}

/// A client for one endpoint and key. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    key: ResolvedKey,
    timeout: Duration,
    /// Counts errors and tracks whether the API answers (the service's views read it).
    monitor: Option<std::sync::Arc<dyn Report>>,
}

/// The HTTP client for API calls and uploads: rustls, timeouts from the config.
pub fn http_client(cfg: &ApiConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs))
        .tcp_nodelay(true)
        .user_agent(concat!("move-ingest/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl Client {
    /// A client for `endpoint`, authenticating with `key`.
    pub fn new(http: reqwest::Client, cfg: &ApiConfig, key: ResolvedKey) -> Client {
        let timeout = Duration::from_secs(cfg.request_timeout_secs);
        Client {
            http,
            endpoint: cfg.endpoint.0.clone(),
            key,
            timeout,
            monitor: None,
        }
    }

    /// The same client, reporting every call's outcome to `monitor`.
    pub fn with_monitor(self, monitor: std::sync::Arc<dyn Report>) -> Client {
        Client {
            monitor: Some(monitor),
            ..self
        }
    }

    /// The shared HTTP client (uploads use it too, so connections are pooled).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `client`: the account the key belongs to.
    pub async fn account(&self) -> Result<Account, ApiError> {
        self.call("client", documents::CLIENT, json!({}), "client")
            .await
    }

    /// `createFile(type, name, metadata)`.
    pub async fn create_file(
        &self,
        file_type: &str,
        name: &str,
        metadata: &Value,
    ) -> Result<File, ApiError> {
        let vars = json!({"type": file_type, "name": name, "metadata": metadata.to_string()});
        self.call("createFile", documents::CREATE_FILE, vars, "createFile")
            .await
    }

    /// `createSingleCamTake(sources, name, metadata)`.
    pub async fn create_single_cam_take(
        &self,
        sources: &[SourceInput],
        name: &str,
        metadata: &Value,
    ) -> Result<Take, ApiError> {
        let vars = json!({"sources": sources, "name": name, "metadata": metadata.to_string()});
        self.call(
            "createSingleCamTake",
            documents::CREATE_SINGLE_CAM_TAKE,
            vars,
            "createSingleCamTake",
        )
        .await
    }

    /// `getTake(takeId)`.
    pub async fn get_take(&self, take_id: &str) -> Result<Take, ApiError> {
        self.call(
            "getTake",
            documents::GET_TAKE,
            json!({"takeId": take_id}),
            "getTake",
        )
        .await
    }

    /// The thumbnail URL of a take's video (`None` while the API has none).
    pub async fn take_thumbnail_url(&self, take_id: &str) -> Result<Option<String>, ApiError> {
        let take: Value = self
            .call(
                "getTake",
                documents::TAKE_THUMBNAIL,
                json!({"takeId": take_id}),
                "getTake",
            )
            .await?;
        Ok(take["videoFile"]["thumbnailUrl"]
            .as_str()
            .map(str::to_string))
    }

    /// `listTakes(first, after, sortDirection)`; `after` is the AWSJSON cursor from the previous page.
    pub async fn list_takes(
        &self,
        first: u32,
        after: Option<&str>,
        newest_first: bool,
    ) -> Result<TakesPage, ApiError> {
        let dir = if newest_first { "DESC" } else { "ASC" };
        let vars = json!({"first": first, "after": after, "sortDirection": dir});
        self.call("listTakes", documents::LIST_TAKES, vars, "listTakes")
            .await
    }

    /// `updateTake(id, name, metadata)`; `None` leaves a field as it is.
    pub async fn update_take(
        &self,
        id: &str,
        name: Option<&str>,
        metadata: Option<&Value>,
    ) -> Result<Take, ApiError> {
        let mut vars = json!({"id": id});
        if let Some(name) = name {
            vars["name"] = json!(name);
        }
        if let Some(m) = metadata {
            vars["metadata"] = json!(m.to_string());
        }
        self.call("updateTake", documents::UPDATE_TAKE, vars, "updateTake")
            .await
    }

    /// `getTake(takeId)` with the sources and client `expand` asks for.
    pub async fn take_view(&self, take_id: &str, expand: Expand) -> Result<TakeView, ApiError> {
        let vars = json!({"takeId": take_id, "sources": expand.sources, "client": expand.client});
        self.call("getTake", documents::GET_TAKE_VIEW, vars, "getTake")
            .await
    }

    /// One page of `listTakes(first, after, sortDirection)`; `after` is the AWSJSON cursor
    /// (a string holding JSON) of the previous page.
    pub async fn take_views(
        &self,
        first: u32,
        after: Option<&str>,
        newest_first: bool,
        expand: Expand,
    ) -> Result<TakeViewPage, ApiError> {
        let dir = if newest_first { "DESC" } else { "ASC" };
        let vars = json!({"first": first, "after": after, "sortDirection": dir,
            "sources": expand.sources, "client": expand.client});
        self.call("listTakes", documents::LIST_TAKE_VIEWS, vars, "listTakes")
            .await
    }

    /// `createSingleCamTake`, answered as a [`TakeView`] with its sources.
    pub async fn create_take_view(
        &self,
        sources: &[SourceInput],
        name: Option<&str>,
        metadata: &Value,
    ) -> Result<TakeView, ApiError> {
        let vars = json!({"sources": sources, "name": name, "metadata": metadata.to_string(),
            "withSources": true, "withClient": false});
        self.call(
            "createSingleCamTake",
            documents::CREATE_TAKE_VIEW,
            vars,
            "createSingleCamTake",
        )
        .await
    }

    /// `updateTake(id, name, metadata)`; `None` leaves a field as it is.
    pub async fn update_take_view(
        &self,
        id: &str,
        name: Option<&str>,
        metadata: Option<&Value>,
        expand: Expand,
    ) -> Result<TakeView, ApiError> {
        let mut vars = json!({"id": id, "sources": expand.sources, "client": expand.client});
        if let Some(name) = name {
            vars["name"] = json!(name);
        }
        if let Some(m) = metadata {
            vars["metadata"] = json!(m.to_string());
        }
        self.call(
            "updateTake",
            documents::UPDATE_TAKE_VIEW,
            vars,
            "updateTake",
        )
        .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        op: &'static str,
        doc: &str,
        variables: Value,
        field: &str,
    ) -> Result<T, ApiError> {
        let result = self.send(op, doc, variables, field).await;
        if let Some(m) = &self.monitor {
            m.api_result(result.as_ref().err());
        }
        result
    }

    async fn send<T: DeserializeOwned>(
        &self,
        op: &'static str,
        doc: &str,
        variables: Value,
        field: &str,
    ) -> Result<T, ApiError> {
        let body = json!({"query": documents::with_fragments(doc), "variables": variables});
        let resp = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::AUTHORIZATION, self.key.key.expose())
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(op, &e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(ApiError::Auth {
                op,
                status: status.as_u16(),
                key_source: self.key.source.clone(),
            });
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(error::parse_retry_after);
        let bytes = resp.bytes().await.map_err(|e| ApiError::Transport {
            op,
            detail: format!("the answer was cut off: {}", error_chain(&e)),
            sent: true,
        })?;
        if !status.is_success() {
            return Err(ApiError::Status {
                op,
                status: status.as_u16(),
                retry_after,
                body: excerpt(&bytes),
            });
        }
        decode(op, field, &bytes)
    }
}

fn decode<T: DeserializeOwned>(op: &'static str, field: &str, bytes: &[u8]) -> Result<T, ApiError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        data: Option<serde_json::Map<String, Value>>,
        #[serde(default)]
        errors: Option<Vec<GqlError>>,
    }
    let answer: Answer = serde_json::from_slice(bytes).map_err(|e| ApiError::Decode {
        op,
        detail: format!("{e}: {}", excerpt(bytes)),
    })?;
    if let Some(errors) = answer.errors.filter(|e| !e.is_empty()) {
        return Err(ApiError::GraphQl { op, errors });
    }
    let value = answer
        .data
        .and_then(|mut d| d.remove(field))
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::Decode {
            op,
            detail: format!("no `{field}` in the answer"),
        })?;
    serde_json::from_value(value).map_err(|e| ApiError::Decode {
        op,
        detail: e.to_string(),
    })
}

fn transport(op: &'static str, e: &reqwest::Error) -> ApiError {
    // A connect error means nothing was sent; anything later may have reached the server.
    ApiError::Transport {
        op,
        detail: error_chain(e),
        sent: !e.is_connect(),
    }
}

/// The error and its causes on one line (reqwest's own Display hides the cause).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

/// The start of a response body, for error messages.
pub fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if bytes.len() > 300 {
        format!("{text}…")
    } else {
        text
    }
}
