//! The caseload context: for each program, each case manager's number of
//! active clients, read against the rule set's programs.

use super::{InputError, number, shown};
use crate::decimal;
use crate::ir::RuleSet;
use serde_json::Value;

/// The current caseloads: for each program, each case manager's number of
/// active clients. Read by [`Engine::caseloads`](crate::Engine::caseloads).
///
/// ```
/// use serde_json::json;
/// let engine = careplan::reference().unwrap();
/// let context = json!({"caseloads": {"standard_case_management": {"cm-ana": 12, "cm-bo": 40}}});
/// let caseloads = engine.caseloads(&context).unwrap();
/// let profile = engine.profile(&json!({"id": "c-1", "needs": ["food", "legal"]})).unwrap();
/// let report = engine.evaluate(&profile, Some(&caseloads)).unwrap();
/// assert!(!report.warnings.iter().any(|w| w.code == "caseload_full"));
/// let err = engine.caseloads(&json!({"caseloads": {"standard_case_management": {"cm-ana": -1}}}));
/// assert!(err.unwrap_err().field.starts_with("caseloads.standard_case_management"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caseloads {
    /// Indexed by program; `None` where the context says nothing.
    pub(crate) programs: Vec<Option<Vec<(String, u64)>>>,
}

impl Caseloads {
    /// Reads `{"caseloads": {"program": {"case manager": count}}}`.
    pub(crate) fn read(rules: &RuleSet, value: &Value) -> Result<Caseloads, InputError> {
        let Value::Object(top) = value else {
            return Err(InputError::new(
                "",
                format!("a context is an object, found {}", shown(value)),
            ));
        };
        let mut out = Caseloads {
            programs: vec![None; rules.programs.len()],
        };
        // Program ids to indexes, so that a context naming every program of
        // a large rule set is read in linear time.
        let index: std::collections::HashMap<&str, usize> = rules
            .programs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.meta.id.as_str(), i))
            .collect();
        for (key, v) in top {
            if key != "caseloads" {
                return Err(InputError::new(
                    key,
                    "is not part of a caseload context (expected `caseloads`)",
                ));
            }
            let Value::Object(programs) = v else {
                return Err(InputError::new(
                    "caseloads",
                    format!("expected an object of programs, found {}", shown(v)),
                ));
            };
            for (pid, cms) in programs {
                let field = format!("caseloads.{pid}");
                let Some(&ix) = index.get(pid.as_str()) else {
                    let ids: Vec<&str> =
                        rules.programs.iter().map(|p| p.meta.id.as_str()).collect();
                    let hint = crate::diagnostic::did_you_mean(pid, ids.iter().copied())
                        .map(|m| format!(" (did you mean `{m}`?)"))
                        .unwrap_or_default();
                    return Err(InputError::new(
                        field,
                        format!("`{pid}` is not a program of this rule set{hint}"),
                    ));
                };
                let Value::Object(cms) = cms else {
                    return Err(InputError::new(
                        field,
                        format!(
                            "expected an object of case managers and their client counts, found {}",
                            shown(cms)
                        ),
                    ));
                };
                let mut list = Vec::with_capacity(cms.len());
                for (cm, n) in cms {
                    let count = n.as_u64().or_else(|| {
                        number(n)
                            .flatten()
                            .and_then(decimal::to_i64)
                            .and_then(|i| u64::try_from(i).ok())
                    });
                    let Some(count) = count else {
                        return Err(InputError::new(
                            format!("{field}.{cm}"),
                            format!(
                                "expected a whole number of clients (0 or more), found {}",
                                shown(n)
                            ),
                        ));
                    };
                    list.push((cm.clone(), count));
                }
                if let Some(slot) = out.programs.get_mut(ix) {
                    *slot = Some(list);
                }
            }
        }
        Ok(out)
    }
}
