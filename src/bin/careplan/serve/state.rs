//! The rule set being served and how it is replaced. A reload loads and
//! checks the new rule set (and its FHIR mapping) on a blocking thread,
//! off the request path, then swaps one `Arc` under a write lock held only
//! for the swap: a request clones the `Arc` it starts with and finishes on
//! that rule set, whatever happens meanwhile. A rule set with errors is
//! refused and the old one keeps serving.

use super::metrics::Metrics;
use careplan::fhir::Mapping;
use careplan::{Engine, LoadError, LoadOptions};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// A loaded rule set with its FHIR mapping (if the rules directory has one).
pub struct Rules {
    pub engine: Engine,
    pub mapping: Option<Mapping>,
}

impl Rules {
    pub fn version(&self) -> &str {
        self.engine.version()
    }
}

/// How much of a request the log may show: never the profile's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogDetail {
    /// Method, route, status, latency and the rule-set version.
    Requests,
    /// Also the client's id.
    Ids,
    /// Also the outcomes: the recommended program and the referral ids.
    Outcomes,
}

/// The service's limits and choices.
#[derive(Debug, Clone)]
pub struct Config {
    pub max_body: usize,
    pub max_batch_body: usize,
    pub timeout: Duration,
    pub max_concurrent: usize,
    pub log: LogDetail,
}

pub struct State {
    rules: RwLock<Arc<Rules>>,
    /// The rules directory; `None` serves the built-in reference policy.
    pub dir: Option<PathBuf>,
    pub metrics: Metrics,
    pub token: Option<String>,
    pub config: Config,
    /// One reload at a time: two at once would race to swap.
    reloading: tokio::sync::Mutex<()>,
    /// Set when shutdown begins: `/health` turns unready while in-flight
    /// requests drain.
    pub draining: std::sync::atomic::AtomicBool,
    /// Requests in flight: a permit each.
    pub permits: Arc<tokio::sync::Semaphore>,
}

/// A rule set that did not load: a message and its diagnostics as JSON.
pub struct Refused {
    pub message: String,
    pub diagnostics: Vec<Value>,
}

/// Loads and checks a rule set and its mapping. Blocking: call it off the
/// async threads.
pub fn load(dir: Option<&std::path::Path>) -> Result<Rules, Refused> {
    let shown = dir.map(|d| d.display().to_string());
    let engine = match &shown {
        Some(d) => careplan::load_dir(d, &LoadOptions::default()),
        None => careplan::reference(),
    };
    let engine = engine.map_err(|e| match e {
        LoadError::Rules(diags) => {
            let n = diags
                .iter()
                .filter(|d| d.severity == careplan::DiagnosticSeverity::Error)
                .count();
            Refused {
                message: format!(
                    "the rule set has {n} error{}",
                    if n == 1 { "" } else { "s" }
                ),
                diagnostics: diags
                    .iter()
                    .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
                    .collect(),
            }
        }
        other => Refused {
            message: other.to_string(),
            diagnostics: Vec::new(),
        },
    })?;
    let mapping =
        crate::fhir::load_mapping(shown.as_deref(), &engine).map_err(|errors| Refused {
            message: format!(
                "the FHIR mapping has {} error{}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ),
            diagnostics: errors.into_iter().map(|e| json!({"message": e})).collect(),
        })?;
    Ok(Rules { engine, mapping })
}

impl State {
    pub fn new(rules: Rules, dir: Option<PathBuf>, token: Option<String>, config: Config) -> State {
        State {
            rules: RwLock::new(Arc::new(rules)),
            dir,
            metrics: Metrics::default(),
            token,
            reloading: tokio::sync::Mutex::new(()),
            draining: std::sync::atomic::AtomicBool::new(false),
            permits: Arc::new(tokio::sync::Semaphore::new(config.max_concurrent.max(1))),
            config,
        }
    }

    /// The rule set to answer a request with.
    pub fn current(&self) -> Arc<Rules> {
        match self.rules.read() {
            Ok(r) => Arc::clone(&r),
            // A writer never panics while holding the lock (it only
            // assigns), but a poisoned lock still holds a valid Arc.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Loads the rules directory again and swaps it in, or refuses it and
    /// keeps the old one. Logs and counts either way.
    pub async fn reload(
        self: &Arc<Self>,
        why: &str,
    ) -> Result<(String, String), (String, Refused)> {
        let _one = self.reloading.lock().await;
        let dir = self.dir.clone();
        let old = self.current().version().to_string();
        let loaded = tokio::task::spawn_blocking(move || load(dir.as_deref()))
            .await
            .unwrap_or_else(|e| {
                Err(Refused {
                    message: format!("the loader stopped: {e}"),
                    diagnostics: Vec::new(),
                })
            });
        match loaded {
            Ok(rules) => {
                let new = rules.version().to_string();
                match self.rules.write() {
                    Ok(mut slot) => *slot = Arc::new(rules),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(rules),
                }
                self.metrics.reload(true);
                tracing::info!(trigger = why, old_version = %old, new_version = %new, "rule set reloaded");
                Ok((old, new))
            }
            Err(refused) => {
                self.metrics.reload(false);
                tracing::error!(
                    trigger = why,
                    version = %old,
                    error = %refused.message,
                    diagnostics = %serde_json::to_string(&refused.diagnostics).unwrap_or_default(),
                    "reload refused: the old rule set keeps serving"
                );
                Err((old, refused))
            }
        }
    }

    /// A fingerprint of the rules directory's files (names, sizes and
    /// modification times) for `--watch`.
    pub fn fingerprint(&self) -> Option<Vec<(PathBuf, u64, std::time::SystemTime)>> {
        let dir = self.dir.as_ref()?;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let meta = entry.metadata().ok()?;
            if meta.is_file() {
                out.push((entry.path(), meta.len(), meta.modified().ok()?));
            }
        }
        out.sort();
        Some(out)
    }
}
