//! RFC 9457 problem details: every error the service returns is one
//! `application/problem+json` document that says what kind of problem it
//! is (`type`, `title`), why (`detail`) and, for bad input, which field
//! (`field`, a dotted path into the request: `profile.age`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A problem: the HTTP status, a kind (the last part of the `type` URI and
/// the `kind` label of the error metric) and the members of the document.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub kind: &'static str,
    pub body: Map<String, Value>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &str,
        detail: impl Into<String>,
    ) -> Problem {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("urn:careplan:problem:{kind}")),
        );
        body.insert("title".into(), Value::String(title.into()));
        body.insert("status".into(), json!(status.as_u16()));
        body.insert("detail".into(), Value::String(detail.into()));
        Problem { status, kind, body }
    }

    /// Bad input naming its field.
    pub fn field(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "A field of the request is invalid",
            detail,
        )
        .with("field", Value::String(field.into()))
    }

    /// A body that is not the JSON the endpoint takes.
    pub fn body(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "The request body cannot be read",
            detail,
        )
    }

    pub fn with(mut self, key: &str, value: Value) -> Problem {
        self.body.insert(key.into(), value);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let text = serde_json::to_string(&self.body).unwrap_or_else(|_| "{}".into());
        let mut r = (self.status, text).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // The error metric counts by kind: the middleware reads it here.
        r.extensions_mut().insert(ErrorKind(self.kind));
        r
    }
}

/// The kind of a problem response, for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct ErrorKind(pub &'static str);
