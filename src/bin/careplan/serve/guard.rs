//! What every request passes through: the bearer token, the concurrency
//! and time limits, then, on the way out, the rule-set version header,
//! the metrics and one log line. The log line names the method, the
//! route, the status and the time: never a body, so no profile data.

use super::problem::{ErrorKind, Problem};
use super::routes::with_version;
use super::state::State;
use axum::extract::{MatchedPath, Request, State as Ext};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// Compares without stopping at the first difference, so the time taken
/// does not tell how much of a guessed token was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(state: &State, req: &Request) -> bool {
    let Some(token) = &state.token else {
        return true;
    };
    if req.uri().path() == "/health" {
        // Load balancers probe without credentials; health shows no data.
        return true;
    }
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.trim().as_bytes(), token.as_bytes()))
}

pub async fn guard(Ext(state): Ext<Arc<State>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let mut response = if !authorized(&state, &req) {
        let mut r = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "A bearer token is required",
            "send `Authorization: Bearer <token>` with the token of --token-file",
        )
        .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        r
    } else {
        match Arc::clone(&state.permits).try_acquire_owned() {
            Err(_) => {
                let mut r = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    "Too many requests in flight",
                    format!(
                        "the service answers at most {} requests at once; retry shortly",
                        state.config.max_concurrent
                    ),
                )
                .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                r
            }
            Ok(permit) => {
                let r = tokio::time::timeout(state.config.timeout, next.run(req)).await;
                drop(permit);
                r.unwrap_or_else(|_| {
                    Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "timeout",
                        "The request took too long",
                        format!(
                            "the limit is {} ms per request",
                            state.config.timeout.as_millis()
                        ),
                    )
                    .into_response()
                })
            }
        }
    };
    if !response
        .headers()
        .contains_key(super::routes::VERSION_HEADER)
    {
        with_version(&mut response, state.current().version());
    }
    let unread = matches!(
        response.extensions().get::<ErrorKind>().map(|k| k.0),
        Some("unauthorized" | "overloaded" | "body-too-large" | "timeout")
    );
    if unread {
        // The request's body may be left unread: the connection cannot
        // carry another request, so say so rather than let the client
        // reuse it and meet a closed socket.
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    let took = started.elapsed();
    let status = response.status().as_u16();
    let kind = response.extensions().get::<ErrorKind>().map(|k| k.0);
    state.metrics.request(&route, status, took, kind);
    // Every request at debug level (a log line per request would cost
    // more than an evaluation); refusals and errors at info.
    if kind.is_some() {
        tracing::info!(method = %method, route = %route, status, micros = took.as_micros() as u64, error = kind.unwrap_or(""), "request");
    } else {
        tracing::debug!(method = %method, route = %route, status, micros = took.as_micros() as u64, "request");
    }
    response
}

pub async fn not_found(req: Request) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "No such endpoint",
        format!(
            "`{} {}` is not an endpoint; see docs/service.md",
            req.method(),
            req.uri().path()
        ),
    )
}
