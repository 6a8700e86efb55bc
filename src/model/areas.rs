//! Circuit templates and areas: a model file made of copies of a circuit.
//!
//! ```toml
//! [[template]]
//! name = "pd"
//! file = "../potjans_diesmann.toml"   # its populations, projections, stimuli and [scaling]
//!
//! [[template]]                         # a template made from another one, with overrides
//! name = "pd_som"                      # (the same keys as an area's, below)
//! base = "pd"
//! [[template.add_population]]
//! name = "L4S"
//!
//! [[area]]
//! name = "A1"
//! template = "pd"
//! level = 1                            # place in the hierarchy (reports sort areas by it)
//! [area.population.L4E]                # any population key, replacing the template's
//! tau_m = 12.0
//! [area.projection."L4E->L4I"]         # a template projection by name (default source->target)
//! rule = { fixed_total_number = { p = 0.1 } }
//! [[area.add_population]]              # populations only this area has
//! [[area.add_projection]]              # projections only this area has (local names)
//! [[area.add_stimulus]]                # stimuli only this area has
//!
//! [[projection]]                       # between areas: populations as AREA.POPULATION
//! source = "A1.L23E"
//! target = "A2.L4E"
//! ```
//!
//! [`expand`] turns such a file into a plain one before it is checked: every area's populations
//! become `AREA.NAME` (so stimuli, recorders, `--set population.A1.L4E.tau_m=…` and sweeps
//! address them by area and population), its projections, stimuli, `[[set]]` and
//! `[[silence]]` entries are copied with the names prefixed, relative paths are made relative
//! to the expanding file, and the templates' `[scaling]` reference rates and unscaled
//! populations are copied per area. What is left of an area is a short `[[area]]` entry (name,
//! template, level, populations) that outputs and reports use. A population or projection
//! override with `remove = true` drops it from the area. A template may also be written inline
//! (`population = [...]`, `projection = [...]`). `--set area.A1.template=pd_som` (keys under
//! `area.` and `template.`) changes the file before expansion, so that variants of a model can
//! differ by the templates of their areas.

use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The entries a circuit is made of, and the keys of each that name its populations.
const KINDS: [(&str, &[&str]); 5] = [
    ("population", &["name"]),
    ("projection", &["source", "target", "name"]),
    ("stimulus", &["target"]),
    ("set", &["population"]),
    ("silence", &["population"]),
];

/// Keys whose string values are paths relative to the file they are written in.
const PATH_KEYS: [&str; 4] = ["connectome", "file", "spike_times_file", "path"];

/// A template as loaded: its own tables, and the folder its relative paths start from.
struct Template {
    table: Table,
    /// The template file's folder relative to the expanding file's folder.
    dir: PathBuf,
}

/// Whether `t` has templates or areas to expand (an expanded model's `[[area]]` entries list
/// their `populations`).
pub(crate) fn has_templates(t: &Table) -> bool {
    t.contains_key("template")
        || matches!(t.get("area"), Some(Value::Array(a))
            if a.iter().any(|a| a.get("populations").is_none()))
}

