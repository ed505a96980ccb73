//! The `/v1` endpoints, `/health` and `/metrics`. Each handler takes the
//! rule set it starts with (one `Arc`) and names its version in the
//! `careplan-rules-version` header and in the body.

use super::problem::Problem;
use super::state::{LogDetail, Rules, State};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State as Ext};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use careplan::fhir::{PlanOptions, Resources};
use careplan::harness::batch;
use careplan::{Caseloads, EvalError, InputError};
use jiff::civil::Date;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub const VERSION_HEADER: &str = "careplan-rules-version";

/// `?detail=…&format=…&id=…`.
#[derive(Debug, Default)]
pub struct Params {
    detail: Option<String>,
    format: Option<String>,
    id: Option<String>,
    as_of: Option<String>,
}

impl Params {
    /// Reads the query string; an unknown parameter is a problem naming it
    /// (a misspelt `detial=outcomes` would otherwise be ignored).
    fn read(query: Option<String>) -> Result<Params, Problem> {
        let mut p = Params::default();
        for pair in query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|s| !s.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = Some(v.to_string());
            match k {
                "detail" => p.detail = v,
                "format" => p.format = v,
                "id" => p.id = v,
                "as_of" => p.as_of = v,
                other => {
                    return Err(Problem::field(
                        other.to_string(),
                        format!(
                            "unknown query parameter `{other}`; expected `detail`, `format`, `id` or `as_of`"
                        ),
                    ));
                }
            }
        }
        Ok(p)
    }
}

/// A response of JSON text with the rule set's version.
pub fn json_response(
    status: StatusCode,
    text: String,
    version: &str,
    content_type: &'static str,
) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    with_version(&mut r, version);
    r
}

pub fn with_version(r: &mut Response, version: &str) {
    if let Ok(v) = HeaderValue::from_str(version) {
        r.headers_mut().insert(VERSION_HEADER, v);
    }
}

/// Reads a whole body up to `limit` bytes.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, Problem> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if too_large {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "The request body is too large",
                format!("the body is larger than the limit of {limit} bytes"),
            )
        } else {
            Problem::body(format!("the body could not be read: {e}"))
        }
    })
}

/// Parses a JSON body, refusing repeated keys at any depth.
pub fn parse_json(bytes: &[u8]) -> Result<Value, Problem> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Problem::body(format!("the body is not UTF-8: {e}")))?;
    careplan::read_json(text).map_err(|e| {
        if e.field.is_empty() {
            Problem::body(format!("the body is not valid JSON: {}", e.message))
        } else {
            Problem::field(e.field.clone(), format!("`{}`: {}", e.field, e.message))
        }
    })
}

fn input_problem(prefix: &str, e: &InputError) -> Problem {
    let field = if e.field.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}.{}", e.field)
    };
    Problem::field(field, e.to_string())
}

pub fn eval_problem(e: &EvalError, version: &str) -> Problem {
    let p = match e {
        EvalError::Input(i) => input_problem("profile", i),
        EvalError::Function { function, message } => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "rule-function-failed",
            "A function of the rule set failed",
            format!("function `{function}`: {message}"),
        ),
        EvalError::Internal { message } => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The engine could not evaluate",
            message.clone(),
        ),
    };
    p.with("ruleset_version", Value::String(version.into()))
}

pub fn fhir_problem(e: &careplan::fhir::FhirError, field: &str) -> Problem {
    Problem::field(field, e.to_string())
        .with("resource", Value::String(e.resource.clone()))
        .with("path", Value::String(e.path.clone()))
}

/// An evaluation request, read and checked against the rule set.
pub struct Request {
    pub profile: Value,
    pub caseloads: Option<Caseloads>,
    pub as_of: Date,
}

