//! `careplan serve`: the engine over HTTP (axum on tokio), for case systems
//! and EHRs not written in Rust. docs/service.md is the reference.
//!
//! - `routes.rs`: `/v1/evaluate`, `/v1/evaluate/batch`, `/v1/explain`,
//!   `/v1/rules`, `/v1/reload`, `/health`, `/metrics`;
//! - `cds.rs`: CDS Hooks 2.0 discovery, the `patient-view` service, feedback;
//! - `state.rs`: the rule set served and its atomic swap on reload;
//! - `guard.rs`: the bearer token, the limits (concurrency, time), the
//!   version header, metrics and the request log;
//! - `metrics.rs`: Prometheus text; `problem.rs`: RFC 9457 problem details.

mod cds;
mod guard;
mod load;
mod metrics;
mod problem;
mod routes;
mod state;

use crate::Fail;
use axum::Router;
use axum::routing::{get, post};
use state::{Config, LogDetail, State};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `careplan serve` flags.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The rule set directory (with its fhir.yaml); the built-in reference policy if absent.
    #[arg(long, value_name = "DIR")]
    rules: Option<String>,
    /// The address to listen on. Any address other than loopback needs --token-file.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A file holding the bearer token every request must carry (except GET /health).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Reload when a file in the rules directory changes (polled every second).
    #[arg(long)]
    watch: bool,
    /// The largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body: usize,
    /// The largest batch body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    max_batch_body: usize,
    /// Requests served at once; more are refused with 503.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_concurrent: usize,
    /// The time a request may take, in milliseconds (503 past it).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    timeout_ms: u64,
    /// What the request log shows: never profile data; at most ids and outcomes.
    #[arg(long, value_enum, default_value = "requests")]
    log: LogDetail,
    /// Write the bound address to this file once listening (for tests and scripts using port 0).
    #[arg(long, value_name = "FILE")]
    port_file: Option<PathBuf>,
    /// Run a load test instead of serving: the server on an ephemeral loopback
    /// port against the in-process path, then stop.
    #[arg(long)]
    bench: bool,
    /// Load test: concurrent clients.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "bench")]
    clients: usize,
    /// Load test: requests in all.
    #[arg(long, value_name = "N", default_value_t = 100_000, requires = "bench")]
    requests: usize,
    /// Load test: print one JSON document.
    #[arg(long, requires = "bench")]
    json: bool,
}

fn loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Reads the token file: its content less surrounding whitespace, not empty.
fn read_token(path: &std::path::Path) -> Result<String, Fail> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Fail::usage(format!(
            "error: cannot read the token file `{}`: {e}",
            path.display()
        ))
    })?;
    let token = text.trim().to_string();
    if token.is_empty() {
        return Err(Fail::usage(format!(
            "error: the token file `{}` is empty",
            path.display()
        )));
    }
    Ok(token)
}

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/evaluate", post(routes::evaluate))
        .route("/v1/evaluate/batch", post(routes::batch))
        .route("/v1/explain", post(routes::explain))
        .route("/v1/rules", get(routes::rules))
        .route("/v1/reload", post(routes::reload))
        .route("/health", get(routes::health))
        .route("/metrics", get(routes::metrics))
        .route("/cds-services", get(cds::discovery))
        .route("/cds-services/{id}", post(cds::service))
        .route("/cds-services/{id}/feedback", post(cds::feedback))
        .fallback(guard::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::guard,
        ))
        .with_state(state)
}

pub fn run(args: Args) -> Result<u8, Fail> {
    if args.bench {
        return load::run(&load::Options {
            rules: args.rules,
            clients: args.clients,
            requests: args.requests,
            json: args.json,
        });
    }
    if !loopback(&args.listen) && args.token_file.is_none() {
        return Err(Fail::usage(format!(
            "error: `{}` is not a loopback address: listening there needs --token-file",
            args.listen
        )));
    }
    if args.watch && args.rules.is_none() {
        return Err(Fail::usage(
            "error: --watch needs --rules DIR (the built-in rules never change)",
        ));
    }
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
    let dir = args.rules.as_ref().map(PathBuf::from);
    let rules = state::load(dir.as_deref()).map_err(|r| {
        let mut m = format!("error: {}", r.message);
        for d in &r.diagnostics {
            m.push_str(&format!("\n{d}"));
        }
        Fail::input(m)
    })?;
    let config = Config {
        max_body: args.max_body,
        max_batch_body: args.max_batch_body,
        timeout: Duration::from_millis(args.timeout_ms),
        max_concurrent: args.max_concurrent,
        log: args.log,
    };
    let state = Arc::new(State::new(rules, dir, token, config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail::usage(format!("error: cannot start the runtime: {e}")))?;
    runtime.block_on(serve(args, state))
}

async fn serve(args: Args, state: Arc<State>) -> Result<u8, Fail> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Fail::usage(format!("error: cannot listen on `{}`: {e}", args.listen)))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Fail::usage(format!("error: {e}")))?;
    if let Some(path) = &args.port_file {
        std::fs::write(path, bound.to_string())
            .map_err(|e| Fail::usage(format!("error: cannot write `{}`: {e}", path.display())))?;
    }
    tracing::info!(
        address = %bound,
        version = %state.current().version(),
        rules = %args.rules.as_deref().unwrap_or("(built-in)"),
        "serving"
    );
    tokio::spawn(hangups(Arc::clone(&state)));
    if args.watch {
        tokio::spawn(watch(Arc::clone(&state)));
    }
    let app = router(Arc::clone(&state));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown(Arc::clone(&state)))
        .await
        .map_err(|e| Fail::usage(format!("error: the server stopped: {e}")))?;
    tracing::info!("stopped: every request in flight was answered");
    Ok(0)
}

/// Resolves on SIGTERM or Ctrl-C: axum then stops accepting connections
/// and waits for the requests in flight to finish.
async fn shutdown(state: Arc<State>) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    state
        .draining
        .store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!("shutting down: draining requests in flight");
}

/// SIGHUP reloads the rule set.
async fn hangups(state: Arc<State>) {
    #[cfg(unix)]
    {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            let _ = state.reload("SIGHUP").await;
        }
    }
    #[cfg(not(unix))]
    let _ = state;
}

/// `--watch`: polls the rules directory's file list, sizes and times every
/// second and reloads when they change.
async fn watch(state: Arc<State>) {
    let mut last = state.fingerprint();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = state.fingerprint();
        if now != last {
            last = now;
            let _ = state.reload("--watch").await;
        }
    }
}
