//! The upload endpoint: presigned PUT and GET on /storage/{file_id}, refusing like Move's S3 storage.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::App;
use super::admin::Stats;
use super::presign::{self, Refusal};
use super::receive;
use super::store::Upload;

/// The largest single PUT S3 accepts: 5 GiB.
pub const MAX_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// An S3-style error answer: status, `Code`, `Message` and extra elements.
struct S3Error {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
    extra: Vec<(&'static str, String)>,
}

impl S3Error {
    fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        S3Error {
            status,
            code,
            message,
            extra: Vec::new(),
        }
    }

    fn with(mut self, element: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((element, value.into()));
        self
    }
}

impl IntoResponse for S3Error {
    fn into_response(self) -> Response {
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>",
            self.code, self.message
        );
        for (element, value) in &self.extra {
            xml.push_str(&format!("<{element}>{}</{element}>", xml_escape(value)));
        }
        xml.push_str(&format!(
            "<RequestId>{}</RequestId></Error>",
            uuid::Uuid::new_v4().simple()
        ));
        let headers = [
            (header::CONTENT_TYPE, "application/xml"),
            (header::CONNECTION, "close"),
        ];
        (self.status, headers, xml).into_response()
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn signature_mismatch() -> S3Error {
    S3Error::new(
        StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
}

/// `PUT /storage/{file_id}`: checks the head, refusing before reading any byte of the body,
/// then streams the body to disk.
pub(crate) async fn handle_put(
    State(app): State<Arc<App>>,
    Path(file_id): Path<String>,
    request: Request,
) -> Response {
    tokio::time::sleep(app.faults.latency()).await;
    let length = match check_put(&app, &file_id, request.headers(), request.uri()) {
        Ok(length) => length,
        Err(refusal) => {
            Stats::bump(&app.stats.uploads_rejected);
            return refusal.into_response();
        }
    };
    if app.faults.draw_cut() {
        Stats::bump(&app.stats.faults_injected);
        Stats::bump(&app.stats.uploads_rejected);
        receive::read_part(request.into_body(), length / 2, app.faults.upload_rate()).await;
        return S3Error::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
        .into_response();
    }
    match store_body(&app, &file_id, request.into_body(), length).await {
        Ok(upload) => {
            Stats::bump(&app.stats.uploads_completed);
            let etag = format!("\"{}\"", upload.sha256);
            (StatusCode::OK, [(header::ETAG, etag)]).into_response()
        }
        Err(refusal) => {
            Stats::bump(&app.stats.uploads_rejected);
            refusal.into_response()
        }
    }
}

/// The head checks, in S3's order; returns the Content-Length.
fn check_put(app: &App, file_id: &str, headers: &HeaderMap, uri: &Uri) -> Result<u64, S3Error> {
    if app.faults.draw_storage_5xx() {
        Stats::bump(&app.stats.faults_injected);
        return Err(S3Error::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ));
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(S3Error::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        )
        .with("Header", "Transfer-Encoding"));
    }
    let length = content_length(headers).ok_or_else(|| {
        S3Error::new(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        )
    })?;
    if headers.contains_key(header::CONTENT_TYPE) || headers.contains_key("content-md5") {
        return Err(signature_mismatch());
    }
    check_url(app, "PUT", file_id, uri)?;
    if app.store.file(file_id).is_none() {
        return Err(no_such_key(file_id));
    }
    if length > MAX_PUT_BYTES {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        )
        .with("ProposedSize", length.to_string())
        .with("MaxSizeAllowed", MAX_PUT_BYTES.to_string()));
    }
    Ok(length)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn no_such_key(file_id: &str) -> S3Error {
    S3Error::new(
        StatusCode::NOT_FOUND,
        "NoSuchKey",
        "The specified key does not exist.",
    )
    .with("Key", file_id)
}

/// Checks the presigned query string of `uri` for `method` on `file_id`.
fn check_url(app: &App, method: &str, file_id: &str, uri: &Uri) -> Result<(), S3Error> {
    let query: HashMap<String, String> = Query::try_from_uri(uri)
        .map(|Query(q)| q)
        .map_err(|_| signature_mismatch())?;
    let secret = &app.store.identity().secret;
    presign::verify(secret, method, file_id, &query).map_err(|refusal| match refusal {
        Refusal::BadSignature => signature_mismatch(),
        Refusal::Expired => {
            S3Error::new(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired")
                .with("Expires", query.get("Expires").cloned().unwrap_or_default())
        }
    })
}

/// Streams the body into the file's blob and records the upload.
async fn store_body(app: &App, file_id: &str, body: Body, length: u64) -> Result<Upload, S3Error> {
    let target = app.store.blob_path(file_id);
    let received = receive::to_file(body, &target, length, app.faults.upload_rate()).await;
    let (size, sha256) = match received {
        Ok(done) => done,
        Err(e) => {
            tracing::info!(file_id, "sandbox: upload refused: {e:#}");
            return Err(S3Error::new(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header",
            ));
        }
    };
    let upload = Upload {
        size,
        sha256,
        completed: super::store::now_rfc3339(),
    };
    app.store
        .mark_uploaded(file_id, upload.clone())
        .map_err(|e| {
            tracing::error!(file_id, "sandbox: cannot record an upload: {e:#}");
            S3Error::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            )
        })?;
    Ok(upload)
}

/// `GET /storage/{file_id}`: the uploaded bytes, for a presigned download URL.
pub(crate) async fn handle_get(
    State(app): State<Arc<App>>,
    Path(file_id): Path<String>,
    uri: Uri,
) -> Response {
    tokio::time::sleep(app.faults.latency()).await;
    if let Err(refusal) = check_url(&app, "GET", &file_id, &uri) {
        return refusal.into_response();
    }
    let Some(upload) = app.store.file(&file_id).and_then(|f| f.upload) else {
        return no_such_key(&file_id).into_response();
    };
    let path = app.store.blob_path(&file_id);
    match tokio::fs::File::open(&path).await {
        Ok(file) => {
            Stats::bump(&app.stats.files_downloaded);
            let stream = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20);
            let headers = [
                (header::CONTENT_LENGTH, upload.size.to_string()),
                (header::ETAG, format!("\"{}\"", upload.sha256)),
            ];
            (StatusCode::OK, headers, Body::from_stream(stream)).into_response()
        }
        Err(e) => {
            tracing::error!(file_id, "sandbox: cannot open {}: {e}", path.display());
            no_such_key(&file_id).into_response()
        }
    }
}
