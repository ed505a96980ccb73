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

/// The files under `paths`: files as named, directories searched
/// recursively for the given extensions, in name order.
pub fn files_under(
    paths: &[String],
    extensions: &[&str],
) -> Result<Vec<std::path::PathBuf>, String> {
    fn walk(
        dir: &Path,
        extensions: &[&str],
        out: &mut Vec<std::path::PathBuf>,
    ) -> std::io::Result<()> {
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, extensions, out)?;
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            walk(path, extensions, &mut out).map_err(|e| format!("cannot read `{p}`: {e}"))?;
        } else if path.is_file() {
            out.push(path.to_path_buf());
        } else {
            return Err(format!("`{p}` is not a file or directory"));
        }
    }
    Ok(out)
}
