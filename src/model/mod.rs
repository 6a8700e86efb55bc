//! Model files: parsing ([`spec`]), overrides from the command line, and building a network
//! ([`build`]). A model is read once; everything after works on the validated [`Model`].

pub mod build;
pub mod learn;
pub mod neurons;
pub(crate) mod scaling;
pub mod spec;
pub mod wire;

use crate::error::{Error, Result};
use spec::Spec;
use std::path::{Path, PathBuf};

/// A parsed, type-checked model file.
#[derive(Debug)]
pub struct Model {
    /// The parsed content.
    pub spec: Spec,
    /// Where it came from (relative paths in it are relative to its folder).
    pub path: PathBuf,
    /// The text that was parsed (stored in outputs).
    pub text: String,
}

impl Model {
    /// Reads and parses a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Model::parse(&text, path)
    }

    /// Reads a model file and applies `key=value` overrides (TOML values; keys like
    /// `simulation.duration`, `population.E.I_e` (by name) or `projection.0.weight`).
    pub fn load_with(path: &Path, overrides: &[String]) -> Result<Model> {
        if overrides.is_empty() {
            return Model::load(path);
        }
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| model_err(path, e.to_string()))?;
        for o in overrides {
            apply_override(&mut table, o)
                .map_err(|m| model_err(path, format!("--set {o}: {m}")))?;
        }
        let new_text = toml::to_string(&table).map_err(|e| model_err(path, e.to_string()))?;
        Model::parse(&new_text, path).map_err(|e| match e {
            Error::Model { path, message } => Error::Model {
                path,
                message: format!("{message} (after --set overrides)"),
            },
            e => e,
        })
    }

    /// Parses model text; `path` is used in messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Model> {
        let spec: Spec =
            toml::from_str(text).map_err(|e| model_err(path, format_toml_error(&e)))?;
        Ok(Model {
            spec,
            path: path.to_owned(),
            text: text.to_owned(),
        })
    }

    /// An error at the span of a key, with the line number.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Error {
        let message = message.into();
        let message = if span.end > 0 {
            format!("line {}: {message}", spec::line_of(&self.text, span.start))
        } else {
            message
        };
        model_err(&self.path, message)
    }

    /// A path in the model file, resolved against the model file's folder.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }
}

fn model_err(path: &Path, message: String) -> Error {
    Error::Model {
        path: path.to_owned(),
        message,
    }
}

/// The TOML parser's message, on one line per fact: "line L, column C: what".
fn format_toml_error(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_owned();
    match e.span() {
        Some(_) => {
            // The Display form carries "TOML parse error at line L, column C" and a snippet.
            let full = e.to_string();
            let head = full
                .lines()
                .next()
                .unwrap_or("")
                .replace("TOML parse error at ", "");
            format!("{head}: {msg}")
        }
        None => msg,
    }
}

fn apply_override(table: &mut toml::Table, o: &str) -> std::result::Result<(), String> {
    let (key, value) = o.split_once('=').ok_or("expected key=value")?;
    let value: toml::Value = {
        let doc: toml::Table = format!("v = {}", value.trim())
            .parse()
            .or_else(|_| format!("v = \"{}\"", value.trim()).parse())
            .map_err(|e: toml::de::Error| e.message().to_owned())?;
        doc["v"].clone()
    };
    let parts: Vec<&str> = key.trim().split('.').collect();
    set_path(table, &parts, value)
}

/// Sets `parts` in `t`; an array of tables is indexed by position or by its `name` key.
fn set_path(
    t: &mut toml::Table,
    parts: &[&str],
    value: toml::Value,
) -> std::result::Result<(), String> {
    let (first, rest) = parts.split_first().ok_or("empty key")?;
    if rest.is_empty() {
        t.insert((*first).to_owned(), value);
        return Ok(());
    }
    match t.get_mut(*first) {
        Some(toml::Value::Table(sub)) => set_path(sub, rest, value),
        Some(toml::Value::Array(arr)) => {
            let (sel, rest) = rest.split_first().ok_or("missing element name or index")?;
            let pos = match sel.parse::<usize>() {
                Ok(k) => Some(k).filter(|&k| k < arr.len()),
                Err(_) => arr
                    .iter()
                    .position(|e| e.get("name").and_then(|n| n.as_str()) == Some(*sel)),
            };
            let k = pos.ok_or_else(|| format!("no element `{sel}` in `{first}`"))?;
            match &mut arr[k] {
                toml::Value::Table(sub) if !rest.is_empty() => set_path(sub, rest, value),
                _ => Err(format!("`{first}.{sel}` needs a key after it")),
            }
        }
        Some(_) => Err(format!("`{first}` is not a table")),
        None => Err(format!("no key `{first}`")),
    }
}
