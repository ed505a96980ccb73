//! `careplan serve` end to end: the binary started on an ephemeral loopback
//! port, every endpoint driven with a real HTTP client (ureq).
//!
//! With `CAREPLAN_FHIR_OUT=DIR`, the CarePlans the tests receive are also
//! written there, for the external FHIR validator (`.ci/run` runs
//! `scripts/validate_fhir.py` on them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_careplan");
const AS_OF: &str = "2026-05-31";

/// A temporary directory, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        let dir =
            std::env::temp_dir().join(format!("careplan-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Temp(dir)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server, stopped (killed) on drop.
struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
    token: Option<String>,
    _dir: Temp,
}

impl Server {
    fn start(name: &str, args: &[&str]) -> Server {
        let dir = Temp::new(name);
        let port_file = dir.0.join("port");
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--port-file"])
            .arg(&port_file)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        let started = Instant::now();
        let addr = loop {
            if let Ok(a) = std::fs::read_to_string(&port_file) {
                if !a.is_empty() {
                    break a;
                }
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the server exited: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Server {
            child,
            base: format!("http://{addr}"),
            agent,
            token: None,
            _dir: dir,
        }
    }

    fn auth<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(t) => r.header("authorization", format!("Bearer {t}")),
            None => r,
        }
    }

    fn get(&self, path: &str) -> Reply {
        let r = self.auth(self.agent.get(format!("{}{path}", self.base)));
        Reply::from(r.call().unwrap())
    }

    fn post(&self, path: &str, body: &str) -> Reply {
        let r = self
            .auth(self.agent.post(format!("{}{path}", self.base)))
            .header("content-type", "application/json");
        Reply::from(r.send(body).unwrap_or_else(|e| panic!("POST {path}: {e}")))
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    version: Option<String>,
    content_type: String,
    text: String,
}

impl From<ureq::http::Response<ureq::Body>> for Reply {
    fn from(mut r: ureq::http::Response<ureq::Body>) -> Reply {
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let version = header("careplan-rules-version");
        let content_type = header("content-type").unwrap_or_default();
        let text = r.body_mut().read_to_string().unwrap();
        Reply {
            status: r.status().as_u16(),
            version,
            content_type,
            text,
        }
    }
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// What `careplan eval --format json` prints for a profile file.
fn cli_report(profile: &Path, detail: &str) -> Value {
    let out = Command::new(BIN)
        .args(["eval", "--format", "json", "--detail", detail])
        .arg(profile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn keep_fhir(name: &str, resource: &Value) {
    if let Ok(dir) = std::env::var("CAREPLAN_FHIR_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            Path::new(&dir).join(format!("{name}.json")),
            resource.to_string(),
        )
        .unwrap();
    }
}

#[test]
fn evaluate_gives_the_cli_report_in_both_details_with_the_version() {
    let s = Server::start("evaluate", &[]);
    let profile = root().join("examples/client.json");
    let body = json!({"profile": read("examples/client.json")}).to_string();
    let full = s.post("/v1/evaluate", &body);
    assert_eq!(full.status, 200, "{}", full.text);
    assert_eq!(full.content_type, "application/json");
    assert_eq!(full.json(), cli_report(&profile, "full"));
    let version = full.json()["ruleset_version"].as_str().unwrap().to_string();
    assert!(version.starts_with("sha256:"));
    assert_eq!(full.version.as_deref(), Some(version.as_str()));
    let lean = s.post("/v1/evaluate?detail=outcomes", &body);
    assert_eq!(lean.json(), cli_report(&profile, "outcomes"));
    assert!(!lean.text.contains("\"reason\""));
}

#[test]
fn evaluate_takes_a_context_and_names_bad_fields() {
    let s = Server::start("problems", &["--max-body", "4096"]);
    let with_context =
        json!({"profile": read("examples/client.json"), "context": read("examples/context.json")});
    let r = s.post("/v1/evaluate", &with_context.to_string());
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.json()["warnings"].to_string().contains("caseload"),
        "{}",
        r.text
    );

    let bad = s.post("/v1/evaluate", r#"{"profile": {"id": "c-1", "age": 200}}"#);
    assert_eq!(bad.status, 422);
    assert_eq!(bad.content_type, "application/problem+json");
    let p = bad.json();
    assert_eq!(p["field"], "profile.age");
    assert_eq!(p["status"], 422);
    assert!(
        p["detail"].as_str().unwrap().contains("out of range"),
        "{p}"
    );
    assert!(bad.version.is_some());

    let context = s.post(
        "/v1/evaluate",
        r#"{"profile": {"id": "c-1"}, "context": {"caseloads": {"nope": {}}}}"#,
    );
    assert_eq!(context.status, 422, "{}", context.text);
    assert!(
        context.json()["field"]
            .as_str()
            .unwrap()
            .starts_with("context."),
        "{}",
        context.text
    );

    for (body, field) in [
        (
            r#"{"profile": {"id": "c-1"}, "asof": "2026-01-01"}"#,
            "asof",
        ),
        (
            r#"{"profile": {"id": "c-1"}, "as_of": "yesterday"}"#,
            "as_of",
        ),
        (r#"{"context": {}}"#, "profile"),
        (r#"{"profile": {"id": "c-1", "id": "c-2"}}"#, "profile.id"),
    ] {
        let r = s.post("/v1/evaluate", body);
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{body}");
    }
    let query = s.post(
        "/v1/evaluate?detial=outcomes",
        r#"{"profile": {"id": "c-1"}}"#,
    );
    assert_eq!(query.json()["field"], "detial");

    let not_json = s.post("/v1/evaluate", "{");
    assert_eq!(not_json.status, 400);
    assert_eq!(
        not_json.json()["type"],
        "urn:careplan:problem:malformed-body"
    );

    let big = format!(r#"{{"profile": {{"id": "{}"}}}}"#, "x".repeat(5000));
    let too_large = s.post("/v1/evaluate", &big);
    assert_eq!(too_large.status, 413, "{}", too_large.text);
    assert_eq!(
        too_large.json()["type"],
        "urn:careplan:problem:body-too-large"
    );

    let missing = s.get("/v2/nothing");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "application/problem+json");

    let metrics = s.get("/metrics").text;
    assert!(
        metrics.contains("careplan_errors_total{kind=\"invalid-field\"} 7"),
        "{metrics}"
    );
    assert!(
        metrics.contains("careplan_errors_total{kind=\"body-too-large\"} 1"),
        "{metrics}"
    );
}

#[test]
fn batch_streams_reports_in_order_with_errors_in_place() {
    let s = Server::start("batch", &[]);
    let mut lines = String::new();
    for i in 0..500 {
        if i == 250 {
            lines.push_str("{\"id\": \"bad\", \"age\": -1}\n");
        } else {
            lines.push_str(&format!("{{\"id\": \"c-{i}\", \"phq9\": {}}}\n", i % 28));
        }
    }
    let r = s.post("/v1/evaluate/batch?detail=outcomes", &lines);
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/jsonl");
    let out: Vec<Value> = r
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 500);
    for (i, v) in out.iter().enumerate() {
        if i == 250 {
            assert_eq!(
                (v["line"].as_u64(), v["field"].as_str()),
                (Some(251), Some("age"))
            );
        } else {
            assert_eq!(v["client"], format!("c-{i}"));
            assert_eq!(v["ruleset_version"].as_str(), r.version.as_deref());
        }
    }
    let full = s.post("/v1/evaluate/batch", "{\"id\": \"a\", \"phq9\": 22}\n");
    assert!(full.text.contains("\"reason\""));
}

#[test]
fn explain_rules_health_metrics_and_cds_discovery() {
    let s = Server::start("read", &[]);
    let explain = s.post(
        "/v1/explain?id=behavioral_health",
        r#"{"profile": {"id": "c-1", "phq9": 22}}"#,
    );
    assert_eq!(explain.status, 200, "{}", explain.text);
    let items = explain.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "behavioral_health");
    let unknown = s.post("/v1/explain?id=nothing", r#"{"profile": {"id": "c-1"}}"#);
    assert_eq!(unknown.json()["field"], "id");

    let rules = s.get("/v1/rules").json();
    assert!(
        rules["ruleset_version"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        rules["referrals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "housing_services" && r["title"] == "Housing services")
    );
    assert!(
        rules["schema"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "phq9" && f["type"] == "integer")
    );
    assert!(
        rules["fhir_mapping"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "insurance")
    );

    let health = s.get("/health");
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (200, Some("ready"))
    );

    let metrics = s.get("/metrics");
    assert!(metrics.content_type.starts_with("text/plain"));
    for needle in [
        "careplan_rules_info{version=\"sha256:",
        "careplan_http_requests_total{route=\"/v1/explain\",status=\"200\"} 1",
        "careplan_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 1",
        "careplan_reloads_total{result=\"refused\"} 0",
    ] {
        assert!(
            metrics.text.contains(needle),
            "{needle} in {}",
            metrics.text
        );
    }

    let discovery = s.get("/cds-services").json();
    let service = &discovery["services"][0];
    assert_eq!(
        (service["hook"].as_str(), service["id"].as_str()),
        (Some("patient-view"), Some("careplan"))
    );
    let prefetch = service["prefetch"].as_object().unwrap();
    for key in [
        "patient",
        "conditions",
        "observations",
        "encounters",
        "coverage",
    ] {
        assert!(prefetch.contains_key(key), "{key}");
    }
    assert!(
        prefetch["observations"]
            .as_str()
            .unwrap()
            .contains("44261-6")
    );
}

/// The bundle's resources of one type as a searchset Bundle.
fn searchset(bundle: &Value, ty: &str) -> Value {
    let entries: Vec<Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == ty)
        .cloned()
        .collect();
    json!({"resourceType": "Bundle", "type": "searchset", "total": entries.len(), "entry": entries})
}

#[test]
fn a_fhir_bundle_gives_the_report_of_the_equivalent_profile() {
    let s = Server::start("fhir", &[]);
    let bundle = read("tests/fhir/p-001.bundle.json");
    let profile = read("tests/fhir/p-001.profile.json");
    let from_fhir = s.post(
        "/v1/evaluate",
        &json!({"fhir": bundle, "as_of": AS_OF}).to_string(),
    );
    assert_eq!(from_fhir.status, 200, "{}", from_fhir.text);
    let from_json = s.post(
        "/v1/evaluate",
        &json!({"profile": profile, "as_of": AS_OF}).to_string(),
    );
    assert_eq!(from_fhir.json(), from_json.json());
    let report = from_fhir.json();
    assert_eq!(report["client"], "p-001");
    assert_eq!(report["as_of"], AS_OF);
    assert_eq!(report["recommended_program"], "intensive_case_management");

    // Out: a CarePlan like PlanDefinition/$apply's.
    let plan = s.post(
        "/v1/evaluate?format=fhir",
        &json!({"fhir": bundle, "as_of": AS_OF}).to_string(),
    );
    assert_eq!(plan.status, 200, "{}", plan.text);
    assert_eq!(plan.content_type, "application/fhir+json");
    let plan = plan.json();
    assert_eq!(
        (plan["resourceType"].as_str(), plan["intent"].as_str()),
        (Some("CarePlan"), Some("proposal"))
    );
    assert_eq!(plan["subject"]["reference"], "Patient/p-001");
    let contained = plan["contained"].as_array().unwrap();
    let group = &contained[0];
    assert_eq!(group["resourceType"], "RequestGroup");
    assert_eq!(
        plan["activity"][0]["reference"]["reference"],
        "#request-group"
    );
    let requests: Vec<&Value> = contained
        .iter()
        .filter(|r| r["resourceType"] == "ServiceRequest")
        .collect();
    assert_eq!(
        requests.len(),
        report["referrals"].as_array().unwrap().len()
    );
    assert_eq!(group["action"].as_array().unwrap().len(), requests.len());
    for r in &requests {
        assert!(["urgent", "routine"].contains(&r["priority"].as_str().unwrap()));
    }
    keep_fhir("careplan-p-001", &plan);
    let warned = s.post(
        "/v1/evaluate?format=fhir",
        &json!({"profile": {"id": "c-2", "housing": "homeless", "violence_risk": true, "phq9": 24}, "context": read("examples/context.json"), "as_of": AS_OF}).to_string(),
    );
    let warned = warned.json();
    assert!(
        warned["contained"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resourceType"] == "DetectedIssue")
    );
    keep_fhir("careplan-c-2", &warned);
    let empty = s.post(
        "/v1/evaluate?format=fhir",
        r#"{"profile": {"id": "c-3"}, "as_of": "2026-05-31"}"#,
    );
    keep_fhir("careplan-c-3", &empty.json());

    // A resource the model cannot read is named, with the path inside it.
    let mut broken = bundle.clone();
    broken["entry"][1]["resource"]["code"]["coding"][0]["code"] = json!(20);
    let r = s.post(
        "/v1/evaluate",
        &json!({"fhir": broken, "as_of": AS_OF}).to_string(),
    );
    assert_eq!(r.status, 422, "{}", r.text);
    let p = r.json();
    assert_eq!(
        (
            p["field"].as_str(),
            p["resource"].as_str(),
            p["path"].as_str()
        ),
        (
            Some("fhir"),
            Some("Condition/cond-1"),
            Some("code.coding[0].code")
        )
    );
}

#[test]
fn eval_fhir_on_the_command_line_reads_the_bundle_through_the_mapping() {
    let out = Command::new(BIN)
        .args(["eval", "--format", "json", "--fhir"])
        .arg(root().join("tests/fhir/p-001.bundle.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["client"], "p-001");
    assert!(
        report["referrals"]
            .to_string()
            .contains("substance_use_treatment")
    );
    let bad = Command::new(BIN)
        .args(["eval", "--fhir"])
        .arg(root().join("examples/client.json"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected a `Bundle`"));
}

#[test]
fn cds_hooks_patient_view_answers_with_cards() {
    let s = Server::start("cds", &[]);
    let bundle = read("tests/fhir/p-001.bundle.json");
    let patient = bundle["entry"][0]["resource"].clone();
    let request = json!({
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/pr-1", "patientId": "p-001"},
        "prefetch": {
            "patient": patient,
            "conditions": searchset(&bundle, "Condition"),
            "observations": searchset(&bundle, "Observation"),
            "encounters": searchset(&bundle, "Encounter"),
            "coverage": null
        }
    });
    let r = s.post("/cds-services/careplan", &request.to_string());
    assert_eq!(r.status, 200, "{}", r.text);
    let cards = r.json()["cards"].as_array().unwrap().clone();
    for c in &cards {
        assert!(c["summary"].as_str().unwrap().chars().count() < 140);
        assert!(["info", "warning", "critical"].contains(&c["indicator"].as_str().unwrap()));
        assert!(
            c["source"]["label"]
                .as_str()
                .unwrap()
                .starts_with("careplan rules sha256:")
        );
    }
    let housing = cards
        .iter()
        .find(|c| {
            c["summary"]
                .as_str()
                .unwrap()
                .contains("Substance use treatment")
        })
        .unwrap();
    assert_eq!(housing["indicator"], "info");
    assert!(housing["detail"].as_str().unwrap().contains("**Why:**"));
    assert!(housing["detail"].as_str().unwrap().contains("**Source:**"));
    let action = &housing["suggestions"][0]["actions"][0];
    assert_eq!(
        (
            action["type"].as_str(),
            action["resource"]["resourceType"].as_str()
        ),
        (Some("create"), Some("ServiceRequest"))
    );
    assert_eq!(action["resource"]["subject"]["reference"], "Patient/p-001");
    keep_fhir("cds-suggestion-servicerequest", &action["resource"]);
    // Coverage was not prefetched: insurance is unknown, so an info card asks.
    let ask = cards
        .iter()
        .find(|c| c["summary"].as_str().unwrap().contains("undetermined"))
        .unwrap();
    assert!(
        ask["detail"].as_str().unwrap().contains("insurance"),
        "{ask}"
    );

    // Urgent: a warning card.
    let urgent = json!({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p-2"},
        "prefetch": {"observations": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource":
            {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
             "effectiveDateTime": "2020-01-01", "valueInteger": 23}}]}}});
    let cards = s.post("/cds-services/careplan", &urgent.to_string()).json()["cards"].clone();
    assert!(
        cards
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["indicator"] == "warning"
                && c["summary"].as_str().unwrap().contains("Behavioral health")),
        "{cards}"
    );

    let wrong = s.post(
        "/cds-services/careplan",
        r#"{"hook": "patient-view", "hookInstance": "x", "context": {}}"#,
    );
    assert_eq!(wrong.json()["field"], "context.patientId");
    let other = s.post("/cds-services/nope", "{}");
    assert_eq!(other.status, 404);

    let feedback = s.post(
        "/cds-services/careplan/feedback",
        r#"{"feedback": [{"card": "abc", "outcome": "accepted", "outcomeTimestamp": "2026-05-31T10:00:00Z"}]}"#,
    );
    assert_eq!(feedback.status, 200);
    assert!(
        s.get("/metrics")
            .text
            .contains("careplan_cds_feedback_total 1")
    );
}

/// Copies the reference rules and mapping into a directory of its own.
fn rules_copy(dir: &Path) {
    for entry in std::fs::read_dir(root().join("rules")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn a_broken_reload_keeps_the_old_rule_set_serving() {
    let rules = Temp::new("reload-rules");
    rules_copy(&rules.0);
    let s = Server::start("reload", &["--rules", rules.0.to_str().unwrap()]);
    let body = r#"{"profile": {"id": "c-1", "phq9": 22}}"#;
    let before = s.post("/v1/evaluate", body);
    let v1 = before.version.clone().unwrap();

    // Broken rules: refused with diagnostics, the old rule set answers.
    std::fs::write(
        rules.0.join("broken.rules"),
        "referral x \"X\" {\n  urgent when nonsense >= \n}\n",
    )
    .unwrap();
    let refused = s.post("/v1/reload", "");
    assert_eq!(refused.status, 422, "{}", refused.text);
    let p = refused.json();
    assert_eq!(p["reloaded"], false);
    assert_eq!(p["ruleset_version"], v1.as_str());
    assert!(
        p["diagnostics"].as_array().is_some_and(|d| !d.is_empty()),
        "{p}"
    );
    let during = s.post("/v1/evaluate", body);
    assert_eq!(
        (during.status, during.version.as_deref()),
        (200, Some(v1.as_str()))
    );
    assert_eq!(during.json(), before.json());

    // A mapping that does not fit the schema is refused the same way.
    std::fs::remove_file(rules.0.join("broken.rules")).unwrap();
    let good_mapping = std::fs::read_to_string(rules.0.join("fhir.yaml")).unwrap();
    std::fs::write(
        rules.0.join("fhir.yaml"),
        "fields:\n  insurance:\n    from: Patient.birthDate\n",
    )
    .unwrap();
    let refused = s.post("/v1/reload", "").json();
    assert!(
        refused["diagnostics"]
            .to_string()
            .contains("fhir.yaml: fields.insurance.from"),
        "{refused}"
    );
    std::fs::write(rules.0.join("fhir.yaml"), good_mapping).unwrap();

    // A good change is swapped in.
    let referrals = rules.0.join("referrals.rules");
    let text = std::fs::read_to_string(&referrals)
        .unwrap()
        .replace("urgent when phq9 >= 20", "urgent when phq9 >= 23");
    std::fs::write(&referrals, text).unwrap();
    let ok = s.post("/v1/reload", "");
    assert_eq!(ok.status, 200, "{}", ok.text);
    let v2 = ok.json()["ruleset_version"].as_str().unwrap().to_string();
    assert_ne!(v1, v2);
    let after = s.post("/v1/evaluate", body);
    assert_eq!(after.version.as_deref(), Some(v2.as_str()));
    assert!(
        !after.text.contains("\"priority\":\"urgent\""),
        "{}",
        after.text
    );
    let metrics = s.get("/metrics").text;
    assert!(
        metrics.contains("careplan_reloads_total{result=\"refused\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("careplan_reloads_total{result=\"ok\"} 1"),
        "{metrics}"
    );

    // SIGHUP reloads too.
    let text = std::fs::read_to_string(&referrals)
        .unwrap()
        .replace("urgent when phq9 >= 23", "urgent when phq9 >= 21");
    std::fs::write(&referrals, text).unwrap();
    s.signal("-HUP");
    let started = Instant::now();
    while s.get("/health").version.as_deref() == Some(v2.as_str()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "SIGHUP did not reload"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn watch_reloads_when_a_rule_file_changes() {
    let rules = Temp::new("watch-rules");
    rules_copy(&rules.0);
    let s = Server::start("watch", &["--rules", rules.0.to_str().unwrap(), "--watch"]);
    let v1 = s.get("/health").version.unwrap();
    let referrals = rules.0.join("referrals.rules");
    let text = std::fs::read_to_string(&referrals).unwrap();
    let trigger = "routine when client_age >= 65";
    assert!(
        text.contains(trigger),
        "referrals.rules no longer has `{trigger}`"
    );
    let text = text.replace(trigger, "routine when client_age >= 66");
    std::fs::write(&referrals, text).unwrap();
    let started = Instant::now();
    while s.get("/health").version.as_deref() == Some(v1.as_str()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "--watch did not reload"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_token_guards_every_endpoint_but_health_and_other_addresses_need_one() {
    let dir = Temp::new("token");
    let token_file = dir.0.join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let mut s = Server::start(
        "token-server",
        &["--token-file", token_file.to_str().unwrap()],
    );
    let denied = s.post("/v1/evaluate", r#"{"profile": {"id": "c-1"}}"#);
    assert_eq!(denied.status, 401);
    assert_eq!(denied.json()["type"], "urn:careplan:problem:unauthorized");
    assert_eq!(s.get("/health").status, 200);
    assert_eq!(s.get("/metrics").status, 401);
    s.token = Some("wrong".into());
    assert_eq!(s.get("/v1/rules").status, 401);
    s.token = Some("s3cret-token".into());
    assert_eq!(
        s.post("/v1/evaluate", r#"{"profile": {"id": "c-1"}}"#)
            .status,
        200
    );

    let open = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(open.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&open.stderr).contains("needs --token-file"));
}

#[test]
fn shutdown_drains_a_request_in_flight() {
    let mut s = Server::start("drain", &[]);
    let mut lines = String::new();
    let n = 20_000;
    for i in 0..n {
        lines.push_str(&format!(
            "{{\"id\": \"c-{i}\", \"age\": {}, \"needs\": [\"food\", \"legal\"]}}\n",
            i % 100
        ));
    }
    let r = s
        .agent
        .post(format!("{}/v1/evaluate/batch", s.base))
        .send(&lines)
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut reader = BufReader::new(r.into_body().into_reader());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    // The response has started: stop the server now.
    s.signal("-TERM");
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert_eq!(1 + rest.lines().count(), n);
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