pub fn as_of(v: Option<&Value>, field: &str) -> Result<Date, Problem> {
    match v {
        None | Some(Value::Null) => Ok(careplan::date::today()),
        Some(Value::String(s)) => s
            .parse::<Date>()
            .map_err(|e| Problem::field(field, format!("`{s}` is not a date (YYYY-MM-DD): {e}"))),
        Some(_) => Err(Problem::field(field, "expected a date as text, YYYY-MM-DD")),
    }
}

/// The request's members, unparsed: the fast path hands the profile's
/// bytes straight to the engine's byte reader, as a batch line is read.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    profile: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    fhir: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    context: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    as_of: Option<&'a serde_json::value::RawValue>,
}

/// Reads a plain `{"profile": {…}}` request (no FHIR, no context) without
/// building a `Value` of the profile: the engine's byte reader accepts and
/// refuses exactly what its `Value` reader does. Anything else, or any
/// error, goes the full way, which words the problem.
pub fn read_profile_fast(
    bytes: &[u8],
    rules: &Rules,
) -> Option<(careplan::Profile, Option<Caseloads>, Date)> {
    let env: Envelope = serde_json::from_slice(bytes).ok()?;
    if env.fhir.is_some() || env.context.is_some() {
        return None;
    }
    let as_of = match env.as_of {
        None => careplan::date::today(),
        Some(raw) => serde_json::from_str::<&str>(raw.get()).ok()?.parse().ok()?,
    };
    let profile = rules
        .engine
        .profile_from_slice(env.profile?.get().as_bytes())
        .ok()?;
    Some((profile, None, as_of))
}

/// `{"profile": {…} | "fhir": Bundle, "context": {…}?, "as_of": "YYYY-MM-DD"?}`.
pub fn read_request(bytes: &[u8], rules: &Rules) -> Result<Request, Problem> {
    let v = parse_json(bytes)?;
    let Value::Object(o) = v else {
        return Err(Problem::body(
            "expected a JSON object with a `profile` (or `fhir`) member",
        ));
    };
    for k in o.keys() {
        if !["profile", "fhir", "context", "as_of"].contains(&k.as_str()) {
            return Err(Problem::field(
                k.clone(),
                format!("unknown member `{k}`; expected `profile` or `fhir`, `context`, `as_of`"),
            ));
        }
    }
    let as_of = as_of(o.get("as_of"), "as_of")?;
    let profile = match (o.get("profile"), o.get("fhir")) {
        (Some(p), None) => p.clone(),
        (None, Some(bundle)) => {
            let Some(mapping) = &rules.mapping else {
                return Err(Problem::field(
                    "fhir",
                    "this rule set declares no FHIR mapping (fhir.yaml)",
                ));
            };
            Resources::from_bundle(bundle)
                .and_then(|r| careplan::fhir::profile(mapping, &r, as_of))
                .map_err(|e| fhir_problem(&e, "fhir"))?
        }
        (Some(_), Some(_)) => {
            return Err(Problem::field("fhir", "give `profile` or `fhir`, not both"));
        }
        (None, None) => return Err(Problem::field("profile", "missing `profile` (or `fhir`)")),
    };
    let caseloads = match o.get("context") {
        None | Some(Value::Null) => None,
        Some(c) => Some(
            rules
                .engine
                .caseloads(c)
                .map_err(|e| input_problem("context", &e))?,
        ),
    };
    Ok(Request {
        profile,
        caseloads,
        as_of,
    })
}

fn lean(params: &Params) -> Result<bool, Problem> {
    match params.detail.as_deref() {
        None | Some("full") => Ok(false),
        Some("outcomes") => Ok(true),
        Some(other) => Err(Problem::field(
            "detail",
            format!("`{other}` is not a detail; expected `full` or `outcomes`"),
        )),
    }
}

fn log_report(state: &State, route: &str, report: &careplan::Report) {
    match state.config.log {
        LogDetail::Requests => {}
        LogDetail::Ids => tracing::info!(
            route,
            client = report.client.as_deref().unwrap_or(""),
            "evaluated"
        ),
        LogDetail::Outcomes => tracing::info!(
            route,
            client = report.client.as_deref().unwrap_or(""),
            recommended = report.recommended_program.unwrap_or(""),
            referrals = %report.referrals.iter().map(|r| r.id).collect::<Vec<_>>().join(","),
            "evaluated"
        ),
    }
}