/// Expands `[[template]]` and `[[area]]` in `t` (a model file at `path`). Errors name the
/// area, template or key.
pub(crate) fn expand(t: &mut Table, path: &Path) -> Result<(), String> {
    let templates = load_templates(t, path)?;
    let areas = match t.remove("area") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err("`area` must be an array of tables ([[area]])".into()),
        None => return Err("[[template]] is given but no [[area]] uses it".into()),
    };
    let mut out = Plain::take(t)?;
    let mut infos = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, a) in areas.into_iter().enumerate() {
        let Value::Table(mut a) = a else {
            return Err(format!("area {i}: expected a table"));
        };
        let name = take_str(&mut a, "name").ok_or(format!("area {i}: missing `name`"))?;
        let what = format!("area `{name}`");
        if name.is_empty() || name.contains(['.', '>']) {
            return Err(format!(
                "{what}: a name must be non-empty, without `.` or `>`"
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(format!("{what} is defined twice"));
        }
        let tname = take_str(&mut a, "template").ok_or(format!("{what}: missing `template`"))?;
        let tpl = templates
            .iter()
            .find(|(n, _)| *n == tname)
            .map(|(_, t)| t)
            .ok_or(format!(
                "{what}: no [[template]] named `{tname}` (templates: {})",
                templates
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?;
        let level = match a.remove("level") {
            None => None,
            Some(Value::Integer(l)) => Some(l),
            Some(v) => return Err(format!("{what}: `level` must be an integer, got {v}")),
        };
        let pops = instantiate(&name, tpl, &mut a, &mut out).map_err(|m| format!("{what}: {m}"))?;
        if let Some(k) = a.keys().next() {
            return Err(format!(
                "{what}: unknown key `{k}` (expected name, template, level, population, projection, add_population, add_projection, add_stimulus, reference_rates)"
            ));
        }
        let mut info = Table::new();
        info.insert("name".into(), Value::String(name));
        info.insert("template".into(), Value::String(tname));
        if let Some(l) = level {
            info.insert("level".into(), Value::Integer(l));
        }
        info.insert(
            "populations".into(),
            Value::Array(pops.into_iter().map(Value::String).collect()),
        );
        infos.push(Value::Table(info));
    }
    out.put(t, infos);
    Ok(())
}

/// The plain tables being assembled: each area's entries, then the file's own.
struct Plain {
    /// Per kind of [`KINDS`]: the areas' entries.
    lists: [Vec<Value>; 5],
    /// Per kind of [`KINDS`]: the file's own entries.
    own: [Vec<Value>; 5],
    rates: Table,
    unscaled: Vec<Value>,
    /// `[scaling]` N and K from the first template that has them.
    scale: Option<(Option<Value>, Option<Value>)>,
}

impl Plain {
    /// Takes the file's own populations, projections, stimuli, sets and silences out of `t`.
    fn take(t: &mut Table) -> Result<Plain, String> {
        let mut own: [Vec<Value>; 5] = Default::default();
        for ((k, _), list) in KINDS.iter().zip(&mut own) {
            *list = match t.remove(*k) {
                None => Vec::new(),
                Some(Value::Array(a)) => a,
                Some(_) => return Err(format!("`{k}` must be an array of tables ([[{k}]])")),
            };
        }
        Ok(Plain {
            lists: Default::default(),
            own,
            rates: Table::new(),
            unscaled: Vec::new(),
            scale: None,
        })
    }

    /// Puts the assembled tables into `t`; the file's own `[scaling]` keys win over the
    /// templates'.
    fn put(self, t: &mut Table, areas: Vec<Value>) {
        for (((k, _), mut v), own) in KINDS.iter().zip(self.lists).zip(self.own) {
            v.extend(own);
            if !v.is_empty() {
                t.insert((*k).into(), Value::Array(v));
            }
        }
        if !self.rates.is_empty() || !self.unscaled.is_empty() || self.scale.is_some() {
            let scaling = t
                .entry("scaling")
                .or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(s) = scaling {
                if let Some((n, k)) = self.scale {
                    for (key, v) in [("N", n), ("K", k)] {
                        if let Some(v) = v {
                            s.entry(key).or_insert(v);
                        }
                    }
                }
                if let Value::Table(r) = s
                    .entry("reference_rates")
                    .or_insert_with(|| Value::Table(Table::new()))
                {
                    for (k, v) in self.rates {
                        r.entry(k).or_insert(v);
                    }
                }
                if let Value::Array(u) = s
                    .entry("unscaled")
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    u.extend(self.unscaled);
                }
            }
        }
        t.insert("area".into(), Value::Array(areas));
    }
}

/// The keys of a model file that a template's circuit is made of; a template file may also
/// have the rest of a model (`simulation`, `record`), which its areas do not take.
const CIRCUIT_KEYS: [&str; 8] = [
    "population",
    "projection",
    "stimulus",
    "set",
    "silence",
    "scaling",
    "simulation",
    "record",
];

/// The keys of a template's `[scaling]`.
const SCALING_KEYS: [&str; 4] = ["N", "K", "reference_rates", "unscaled"];

/// Refuses a key of a template without `base` (written in place, or a file) that no model
/// file has, and a key of its `[scaling]` that scaling does not have: the expansion takes only
/// the keys it knows, so any other would be dropped without a word.
fn check_circuit_keys(t: &Table) -> Result<(), String> {
    if let Some(k) = t.keys().find(|k| !CIRCUIT_KEYS.contains(&k.as_str())) {
        let hint = if k == "reference_rates" {
            "; a circuit's reference rates go in its [scaling]: scaling = { reference_rates = { ... } }"
        } else {
            ""
        };
        return Err(format!(
            "unknown key `{k}` (a template without `base` takes the keys of a model file: {}){hint}",
            CIRCUIT_KEYS.join(", ")
        ));
    }
    if let Some(sc) = t.get("scaling") {
        let Value::Table(sc) = sc else {
            return Err("`scaling` must be a table".into());
        };
        if let Some(k) = sc.keys().find(|k| !SCALING_KEYS.contains(&k.as_str())) {
            return Err(format!(
                "unknown key `scaling.{k}` (expected {})",
                SCALING_KEYS.join(", ")
            ));
        }
    }
    Ok(())
}

fn load_templates(t: &mut Table, path: &Path) -> Result<Vec<(String, Template)>, String> {
    let list = match t.remove("template") {
        Some(Value::Array(list)) => list,
        Some(_) => return Err("`template` must be an array of tables ([[template]])".into()),
        None => return Err("an [[area]] is a copy of a [[template]], and there is none".into()),
    };
    let mut out: Vec<(String, Template)> = Vec::new();
    for (i, v) in list.into_iter().enumerate() {
        let Value::Table(mut v) = v else {
            return Err(format!("template {i}: expected a table"));
        };
        let name = take_str(&mut v, "name").ok_or(format!("template {i}: missing `name`"))?;
        if out.iter().any(|(n, _)| *n == name) {
            return Err(format!("template `{name}` is defined twice"));
        }
        let base_name = take_str(&mut v, "base");
        let tpl = match take_str(&mut v, "file") {
            Some(_) if base_name.is_some() => {
                return Err(format!("template `{name}`: `file` or `base`, not both"));
            }
            None if base_name.is_some() => {
                let b = base_name.unwrap_or_default();
                let base = out
                    .iter()
                    .find(|(n, _)| *n == b)
                    .map(|(_, t)| t)
                    .ok_or(format!(
                        "template `{name}`: its base `{b}` is not a [[template]] defined before it"
                    ))?;
                let derived =
                    derive(base, &mut v).map_err(|m| format!("template `{name}`: {m}"))?;
                if let Some(k) = v.keys().next() {
                    return Err(format!(
                        "template `{name}`: unknown key `{k}` (a template with `base` takes population, projection, add_population, add_projection, add_stimulus, reference_rates)"
                    ));
                }
                derived
            }
            Some(file) => {
                if !v.is_empty() {
                    return Err(format!(
                        "template `{name}`: with `file`, no other keys (override per area)"
                    ));
                }
                let base = path.parent().unwrap_or(Path::new("."));
                let full = base.join(&file);
                let text = std::fs::read_to_string(&full)
                    .map_err(|e| format!("template `{name}`: reading {}: {e}", full.display()))?;
                let table: Table = text.parse().map_err(|e: toml::de::Error| {
                    format!("template `{name}`: {}: {}", full.display(), e.message())
                })?;
                if has_templates(&table) || table.contains_key("area") {
                    return Err(format!(
                        "template `{name}`: {} has areas of its own; a template is one circuit",
                        full.display()
                    ));
                }
                check_circuit_keys(&table)
                    .map_err(|m| format!("template `{name}`: {}: {m}", full.display()))?;
                let dir = Path::new(&file)
                    .parent()
                    .unwrap_or(Path::new(""))
                    .to_owned();
                Template { table, dir }
            }
            None => {
                check_circuit_keys(&v).map_err(|m| format!("template `{name}`: {m}"))?;
                Template {
                    table: v,
                    dir: PathBuf::new(),
                }
            }
        };
        out.push((name, tpl));
    }
    Ok(out)
}

/// The circuit of `tpl` with the overrides in `o` (taken out of it): population and
/// projection overrides, removals and additions, reference rates. Paths in the result are
/// relative to the expanding file.
fn derive(tpl: &Template, o: &mut Table) -> Result<Template, String> {
    let mut pop_over = take_table(o, "population")?;
    let mut proj_over = take_table(o, "projection")?;
    let add_pops = take_array(o, "add_population")?;
    let add_projs = take_array(o, "add_projection")?;
    let own_rates = take_table(o, "reference_rates")?;
    let add_stimuli = take_array(o, "add_stimulus")?;

    let mut pops = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut removed = Vec::new();
    let tpl_pops = array_of(&tpl.table, "population")?;
    let all_pops = tpl_pops
        .iter()
        .cloned()
        .map(|p| (p, true))
        .chain(add_pops.into_iter().map(|p| (p, false)));
    for (p, from_template) in all_pops {
        let Value::Table(mut p) = p else {
            return Err("a population is not a table".into());
        };
        let name = str_of(&p, "name").ok_or("a population without `name`")?;
        if from_template {
            rebase(&mut p, &tpl.dir);
            if let Some(ov) = pop_over.remove(&name)
                && !apply(&mut p, ov, &format!("population.{name}"), &["name"])?
            {
                removed.push(name);
                continue;
            }
        }
        if name.contains('.') {
            return Err(format!(
                "population `{name}`: a name in a template has no `.`"
            ));
        }
        if names.contains(&name) {
            return Err(format!("population `{name}` is defined twice"));
        }
        names.push(name);
        pops.push(Value::Table(p));
    }
    if let Some(k) = pop_over.keys().next() {
        return Err(format!(
            "`population.{k}` overrides no population of the template"
        ));
    }
    let mut projs = Vec::new();
    let all_projs = array_of(&tpl.table, "projection")?
        .iter()
        .cloned()
        .map(|p| (p, true))
        .chain(add_projs.into_iter().map(|p| (p, false)));
    for (proj, from_template) in all_projs {
        let Value::Table(mut p) = proj else {
            return Err("a projection is not a table".into());
        };
        let (src, tgt) = (
            str_of(&p, "source").ok_or("a projection without `source`")?,
            str_of(&p, "target").ok_or("a projection without `target`")?,
        );
        let pname = str_of(&p, "name").unwrap_or(format!("{src}->{tgt}"));
        if from_template {
            rebase(&mut p, &tpl.dir);
            if removed.contains(&src) || removed.contains(&tgt) {
                proj_over.remove(&pname);
                continue;
            }
            if let Some(ov) = proj_over.remove(&pname)
                && !apply(
                    &mut p,
                    ov,
                    &format!("projection.\"{pname}\""),
                    &["source", "target"],
                )?
            {
                continue;
            }
        }
        for (key, n) in [("source", &src), ("target", &tgt)] {
            if !names.contains(n) {
                return Err(format!(
                    "projection `{pname}`: {key} `{n}` is not a population of this circuit"
                ));
            }
        }
        projs.push(Value::Table(p));
    }
    if let Some(k) = proj_over.keys().next() {
        return Err(format!(
            "`projection.\"{k}\"` overrides no projection of the template (projections are named `source->target` unless they have a `name`)"
        ));
    }
    let mut table = Table::new();
    table.insert("population".into(), Value::Array(pops));
    table.insert("projection".into(), Value::Array(projs));
    for (key, fields) in &KINDS[2..] {
        let (key, field) = (*key, fields[0]);
        let mut list = Vec::new();
        for v in array_of(&tpl.table, key)? {
            let Value::Table(mut e) = v.clone() else {
                return Err(format!("a {key} entry is not a table"));
            };
            rebase(&mut e, &tpl.dir);
            let n = str_of(&e, field).ok_or(format!("a {key} entry without `{field}`"))?;
            if !removed.contains(&n) {
                list.push(Value::Table(e));
            }
        }
        if key == "stimulus" {
            for e in &add_stimuli {
                let n = e.get(field).and_then(Value::as_str).unwrap_or_default();
                if !names.iter().any(|m| m == n) {
                    return Err(format!(
                        "an added stimulus: target `{n}` is not a population of this circuit"
                    ));
                }
                list.push(e.clone());
            }
        }
        table.insert(key.into(), Value::Array(list));
    }
    let mut scaling = Table::new();
    let mut rates = Table::new();
    let mut unscaled = Vec::new();
    if let Some(Value::Table(sc)) = tpl.table.get("scaling") {
        for k in ["N", "K"] {
            if let Some(v) = sc.get(k) {
                scaling.insert(k.into(), v.clone());
            }
        }
        if let Some(Value::Table(r)) = sc.get("reference_rates") {
            rates.extend(
                r.iter()
                    .filter(|(k, _)| names.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        if let Some(Value::Array(u)) = sc.get("unscaled") {
            unscaled.extend(
                u.iter()
                    .filter(|v| v.as_str().is_some_and(|n| names.iter().any(|m| m == n)))
                    .cloned(),
            );
        }
    }
    for (k, v) in own_rates {
        if !names.contains(&k) {
            return Err(format!(
                "`reference_rates.{k}`: no population `{k}` in this circuit"
            ));
        }
        rates.insert(k, v);
    }
    scaling.insert("reference_rates".into(), Value::Table(rates));
    scaling.insert("unscaled".into(), Value::Array(unscaled));
    table.insert("scaling".into(), Value::Table(scaling));
    Ok(Template {
        table,
        dir: PathBuf::new(),
    })
}

/// Copies template `tpl` with the overrides in `a` as area `area` into `out`. Returns the
/// area's population names (prefixed).
fn instantiate(
    area: &str,
    tpl: &Template,
    a: &mut Table,
    out: &mut Plain,
) -> Result<Vec<String>, String> {
    let c = derive(tpl, a)?;
    let prefix = |n: &str| format!("{area}.{n}");
    for ((key, fields), list) in KINDS.iter().zip(&mut out.lists) {
        for e in array_of(&c.table, key)? {
            let mut e = e.as_table().cloned().unwrap_or_default();
            for f in *fields {
                if let Some(Value::String(n)) = e.get_mut(*f) {
                    *n = prefix(n);
                }
            }
            list.push(Value::Table(e));
        }
    }
    let names: Vec<String> = array_of(&c.table, "population")?
        .iter()
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .map(prefix)
        .collect();
    let Some(Value::Table(sc)) = c.table.get("scaling") else {
        return Ok(names);
    };
    let scale = (sc.get("N").cloned(), sc.get("K").cloned());
    if scale != (None, None) {
        match &out.scale {
            None => out.scale = Some(scale),
            Some(prev) if *prev != scale => {
                return Err("its template's [scaling] N or K differs from another template's; give them in this file's [scaling]".into());
            }
            Some(_) => {}
        }
    }
    if let Some(Value::Table(r)) = sc.get("reference_rates") {
        for (k, v) in r {
            out.rates.insert(prefix(k), v.clone());
        }
    }
    if let Some(Value::Array(u)) = sc.get("unscaled") {
        out.unscaled.extend(
            u.iter()
                .filter_map(Value::as_str)
                .map(|n| Value::String(prefix(n))),
        );
    }
    Ok(names)
}

/// Applies the override `ov` (the table at key `what`) to `entry`: its keys replace the
/// entry's, except `fixed` ones, which it may not change. False when it says `remove = true`.
fn apply(entry: &mut Table, ov: Value, what: &str, fixed: &[&str]) -> Result<bool, String> {
    let Value::Table(ov) = ov else {
        return Err(format!("`{what}` must be a table of keys"));
    };
    if ov.get("remove").and_then(Value::as_bool) == Some(true) {
        return Ok(false);
    }
    for (k, v) in ov {
        if fixed.contains(&k.as_str()) {
            return Err(format!(
                "`{what}`: `{k}` is the template's (remove this one and add another)"
            ));
        }
        entry.insert(k, v);
    }
    Ok(true)
}

/// Makes the relative paths in `v` (values of [`PATH_KEYS`], at any depth) start from the
/// expanding file's folder instead of the template's.
fn rebase(v: &mut Table, dir: &Path) {
    if dir.as_os_str().is_empty() {
        return;
    }
    for (k, val) in v.iter_mut() {
        match val {
            Value::String(s) if PATH_KEYS.contains(&k.as_str()) && Path::new(s).is_relative() => {
                *s = dir.join(&*s).to_string_lossy().into_owned();
            }
            Value::Table(t) => rebase(t, dir),
            _ => {}
        }
    }
}

fn take_str(t: &mut Table, k: &str) -> Option<String> {
    match t.remove(k) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn str_of(t: &Table, k: &str) -> Option<String> {
    t.get(k).and_then(Value::as_str).map(str::to_owned)
}

fn take_table(t: &mut Table, k: &str) -> Result<Table, String> {
    match t.remove(k) {
        None => Ok(Table::new()),
        Some(Value::Table(x)) => Ok(x),
        Some(_) => Err(format!("`{k}` must be a table")),
    }
}

fn take_array(t: &mut Table, k: &str) -> Result<Vec<Value>, String> {
    match t.remove(k) {
        None => Ok(Vec::new()),
        Some(Value::Array(x)) => Ok(x),
        Some(_) => Err(format!("`{k}` must be an array of tables ([[area.{k}]])")),
    }
}

fn array_of<'a>(t: &'a Table, k: &str) -> Result<&'a [Value], String> {
    match t.get(k) {
        None => Ok(&[]),
        Some(Value::Array(x)) => Ok(x),
        Some(_) => Err(format!("the template's `{k}` must be an array of tables")),
    }
}
