//! `POST /ugc/graphql`: faults, the API key check, then validation and execution of the request.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::App;
use super::admin::Stats;
use super::execute;
use super::faults::Early;
use super::request::GraphQLRequest;

/// Handles one GraphQL request the way AppSync does.
pub(crate) async fn handle(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    Stats::bump(&app.stats.graphql_requests);
    tokio::time::sleep(app.faults.latency_of(&body)).await;
    match app.faults.draw_graphql(&body) {
        Early::Proceed => {}
        Early::Unavailable => {
            Stats::bump(&app.stats.faults_injected);
            return unavailable();
        }
        Early::Throttled(secs) => {
            Stats::bump(&app.stats.faults_injected);
            return throttled(secs);
        }
        Early::Invalid => {
            Stats::bump(&app.stats.faults_injected);
            return json_error(
                StatusCode::OK,
                "BadRequestException",
                "The request is invalid (sandbox fault injection).",
            );
        }
    }
    let key_ok = {
        let key = app.api_key.read().unwrap_or_else(|p| p.into_inner());
        headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()) == Some(key.as_bytes())
    };
    if !key_ok {
        return unauthorized();
    }
    let request: GraphQLRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return malformed(&e),
    };
    let outcome = execute::run(&app, &request);
    if outcome.mutated && app.faults.draw_drop(&outcome.fields) {
        Stats::bump(&app.stats.faults_injected);
        tracing::info!("sandbox: fault: mutation performed, answer dropped");
        return dropped();
    }
    match serde_json::to_vec(&outcome.body) {
        Ok(bytes) => json_response(StatusCode::OK, bytes),
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            &e.to_string(),
        ),
    }
}

fn json_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        bytes,
    )
        .into_response()
}

fn json_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "errorType": error_type, "message": message }] });
    json_response(status, body.to_string().into_bytes())
}

fn unauthorized() -> Response {
    json_error(
        StatusCode::UNAUTHORIZED,
        "UnauthorizedException",
        "You are not authorized to make this call.",
    )
}

fn unavailable() -> Response {
    json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailableException",
        "Service unavailable (sandbox fault injection).",
    )
}

fn throttled(retry_after_secs: u64) -> Response {
    let mut response = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequestsException",
        "Rate exceeded (sandbox fault injection).",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, retry_after_secs.into());
    response
}

fn malformed(e: &serde_json::Error) -> Response {
    json_error(
        StatusCode::BAD_REQUEST,
        "MalformedHttpRequestException",
        &format!(
            "The request body is not a GraphQL request ({{\"query\": ..., \"variables\": {{...}}}}): {e}"
        ),
    )
}

/// A 200 whose body breaks before its first byte: the client loses the connection and never
/// sees the result of the mutation that was performed.
fn dropped() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "sandbox fault: answer dropped",
        ))
    });
    let mut response = Response::new(Body::from_stream(broken));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