/// `POST /v1/evaluate`.
pub async fn evaluate(
    Ext(state): Ext<Arc<State>>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, Problem> {
    let params = Params::read(query)?;
    let bytes = read_body(body, state.config.max_body).await?;
    let rules = state.current();
    let version = rules.version();
    let (mut profile, caseloads, as_of) = match read_profile_fast(&bytes, &rules) {
        Some(fast) => fast,
        None => {
            let req = read_request(&bytes, &rules)?;
            let profile = rules
                .engine
                .profile(&req.profile)
                .map_err(|e| input_problem("profile", &e))?;
            (profile, req.caseloads, req.as_of)
        }
    };
    profile.as_of = as_of;
    let fhir_out = match params.format.as_deref() {
        None | Some("json") => false,
        Some("fhir") => true,
        Some(other) => {
            return Err(Problem::field(
                "format",
                format!("`{other}` is not a format; expected `json` or `fhir`"),
            ));
        }
    };
    let outcomes_only = lean(&params)?;
    if fhir_out && outcomes_only {
        return Err(Problem::field(
            "detail",
            "a FHIR CarePlan is made from the full report: leave out `detail=outcomes`",
        ));
    }
    let report = if outcomes_only {
        rules.engine.outcomes(&profile, caseloads.as_ref())
    } else {
        rules.engine.evaluate(&profile, caseloads.as_ref())
    }
    .map_err(|e| eval_problem(&e, version))?;
    log_report(&state, "/v1/evaluate", &report);
    if fhir_out {
        let plan = careplan::fhir::care_plan(&report, &PlanOptions::new(as_of));
        return Ok(json_response(
            StatusCode::OK,
            plan.to_string(),
            version,
            "application/fhir+json",
        ));
    }
    Ok(json_response(
        StatusCode::OK,
        report.to_json(),
        version,
        "application/json",
    ))
}

/// `POST /v1/explain`: the traces of every item (or `?id=` one).
pub async fn explain(
    Ext(state): Ext<Arc<State>>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, Problem> {
    let params = Params::read(query)?;
    let bytes = read_body(body, state.config.max_body).await?;
    let rules = state.current();
    let version = rules.version();
    let req = read_request(&bytes, &rules)?;
    let mut profile = rules
        .engine
        .profile(&req.profile)
        .map_err(|e| input_problem("profile", &e))?;
    profile.as_of = req.as_of;
    let items = rules
        .engine
        .explain(&profile, req.caseloads.as_ref())
        .map_err(|e| eval_problem(&e, version))?;
    let chosen = crate::harness::select(&items, params.id.as_deref())
        .map_err(|e| Problem::field("id", e))?;
    let body = json!({"ruleset_version": version, "items": chosen});
    Ok(json_response(
        StatusCode::OK,
        body.to_string(),
        version,
        "application/json",
    ))
}

/// Sends the batch's output as it is written, in chunks.
struct Channel(tokio::sync::mpsc::Sender<Bytes>);

impl std::io::Write for Channel {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
            })?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `POST /v1/evaluate/batch`: JSON Lines in (one profile per line), one
/// report per line out, in order, streamed as chunks are evaluated. A bad
/// line is an error line (`{"line": …, "error": …, "field": …}`), as
/// `careplan eval FILE.jsonl --format json` writes it.
pub async fn batch(
    Ext(state): Ext<Arc<State>>,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, Problem> {
    let params = Params::read(query)?;
    let detail = if lean(&params)? {
        batch::Detail::Outcomes
    } else {
        batch::Detail::Full
    };
    if params.format.is_some() || params.id.is_some() {
        return Err(Problem::field(
            "format",
            "a batch takes only `detail` and `as_of`",
        ));
    }
    let batch_as_of = match &params.as_of {
        None => None,
        Some(d) => Some(as_of(Some(&Value::String(d.clone())), "as_of")?),
    };
    let bytes = read_body(body, state.config.max_batch_body).await?;
    let rules = state.current();
    let version = rules.version().to_string();
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::task::spawn_blocking(move || {
        let out = std::io::BufWriter::with_capacity(64 * 1024, Channel(tx));
        let options = batch::Options {
            caseloads: None,
            detail,
            threads: None,
            as_of: batch_as_of,
        };
        let mut out = out;
        if let Err(e) = batch::run(&rules.engine, &bytes[..], options, &batch::Json, &mut out) {
            tracing::warn!(error = %e, "batch stopped");
        }
        let _ = std::io::Write::flush(&mut out);
    });
    let stream = tokio_stream::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(rx),
        Ok::<_, std::io::Error>,
    );
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jsonl"),
    );
    with_version(&mut r, &version);
    Ok(r)
}

