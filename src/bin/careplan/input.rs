//! Reading profiles and contexts from files: JSON, YAML, TOML, JSON Lines.

use std::path::Path;

/// The data formats a profile or context may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Toml,
    JsonLines,
}

impl Format {
    /// The format a path's extension names; JSON when it names none.
    pub fn of(path: &str) -> Format {
        let ext = Path::new(path)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Format::Yaml,
            "toml" => Format::Toml,
            "jsonl" | "ndjson" => Format::JsonLines,
            _ => Format::Json,
        }
    }
}

/// Reads a whole file (or standard input for `-`) as UTF-8 text.
pub fn read_text(path: &str) -> Result<String, String> {
    let shown = if path == "-" {
        "standard input".to_string()
    } else {
        format!("`{path}`")
    };
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| format!("cannot read `{path}`: {e}"))?
    };
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{shown} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Parses one document in a format into a JSON value.
pub fn parse(text: &str, format: Format, name: &str) -> Result<serde_json::Value, String> {
    match format {
        Format::Json | Format::JsonLines => {
            parse_json(text).map_err(|e| format!("`{name}` is not valid JSON: {e}"))
        }
        Format::Yaml => {
            serde_yaml_ng::from_str(text).map_err(|e| format!("`{name}` is not valid YAML: {e}"))
        }
        Format::Toml => {
            toml::from_str(text).map_err(|e| format!("`{name}` is not valid TOML: {e}"))
        }
    }
}

/// Parses JSON without serde_json's recursion limit being the only guard:
/// serde_json refuses nesting deeper than 128 levels with an error, which is
/// what we want for hostile input.
pub fn parse_json(text: &str) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_str(text)
}
