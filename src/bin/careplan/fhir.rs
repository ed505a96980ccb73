//! The CLI's side of FHIR: finding and reading a rule set's mapping
//! (`fhir.yaml`, `fhir.yml` or `fhir.json` in the rules directory; the
//! bundled `rules/fhir.yaml` for the built-in policy), and
//! `careplan eval --fhir BUNDLE.json`. The mapping and bundle logic is the
//! library's (`careplan::fhir`).

use crate::input::{self, Format};
use careplan::Engine;
use careplan::fhir::{Mapping, Resources};
use std::path::Path;

/// The bundled policy's mapping, as shipped in `rules/`.
const REFERENCE_MAPPING: &str = include_str!("../../../rules/fhir.yaml");

/// The names a mapping file may have in a rules directory, in the order
/// they are looked for.
const NAMES: [&str; 3] = ["fhir.yaml", "fhir.yml", "fhir.json"];

/// Reads and checks the rule set's FHIR mapping. `Ok(None)` when the rules
/// directory has none; every problem is one line of the error, naming the
/// file and the key.
pub fn load_mapping(rules: Option<&str>, engine: &Engine) -> Result<Option<Mapping>, Vec<String>> {
    let (name, text) = match rules {
        None => ("rules/fhir.yaml".to_string(), REFERENCE_MAPPING.to_string()),
        Some(dir) => {
            let found = NAMES
                .iter()
                .map(|n| Path::new(dir).join(n))
                .find(|p| p.is_file());
            let Some(path) = found else { return Ok(None) };
            let shown = path.display().to_string();
            let text = input::read_text(&shown).map_err(|e| vec![format!("error: {e}")])?;
            (shown, text)
        }
    };
    let format = if name.ends_with(".json") {
        Format::Json
    } else {
        Format::Yaml
    };
    let value = input::parse(&text, format, &name)
        .map_err(|e| vec![format!("error: {}", e.shown("FHIR mapping", &name))])?;
    Mapping::check(&value, &name, engine)
        .map(Some)
        .map_err(|errors| errors.iter().map(|e| format!("error: {e}")).collect())
}

/// Reads a FHIR R4 Bundle file into a profile through the rule set's
/// mapping, relative to `as_of`.
pub fn bundle_profile(
    rules: Option<&str>,
    engine: &Engine,
    path: &str,
    as_of: jiff::civil::Date,
) -> Result<serde_json::Value, crate::Fail> {
    let mapping = load_mapping(rules, engine)
        .map_err(|e| crate::Fail::input(e.join("\n")))?
        .ok_or_else(|| {
            crate::Fail::usage(format!(
                "error: the rules directory `{}` has no FHIR mapping (fhir.yaml or fhir.json)",
                rules.unwrap_or("rules")
            ))
        })?;
    let bundle = crate::read_document(path, Format::Json, "FHIR bundle")?;
    Resources::from_bundle(&bundle)
        .and_then(|r| careplan::fhir::profile(&mapping, &r, as_of))
        .map_err(|e| crate::Fail::input(format!("error: in FHIR bundle `{path}`: {e}")))
}