/// `GET /v1/rules`: the version, the ids and titles, the schema and the
/// fields the FHIR mapping fills.
pub async fn rules(Ext(state): Ext<Arc<State>>) -> Response {
    let rules = state.current();
    let e = &rules.engine;
    let items = |views: Vec<careplan::ItemView>| -> Vec<Value> {
        views
            .iter()
            .map(|v| json!({"id": v.id(), "title": v.title()}))
            .collect()
    };
    let body = json!({
        "ruleset_version": e.version(),
        "programs": items(e.programs().collect()),
        "referrals": items(e.referrals().collect()),
        "warnings": items(e.warnings().collect()),
        "schema": e.fields().collect::<Vec<_>>(),
        "fhir_mapping": rules.mapping.as_ref().map(|m| m.fields().collect::<Vec<_>>()),
    });
    json_response(
        StatusCode::OK,
        body.to_string(),
        e.version(),
        "application/json",
    )
}

/// `GET /health`: ready while a rule set is loaded and the service is not
/// shutting down.
pub async fn health(Ext(state): Ext<Arc<State>>) -> Response {
    let rules = state.current();
    let draining = state.draining.load(std::sync::atomic::Ordering::Relaxed);
    let (status, word) = if draining {
        (StatusCode::SERVICE_UNAVAILABLE, "draining")
    } else {
        (StatusCode::OK, "ready")
    };
    let body = json!({"status": word, "ruleset_version": rules.version()});
    json_response(
        status,
        body.to_string(),
        rules.version(),
        "application/json",
    )
}

/// `GET /metrics`.
pub async fn metrics(Ext(state): Ext<Arc<State>>) -> Response {
    let rules = state.current();
    let text = state.metrics.render(rules.version());
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    with_version(&mut r, rules.version());
    r
}

/// `POST /v1/reload`.
pub async fn reload(Ext(state): Ext<Arc<State>>) -> Result<Response, Problem> {
    match state.reload("POST /v1/reload").await {
        Ok((old, new)) => {
            let body = json!({"reloaded": true, "previous_version": old, "ruleset_version": new});
            Ok(json_response(
                StatusCode::OK,
                body.to_string(),
                &new,
                "application/json",
            ))
        }
        Err((old, refused)) => {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "reload-refused",
                "The new rule set was refused; the old one keeps serving",
                refused.message,
            )
            .with("ruleset_version", Value::String(old.clone()))
            .with("diagnostics", Value::Array(refused.diagnostics));
            p.body.insert("reloaded".into(), Value::Bool(false));
            let mut r = p.into_response();
            with_version(&mut r, &old);
            Ok(r)
        }
    }
}

/// Members of a JSON object, or a problem naming `field`.
pub fn object<'v>(
    v: Option<&'v Value>,
    field: &str,
) -> Result<Option<&'v Map<String, Value>>, Problem> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(Problem::field(
            field,
            format!("`{field}` must be a JSON object"),
        )),
    }
}
