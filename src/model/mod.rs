//! Model files: parsing ([`spec`]), overrides from the command line, and building a network
//! ([`build`]). A model is read once; everything after works on the validated [`Model`].

pub mod areas;
pub mod build;
pub mod learn;
pub mod memory;
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
    /// The text that was parsed (stored in outputs): with areas expanded and overrides
    /// applied, if there were any.
    pub text: String,
    /// Whether `text` is not the file's own (areas expanded or overrides applied), so that
    /// messages say which text their line numbers are in.
    pub rewritten: Option<&'static str>,
    /// Bytes a build may use: a model whose memory estimate ([`memory`]) is larger is
    /// refused before its synapses are made. `None` (the default) checks nothing; the command
    /// line sets it to the memory available.
    pub memory_limit: Option<u64>,
    /// Whether the run writes an output file: the memory estimate then counts its caches
    /// ([`memory::OUTPUT_BYTES`]).
    pub writes_output: bool,
    /// Every file a path in the model resolved to ([`Model::resolve`]), in first-use order.
    inputs: std::sync::Mutex<Vec<PathBuf>>,
}

impl Model {
    /// Reads and parses a model file.
    pub fn load(path: &Path) -> Result<Model> {
        Model::load_with(path, &[])
    }

    /// Reads a model file and applies `key=value` overrides (TOML values; keys like
    /// `simulation.duration`, `population.E.I_e` (by name; `population.A1.L4E.I_e` for an
    /// area's population) or `projection.0.weight`). Areas are expanded first
    /// ([`areas`]), so overrides address the expanded model.
    pub fn load_with(path: &Path, overrides: &[String]) -> Result<Model> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        Model::parse_with(&text, path, overrides)
    }

    /// Parses model text; `path` is used in messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Model> {
        Model::parse_with(text, path, &[])
    }

    /// Parses model text, expands its areas and applies `key=value` overrides.
    pub fn parse_with(text: &str, path: &Path, overrides: &[String]) -> Result<Model> {
        let mut table = Model::table_of(text, path)?;
        let expanded = areas::has_templates(&table);
        if !expanded && overrides.is_empty() {
            // Parsed from the text itself, so that messages give the file's own lines.
            return Model::parse_plain(text, path);
        }
        Model::rewrite(&mut table, path, overrides)?;
        let note = match (expanded, overrides.is_empty()) {
            (true, true) => {
                "in the model with its areas expanded (`hebb inspect MODEL --expanded`)"
            }
            (true, false) => "in the model with its areas expanded and --set applied",
            (false, _) => "after --set overrides",
        };
        Model::from_table(table, path, note)
    }

    /// A model file as a TOML table with its areas expanded and `key=value` overrides
    /// applied, for programs that change it further before it is read (an experiment sets
    /// its stimulus); [`Model::from_table`] reads the result.
    pub fn load_table(path: &Path, overrides: &[String]) -> Result<toml::Table> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let mut table = Model::table_of(&text, path)?;
        Model::rewrite(&mut table, path, overrides)?;
        Ok(table)
    }

    fn table_of(text: &str, path: &Path) -> Result<toml::Table> {
        text.parse()
            .map_err(|e: toml::de::Error| model_err(path, format_toml_error(&e)))
    }

    /// Expands areas and applies overrides.
    /// Overrides of `area.…` and `template.…` change the file before its areas are expanded
    /// (`--set area.A1.template=s1` gives an area another template); the others change the
    /// expanded model.
    fn rewrite(table: &mut toml::Table, path: &Path, overrides: &[String]) -> Result<()> {
        let set = |table: &mut toml::Table, o: &String| {
            apply_override(table, o).map_err(|m| model_err(path, format!("--set {o}: {m}")))
        };
        let early = |o: &&String| o.starts_with("area.") || o.starts_with("template.");
        if areas::has_templates(table) {
            for o in overrides.iter().filter(early) {
                set(table, o)?;
            }
            areas::expand(table, path).map_err(|m| model_err(path, m))?;
            for o in overrides.iter().filter(|o| !early(o)) {
                set(table, o)?;
            }
        } else {
            for o in overrides {
                set(table, o)?;
            }
        }
        Ok(())
    }

    /// Reads a model from a TOML table (as [`Model::load_table`] gives it, possibly changed
    /// since); `note` says how the text was rewritten, for messages (their line numbers are
    /// in the rewritten text).
    pub fn from_table(table: toml::Table, path: &Path, note: &'static str) -> Result<Model> {
        let text = toml::to_string(&table).map_err(|e| model_err(path, e.to_string()))?;
        let mut m = Model::parse_plain(&text, path).map_err(|e| match e {
            Error::Model { path, message } => Error::Model {
                path,
                message: format!("{message} ({note})"),
            },
            e => e,
        })?;
        m.rewritten = Some(note);
        Ok(m)
    }

    fn parse_plain(text: &str, path: &Path) -> Result<Model> {
        let spec: Spec =
            toml::from_str(text).map_err(|e| model_err(path, format_toml_error(&e)))?;
        Ok(Model {
            spec,
            path: path.to_owned(),
            text: text.to_owned(),
            rewritten: None,
            memory_limit: None,
            writes_output: false,
            inputs: Default::default(),
        })
    }

    /// An error at the span of a key, with the line number.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Error {
        let message = message.into();
        let message = if span.end > 0 {
            let line = spec::line_of(&self.text, span.start);
            match self.rewritten {
                Some(note) => format!("line {line} ({note}): {message}"),
                None => format!("line {line}: {message}"),
            }
        } else {
            message
        };
        model_err(&self.path, message)
    }

    /// A path in the model file, resolved against the model file's folder. Every file the
    /// build reads goes through here, and is remembered ([`Model::inputs`]).
    pub fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        let full = if p.is_absolute() {
            p.to_owned()
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        };
        let mut inputs = self.inputs.lock().unwrap_or_else(|e| e.into_inner());
        if !inputs.contains(&full) {
            inputs.push(full.clone());
        }
        full
    }

    /// The files the model's paths resolved to so far, in first-use order: after a build,
    /// every file it read (connectomes, edge lists, spike lists, id lists, columns).
    pub fn inputs(&self) -> Vec<PathBuf> {
        self.inputs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn model_err(path: &Path, message: String) -> Error {
    Error::Model {
        path: path.to_owned(),
        message,
    }
}

/// The TOML parser's message, on one line per fact: "line L, column C: what".
pub(crate) fn format_toml_error(e: &toml::de::Error) -> String {
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
            let (sel, _) = rest.split_first().ok_or("missing element name or index")?;
            // By index, or by name; a name may hold dots (`A1.L4E`): the longest that names an
            // element, with a key after it.
            let found = match sel.parse::<usize>() {
                Ok(k) => Some(k).filter(|&k| k < arr.len()).map(|k| (k, 1)),
                Err(_) => (1..=rest.len()).rev().find_map(|j| {
                    let name = rest[..j].join(".");
                    arr.iter()
                        .position(|e| e.get("name").and_then(|n| n.as_str()) == Some(&name))
                        .map(|k| (k, j))
                }),
            };
            let (k, used) = found.ok_or_else(|| format!("no element `{sel}` in `{first}`"))?;
            let rest = &rest[used..];
            match &mut arr[k] {
                toml::Value::Table(sub) if !rest.is_empty() => set_path(sub, rest, value),
                _ => Err(format!("`{first}.{sel}` needs a key after it")),
            }
        }
        Some(_) => Err(format!("`{first}` is not a table")),
        None => Err(format!("no key `{first}`")),
    }
}
