//! Soundness of `cue::compat::check`, measured by generated schema pairs and documents.
//!
//! The seeds are real definitions: the schema template's sources (`schemas-repo-template/`,
//! each source file with the shared `common` definitions it imports inlined) and every version
//! of every compatibility fixture (`tests/compat/*/{older,previous,current}/`). A pair is a seed
//! mutated zero or one time (the previous version) and that text mutated one to three more
//! times (the current version). The mutations are textual and blind: bounds moved, added,
//! removed or made strict, enum members and struct alternatives removed or added, fields made
//! optional, required or regular, added or removed, structs opened or closed, types changed,
//! `null` allowed, list lengths changed, regular expressions edited, added or removed, defaults
//! moved. A mutant that does not load (or whose definition does not compile) is counted and
//! dropped.
//!
//! For every pair and each of BACKWARD and FORWARD, the test asks `compat::check` and then the
//! engine's validator about generated documents (built from both versions' JSON Schema exports
//! and from literals harvested from both texts, then perturbed), and counts a disagreement when
//!
//! - the check reports no error in the mode, yet a document the accepting version takes (the
//!   previous one for BACKWARD, the current one for FORWARD) is rejected by the other;
//! - the check reports an error without a counterexample;
//! - a counterexample does not hold: the version it names as accepting rejects it, or the
//!   version it names as rejecting accepts it.
//!
//! The figures are printed (`--nocapture`); the test fails on any disagreement, printing the
//! pair and the document. `CUEMESH_SOUNDNESS_CASES` sets the number of pairs (default 150,
//! seconds in a debug build), `CUEMESH_SOUNDNESS_SEED` the seed (default 19);
//! `bench/soundness` runs many more in a release build.

use std::collections::BTreeSet;
use std::path::Path;

use cue::compat::{check, Mode, Side, Version};
use cue::re2::inclusion::{member, Difference, StringSet};
use cue::{NoImports, Package, PackageFiles, Severity};
use regex::Regex;
use serde_json::{json, Map, Value as Json};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

/// One seed: the text of a package and the definitions it declares at the top level.
struct Seed {
    name: String,
    text: String,
}

/// `text` without `//` comments (quotes respected).
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut cut = line.len();
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else if b == b'"' {
                in_string = true;
            } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
                cut = i;
                break;
            }
        }
        let kept = line[..cut].trim_end();
        if !kept.is_empty() {
            out.push_str(kept);
            out.push('\n');
        }
    }
    out
}

/// `text` without its `package` clause, imports, and the top-level blocks named in `drop`
/// (a line `name: {` up to its matching `}`).
fn definitions_only(text: &str, drop: &[&str]) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with("package ") || trimmed.starts_with("import \"") {
            continue;
        }
        if trimmed == "import (" {
            for inner in lines.by_ref() {
                if inner.trim() == ")" {
                    break;
                }
            }
            continue;
        }
        if drop
            .iter()
            .any(|name| line.starts_with(&format!("{name}:")) && line.ends_with('{'))
        {
            let mut depth = 1i32;
            for inner in lines.by_ref() {
                depth += inner.matches('{').count() as i32 - inner.matches('}').count() as i32;
                if depth <= 0 {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn with_header(body: &str) -> String {
    let import = if body.contains("time.") {
        "import \"time\"\n\n"
    } else {
        ""
    };
    let list = if body.contains("list.") {
        "import \"list\"\n\n"
    } else {
        ""
    };
    let strings = if body.contains("strings.") {
        "import \"strings\"\n\n"
    } else {
        ""
    };
    format!("package seed\n\n{import}{list}{strings}{body}")
}

fn seeds(root: &Path) -> Vec<Seed> {
    let mut seeds = Vec::new();
    let template = root.join("../schemas-repo-template/sources");
    let common = std::fs::read_to_string(template.join("common/common.cue"))
        .expect("the template's common.cue");
    let common = definitions_only(&strip_comments(&common), &[]);
    let mut sources: Vec<_> = std::fs::read_dir(&template)
        .expect("the template's sources")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "common"))
        .collect();
    sources.sort();
    for dir in sources {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("a source folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "cue"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a template file");
            let mut body = definitions_only(&strip_comments(&text), &["source", "events"]);
            if body.contains("common.#") {
                body = body.replace("common.#", "#");
                body.push_str(&common);
            }
            seeds.push(Seed {
                name: format!("template/{}", file.file_name().unwrap().to_string_lossy()),
                text: with_header(&body),
            });
        }
    }
    let fixtures = root.join("tests/compat");
    let mut cases: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("tests/compat")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut seen = BTreeSet::new();
    for case in cases {
        for version in ["older", "previous", "current"] {
            let dir = case.join(version);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<_> = entries
                .map(|e| e.expect("an entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "cue"))
                .collect();
            files.sort();
            let body: String = files
                .iter()
                .map(|f| {
                    definitions_only(
                        &strip_comments(&std::fs::read_to_string(f).expect("a fixture")),
                        &[],
                    )
                })
                .collect();
            if seen.insert(body.clone()) {
                seeds.push(Seed {
                    name: format!(
                        "fixture/{}/{version}",
                        case.file_name().unwrap().to_string_lossy()
                    ),
                    text: with_header(&body),
                });
            }
        }
    }
    seeds
}

/// One textual edit: replace `range` of the text by `with`.
struct Edit {
    range: std::ops::Range<usize>,
    with: String,
    what: &'static str,
}

/// The mutation operators, each a regular expression whose matches are sites and a function
/// from the match to its replacement.
struct Mutator {
    operators: Vec<(&'static str, Regex, Replace)>,
}

/// What a mutation operator puts in place of one of its matches.
type Replace = fn(&regex::Captures, &mut Rng) -> String;

const NUMBERS: [&str; 7] = ["0", "1", "2", "5", "10", "50", "100"];
const TYPES: [&str; 6] = ["int", "number", "string", "bool", "float", "_"];

impl Mutator {
    fn new() -> Mutator {
        let ops: Vec<(&'static str, &str, Replace)> = vec![
            ("bound moved", r"(>=|<=|>|<|!=)\s*(-?\d+)", |c, r| {
                let n: i64 = c[2].parse().unwrap_or(0);
                let delta = *r.pick(&[-10i64, -1, 1, 10]).unwrap();
                format!("{}{}", &c[1], n + delta)
            }),
            (
                "bound strictness flipped",
                r"(>=|<=|>|<)(\s*-?\d)",
                |c, _| {
                    let op = match &c[1] {
                        ">=" => ">",
                        ">" => ">=",
                        "<=" => "<",
                        _ => "<=",
                    };
                    format!("{op}{}", &c[2])
                },
            ),
            (
                "bound removed",
                r"\s*&\s*(>=|<=|>|<|!=)\s*-?\d+(\.\d+)?",
                |_, _| String::new(),
            ),
            ("bound added", r"\b(int|number|float)\b", |c, r| {
                let op = *r.pick(&[">=", ">", "<=", "<", "!="]).unwrap();
                format!("{} & {op}{}", &c[1], r.pick(&NUMBERS).unwrap())
            }),
            ("enum member removed", r#"\*?"[^"\n]*"\s*\|\s*"#, |_, _| {
                String::new()
            }),
            ("enum member removed", r#"\s*\|\s*\*?"[^"\n]*""#, |_, _| {
                String::new()
            }),
            ("enum member added", r#"("[^"\n]*"\s*\|)"#, |c, r| {
                format!(
                    "{} {:?} |",
                    &c[1],
                    r.pick(&["zz", "other", "", "A"]).unwrap()
                )
            }),
            (
                "field marker changed",
                r"(?m)^(\s+)([A-Za-z_][A-Za-z0-9_]*)([?!]?):",
                |c, r| {
                    let now = &c[3];
                    let choices: Vec<&str> =
                        ["", "?", "!"].into_iter().filter(|m| *m != now).collect();
                    format!("{}{}{}:", &c[1], &c[2], r.pick(&choices).unwrap())
                },
            ),
            (
                "field removed",
                r"(?m)^\s+[A-Za-z_][A-Za-z0-9_]*[?!]?:[^{\n]*\n",
                |_, _| String::new(),
            ),
            ("field added", r"\{\n", |_, r| {
                let field = *r
                    .pick(&[
                        "extra: int",
                        "extra?: string",
                        "extra!: bool",
                        "extra: *1 | int",
                        "extra?: >=0",
                    ])
                    .unwrap();
                format!("{{\n\t{field}\n")
            }),
            ("struct opened", r"\{\n", |_, _| "{\n\t...\n".to_string()),
            ("struct closed", r"(?m)^\s*\.\.\.\s*\n", |_, _| {
                String::new()
            }),
            (
                "type changed",
                r"([^.\w#]|^)(int|number|string|bool|float)\b",
                |c, r| {
                    let now = &c[2];
                    let choices: Vec<&str> = TYPES.into_iter().filter(|t| *t != now).collect();
                    format!("{}{}", &c[1], r.pick(&choices).unwrap())
                },
            ),
            (
                "null allowed",
                r"([^.\w#])(int|number|string|bool)\b",
                |c, _| format!("{}({} | null)", &c[1], &c[2]),
            ),
            ("list lengthened", r"\[\.\.\.([^\]\n]+)\]", |c, _| {
                format!("[{}, ...{}]", &c[1], &c[1])
            }),
            (
                "list shortened",
                r"\[([^,\[\]\n]+), \.\.\.([^\]\n]+)\]",
                |c, _| format!("[...{}]", &c[2]),
            ),
            ("list closed", r"\[\.\.\.([^\]\n]+)\]", |c, _| {
                format!("[{}]", &c[1])
            }),
            (
                "list count moved",
                r"(MinItems|MaxItems|MinRunes|MaxRunes)\((\d+)\)",
                |c, r| {
                    let n: i64 = c[2].parse().unwrap_or(0);
                    format!("{}({})", &c[1], (n + *r.pick(&[-1i64, 1]).unwrap()).max(0))
                },
            ),
            ("alternative removed", r"\s*\|\s*\{[^{}\n]*\}", |_, _| {
                String::new()
            }),
            ("alternative removed", r"\{[^{}\n]*\}\s*\|\s*", |_, _| {
                String::new()
            }),
            ("alternative added", r"(\{[^{}\n]*\})(\s*\|)", |c, r| {
                let alt = *r
                    .pick(&["{other: int}", "null", "{card?: string}"])
                    .unwrap();
                format!("{}{} {alt} |", &c[1], &c[2])
            }),
            ("regex quantifier moved", r"\{(\d+),(\d+)\}", |c, r| {
                let (a, b): (i64, i64) = (c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0));
                if r.chance(50) {
                    format!(
                        "{{{},{b}}}",
                        (a + *r.pick(&[-1i64, 1]).unwrap()).clamp(0, b)
                    )
                } else {
                    format!("{{{a},{}}}", (b + *r.pick(&[-1i64, 1]).unwrap()).max(a))
                }
            }),
            ("regex class narrowed", r"\[a-z", |_, _| "[a-f".to_string()),
            ("regex class widened", r"\[A-Z", |_, _| {
                "[A-Za-z".to_string()
            }),
            ("regex anchor removed", r#"=~\s*"\^"#, |_, _| {
                "=~\"".to_string()
            }),
            ("regex anchor removed", r#"\$""#, |_, _| "\"".to_string()),
            ("regex replaced", r#"=~\s*"(?:[^"\\]|\\.)*""#, |_, r| {
                format!(
                    "=~{:?}",
                    r.pick(&["^[a-z]+$", "^[A-Z]", "x", "^.{2,5}$"]).unwrap()
                )
            }),
            (
                "regex removed",
                r#"\s*&\s*[=!]~\s*"(?:[^"\\]|\\.)*""#,
                |_, _| String::new(),
            ),
            ("regex added", r"([^.\w#])string\b", |c, r| {
                let op = if r.chance(80) { "=~" } else { "!~" };
                format!(
                    "{}string & {op}{:?}",
                    &c[1],
                    r.pick(&["^[a-m]", "^[A-Z]", "[0-9]$", "^.{0,3}$"]).unwrap()
                )
            }),
            (
                "default removed",
                r#"\*("|\d|\{|null|true|false)"#,
                |c, _| c[1].to_string(),
            ),
            ("default added", r#"\|\s*("[^"\n]*")"#, |c, _| {
                format!("| *{}", &c[1])
            }),
        ];
        Mutator {
            operators: ops
                .into_iter()
                .map(|(what, re, f)| (what, Regex::new(re).expect("an operator's pattern"), f))
                .collect(),
        }
    }

    /// One random edit of `text`, if any operator finds a site.
    fn edit(&self, text: &str, rng: &mut Rng) -> Option<Edit> {
        let mut order: Vec<usize> = (0..self.operators.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for index in order {
            let (what, re, f) = &self.operators[index];
            // Sites in the definitions only: after the header.
            let start = text.find('#').unwrap_or(0);
            let sites: Vec<regex::Captures> = re
                .captures_iter(text)
                .filter(|c| c.get(0).is_some_and(|m| m.start() >= start))
                .collect();
            if let Some(site) = rng.pick(&sites) {
                let whole = site.get(0).expect("a match");
                return Some(Edit {
                    range: whole.range(),
                    with: f(site, rng),
                    what,
                });
            }
        }
        None
    }

    fn mutate(&self, text: &str, times: usize, rng: &mut Rng, log: &mut Vec<String>) -> String {
        let mut text = text.to_string();
        for _ in 0..times {
            if let Some(edit) = self.edit(&text, rng) {
                log.push(format!(
                    "{}: {:?} -> {:?}",
                    edit.what,
                    &text[edit.range.clone()],
                    edit.with
                ));
                text.replace_range(edit.range, &edit.with);
            }
        }
        text
    }
}

fn load(text: &str) -> Option<Package> {
    let package = Package::load(
        PackageFiles {
            files: vec![("seed.cue".to_string(), text.to_string())],
        },
        &NoImports,
    );
    package.diagnostics().is_empty().then_some(package)
}

fn top_definitions(text: &str) -> Vec<String> {
    let re = Regex::new(r"(?m)^(#[A-Za-z_][A-Za-z0-9_]*)\s*:").expect("a pattern");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// Literals harvested from both versions' texts: what documents are built from besides the
/// JSON Schema exports.
#[derive(Default)]
struct Pool {
    numbers: Vec<Json>,
    strings: Vec<String>,
    names: Vec<String>,
}

impl Pool {
    fn harvest(texts: &[&str]) -> Pool {
        let mut numbers = BTreeSet::new();
        let mut floats = Vec::new();
        let mut strings = BTreeSet::new();
        let mut names = BTreeSet::new();
        let number = Regex::new(r"-?\d+(\.\d+)?").expect("a pattern");
        let string = Regex::new(r#""((?:[^"\\]|\\.)*)""#).expect("a pattern");
        let name = Regex::new(r"([A-Za-z_][A-Za-z0-9_]*)[?!]?:").expect("a pattern");
        let pattern = Regex::new(r#"[=!]~\s*"((?:[^"\\]|\\.)*)""#).expect("a pattern");
        for text in texts {
            for m in number.find_iter(text) {
                if let Ok(n) = m.as_str().parse::<i64>() {
                    for k in [n - 1, n, n + 1] {
                        numbers.insert(k);
                    }
                } else if let Ok(f) = m.as_str().parse::<f64>() {
                    floats.push(f);
                }
            }
            for c in string.captures_iter(text) {
                if let Ok(Json::String(s)) = serde_json::from_str(&format!("\"{}\"", &c[1])) {
                    strings.insert(s);
                }
            }
            for c in pattern.captures_iter(text) {
                let Ok(Json::String(p)) = serde_json::from_str::<Json>(&format!("\"{}\"", &c[1]))
                else {
                    continue;
                };
                for min in [0, 1, 2, 3, 5] {
                    let set = StringSet {
                        matching: vec![p.clone()],
                        min_runes: Some(min),
                        ..StringSet::default()
                    };
                    if let Difference::Witness(w) = member(&set) {
                        strings.insert(w);
                    }
                }
            }
            for c in name.captures_iter(text) {
                names.insert(c[1].to_string());
            }
        }
        for s in ["", "a", "A", "x-", "2024-01-01T00:00:00Z", "zz", "a@b"] {
            strings.insert(s.to_string());
        }
        names.insert("extra".to_string());
        let mut numbers: Vec<Json> = numbers.into_iter().map(Json::from).collect();
        numbers.extend(floats.into_iter().map(|f| json!(f)));
        numbers.push(json!(0.5));
        numbers.push(json!(1.5));
        Pool {
            numbers,
            strings: strings.into_iter().collect(),
            names: names.into_iter().collect(),
        }
    }

    /// Any value at all, from the pool.
    fn any(&self, rng: &mut Rng, depth: usize) -> Json {
        match rng.below(if depth > 2 { 5 } else { 7 }) {
            0 => rng.pick(&self.numbers).cloned().unwrap_or(json!(0)),
            1 | 2 => Json::String(rng.pick(&self.strings).cloned().unwrap_or_default()),
            3 => Json::Bool(rng.chance(50)),
            4 => Json::Null,
            5 => {
                let mut object = Map::new();
                for _ in 0..rng.below(3) {
                    let key = rng.pick(&self.names).cloned().unwrap_or_default();
                    object.insert(key, self.any(rng, depth + 1));
                }
                Json::Object(object)
            }
            _ => Json::Array(
                (0..rng.below(3))
                    .map(|_| self.any(rng, depth + 1))
                    .collect(),
            ),
        }
    }
}

/// Builds documents a JSON Schema (`root`, with its `$defs`) describes, mostly valid, sometimes
/// off by a literal of the pool.
struct Builder<'a> {
    root: &'a Json,
    pool: &'a Pool,
}

impl Builder<'_> {
    fn resolve<'s>(&'s self, schema: &'s Json) -> &'s Json {
        let mut schema = schema;
        for _ in 0..16 {
            let Some(target) = schema.get("$ref").and_then(Json::as_str) else {
                break;
            };
            let Some(name) = target.strip_prefix("#/$defs/") else {
                break;
            };
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(next) => schema = next,
                None => break,
            }
        }
        schema
    }

    fn build(&self, schema: &Json, rng: &mut Rng, depth: usize) -> Json {
        if depth > 6 || rng.chance(4) {
            return self.pool.any(rng, depth);
        }
        let schema = self.resolve(schema);
        let Some(object) = schema.as_object() else {
            return self.pool.any(rng, depth);
        };
        if let Some(all) = object.get("allOf").and_then(Json::as_array) {
            // Merged shallowly: properties and required of every member, other keywords of the
            // last one that has them.
            let mut merged = Map::new();
            for (k, v) in object {
                if k != "allOf" {
                    merged.insert(k.clone(), v.clone());
                }
            }
            for member in all {
                if let Some(m) = self.resolve(member).as_object() {
                    for (k, v) in m {
                        match (k.as_str(), merged.get_mut(k)) {
                            ("properties", Some(Json::Object(p))) => {
                                if let Some(more) = v.as_object() {
                                    p.extend(more.clone());
                                }
                            }
                            ("required", Some(Json::Array(r))) => {
                                if let Some(more) = v.as_array() {
                                    r.extend(more.clone());
                                }
                            }
                            _ => {
                                merged.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
            }
            return self.build(&Json::Object(merged), rng, depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = object.get(key).and_then(Json::as_array) {
                if let Some(option) = rng.pick(options) {
                    let mut merged = object.clone();
                    merged.remove(key);
                    if let Some(o) = self.resolve(option).as_object() {
                        merged.extend(o.clone());
                    }
                    return self.build(&Json::Object(merged), rng, depth + 1);
                }
            }
        }
        if let Some(values) = object.get("enum").and_then(Json::as_array) {
            if let Some(v) = rng.pick(values) {
                return v.clone();
            }
        }
        if let Some(v) = object.get("const") {
            return v.clone();
        }
        if rng.chance(20) {
            if let Some(v) = object.get("default") {
                return v.clone();
            }
        }
        let types: Vec<&str> = match object.get("type") {
            Some(Json::String(t)) => vec![t.as_str()],
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
            _ => {
                if object.contains_key("properties") {
                    vec!["object"]
                } else if object.contains_key("items") || object.contains_key("prefixItems") {
                    vec!["array"]
                } else {
                    return self.pool.any(rng, depth);
                }
            }
        };
        match rng.pick(&types).copied().unwrap_or("null") {
            "object" => self.object(object, rng, depth),
            "array" => self.array(object, rng, depth),
            "string" => self.string(object, rng),
            "integer" => self.number(object, rng, true),
            "number" => self.number(object, rng, false),
            "boolean" => Json::Bool(rng.chance(50)),
            _ => Json::Null,
        }
    }

    fn object(&self, schema: &Map<String, Json>, rng: &mut Rng, depth: usize) -> Json {
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Json::as_object) {
            for (name, property) in properties {
                if required.contains(name.as_str()) || rng.chance(55) {
                    out.insert(name.clone(), self.build(property, rng, depth + 1));
                }
            }
        }
        if let Some(patterns) = schema.get("patternProperties").and_then(Json::as_object) {
            for (pattern, value) in patterns {
                if rng.chance(40) {
                    let set = StringSet {
                        matching: vec![pattern.clone()],
                        min_runes: Some(rng.below(4) as u64),
                        ..StringSet::default()
                    };
                    if let Difference::Witness(key) = member(&set) {
                        out.insert(key, self.build(value, rng, depth + 1));
                    }
                }
            }
        }
        if rng.chance(25) {
            let key = rng.pick(&self.pool.names).cloned().unwrap_or_default();
            let value = match schema.get("additionalProperties") {
                Some(extra @ Json::Object(_)) if rng.chance(70) => {
                    self.build(extra, rng, depth + 1)
                }
                _ => self.pool.any(rng, depth + 1),
            };
            out.insert(key, value);
        }
        Json::Object(out)
    }

    fn array(&self, schema: &Map<String, Json>, rng: &mut Rng, depth: usize) -> Json {
        let mut out = Vec::new();
        let prefix = schema
            .get("prefixItems")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for item in &prefix {
            out.push(self.build(item, rng, depth + 1));
        }
        let min = schema.get("minItems").and_then(Json::as_u64).unwrap_or(0) as usize;
        let max = schema
            .get("maxItems")
            .and_then(Json::as_u64)
            .map_or(min.max(prefix.len()) + 3, |m| m as usize);
        let target = min + rng.below(max.saturating_sub(min) + 2);
        let items = schema.get("items");
        while out.len() < target && out.len() < 8 {
            match items {
                Some(Json::Bool(false)) => break,
                Some(item) => out.push(self.build(item, rng, depth + 1)),
                None => out.push(self.pool.any(rng, depth + 1)),
            }
        }
        Json::Array(out)
    }

    fn string(&self, schema: &Map<String, Json>, rng: &mut Rng) -> Json {
        let min = schema.get("minLength").and_then(Json::as_u64);
        let max = schema.get("maxLength").and_then(Json::as_u64);
        if schema.get("format").and_then(Json::as_str) == Some("date-time") && rng.chance(80) {
            return json!("2024-01-01T00:00:00Z");
        }
        if let Some(pattern) = schema.get("pattern").and_then(Json::as_str) {
            let low = min.unwrap_or(0) + rng.below(4) as u64;
            let set = StringSet {
                matching: vec![pattern.to_string()],
                min_runes: Some(low),
                max_runes: max,
                ..StringSet::default()
            };
            if let Difference::Witness(w) = member(&set) {
                return Json::String(w);
            }
        }
        let candidates: Vec<&String> = self
            .pool
            .strings
            .iter()
            .filter(|s| {
                let n = s.chars().count() as u64;
                min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
            })
            .collect();
        match rng.pick(&candidates) {
            Some(s) if rng.chance(80) => Json::String((*s).clone()),
            _ => Json::String("a".repeat(min.unwrap_or(0) as usize + rng.below(3))),
        }
    }

    fn number(&self, schema: &Map<String, Json>, rng: &mut Rng, integer: bool) -> Json {
        let mut candidates: Vec<Json> = Vec::new();
        for key in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
            if let Some(n) = schema.get(key).and_then(Json::as_f64) {
                for d in [-1.0, 0.0, 1.0] {
                    let v = n + d;
                    if v.fract() == 0.0 && v.abs() < 1e15 {
                        candidates.push(json!(v as i64));
                    } else {
                        candidates.push(json!(v));
                    }
                }
            }
        }
        candidates.extend(self.pool.numbers.iter().cloned());
        let fitting: Vec<Json> = candidates
            .into_iter()
            .filter(|c| !integer || c.is_i64() || c.is_u64())
            .filter(|c| {
                let v = c.as_f64().unwrap_or(0.0);
                let ok = |key: &str, f: fn(f64, f64) -> bool| {
                    schema
                        .get(key)
                        .and_then(Json::as_f64)
                        .is_none_or(|b| f(v, b))
                };
                ok("minimum", |v, b| v >= b)
                    && ok("maximum", |v, b| v <= b)
                    && ok("exclusiveMinimum", |v, b| v > b)
                    && ok("exclusiveMaximum", |v, b| v < b)
            })
            .collect();
        rng.pick(&fitting).cloned().unwrap_or(json!(0))
    }
}

/// Small changes of a document: a number moved by one, a key dropped or added, a value
/// replaced by a literal of the pool, a list element repeated or dropped.
fn perturb(value: &Json, pool: &Pool, rng: &mut Rng) -> Json {
    let mut out = value.clone();
    let mut node = &mut out;
    for _ in 0..6 {
        let next_exists = match node {
            Json::Object(m) => !m.is_empty(),
            Json::Array(a) => !a.is_empty(),
            _ => false,
        };
        if !next_exists || rng.chance(35) {
            break;
        }
        node = match node {
            Json::Object(m) => {
                let keys: Vec<String> = m.keys().cloned().collect();
                let key = rng.pick(&keys).expect("a key").clone();
                m.get_mut(&key).expect("the key")
            }
            Json::Array(a) => {
                let i = rng.below(a.len());
                &mut a[i]
            }
            _ => unreachable!("checked above"),
        };
    }
    match node {
        Json::Number(n) if rng.chance(60) => {
            let v = n.as_f64().unwrap_or(0.0) + if rng.chance(50) { 1.0 } else { -1.0 };
            *node = if v.fract() == 0.0 && v.abs() < 1e15 {
                json!(v as i64)
            } else {
                json!(v)
            };
        }
        Json::Object(m) if rng.chance(60) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            if rng.chance(50) && !keys.is_empty() {
                m.remove(rng.pick(&keys).expect("a key"));
            } else {
                let key = rng.pick(&pool.names).cloned().unwrap_or_default();
                m.insert(key, pool.any(rng, 1));
            }
        }
        Json::Array(a) if rng.chance(60) => {
            if rng.chance(50) && !a.is_empty() {
                a.pop();
            } else if let Some(first) = a.first().cloned() {
                a.push(first);
            }
        }
        _ => *node = pool.any(rng, 1),
    }
    out
}

#[derive(Default)]
struct Figures {
    pairs: usize,
    invalid_mutants: usize,
    identical: usize,
    compared: usize,
    documents: usize,
    /// Per mode (BACKWARD, FORWARD): pairs with an error finding, counterexamples checked,
    /// pairs with warnings only, documents the accepting version takes, disagreements.
    errors: [usize; 2],
    counterexamples: [usize; 2],
    warned: [usize; 2],
    accepted_documents: [usize; 2],
    disagreements: [usize; 2],
}

struct Pair<'a> {
    previous: &'a Package,
    current: &'a Package,
    definition: &'a str,
}

fn accepts(package: &Package, definition: &str, value: &Json) -> Result<(), String> {
    let schema = package
        .schema(Some(definition))
        .map_err(|e| format!("{e:?}"))?;
    let validation = schema.validate_json("doc.json", &value.to_string());
    match validation.errors.first() {
        None => Ok(()),
        Some(first) => Err(first.headline()),
    }
}

/// Checks one pair in `mode`, returning the disagreements found.
fn check_pair(
    pair: &Pair<'_>,
    mode: Mode,
    documents: &[Json],
    figures: &mut Figures,
) -> Result<Vec<String>, String> {
    let slot = usize::from(mode == Mode::Forward);
    let report = check(
        &[Version {
            package: pair.previous,
            definition: pair.definition,
        }],
        Version {
            package: pair.current,
            definition: pair.definition,
        },
        mode,
    )
    .map_err(|e| format!("check failed: {e:?}"))?;
    let mut problems = Vec::new();
    let (accepting, rejecting) = if mode == Mode::Backward {
        (pair.previous, pair.current)
    } else {
        (pair.current, pair.previous)
    };
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if errors.is_empty() {
        if !report.findings.is_empty() {
            figures.warned[slot] += 1;
        }
        for document in documents {
            if accepts(accepting, pair.definition, document).is_err() {
                continue;
            }
            figures.accepted_documents[slot] += 1;
            if let Err(why) = accepts(rejecting, pair.definition, document) {
                let findings: Vec<String> = report
                    .findings
                    .iter()
                    .map(|f| format!("{} {:?} {}", f.rule, f.severity, f.message))
                    .collect();
                problems.push(format!(
                    "{mode}: no error reported, but {document} is accepted by one version and rejected by the other: {why}; findings: {findings:?}"
                ));
                break;
            }
        }
        return Ok(problems);
    }
    figures.errors[slot] += 1;
    for finding in errors {
        let Some(example) = &finding.counterexample else {
            problems.push(format!(
                "{mode}: {} {} has no counterexample ({:?})",
                finding.rule, finding.message, finding.counterexample_note
            ));
            continue;
        };
        figures.counterexamples[slot] += 1;
        let package = |side: Side| match side {
            Side::Previous => pair.previous,
            Side::Current => pair.current,
        };
        if let Err(why) = accepts(
            package(example.accepted_by),
            pair.definition,
            &example.value,
        ) {
            problems.push(format!(
                "{mode}: {}: counterexample {} is rejected by the {} version it names as accepting: {why}",
                finding.rule,
                example.value,
                example.accepted_by.name()
            ));
        }
        if accepts(
            package(example.rejected_by),
            pair.definition,
            &example.value,
        )
        .is_ok()
        {
            problems.push(format!(
                "{mode}: {}: counterexample {} is accepted by the {} version it names as rejecting",
                finding.rule,
                example.value,
                example.rejected_by.name()
            ));
        }
    }
    Ok(problems)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn compat_verdicts_agree_with_generated_documents() {
    let cases = env_number("CUEMESH_SOUNDNESS_CASES", 150) as usize;
    let seed = env_number("CUEMESH_SOUNDNESS_SEED", 19);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = seeds(root);
    assert!(seeds.len() > 40, "the template and the fixtures give seeds");
    let loadable: Vec<&Seed> = seeds.iter().filter(|s| load(&s.text).is_some()).collect();
    assert!(
        loadable.len() * 10 >= seeds.len() * 9,
        "most seeds load: {} of {}",
        loadable.len(),
        seeds.len()
    );
    let mutator = Mutator::new();
    let mut rng = Rng(seed);
    let mut figures = Figures::default();
    let mut failures: Vec<String> = Vec::new();
    let mut summaries: Vec<String> = Vec::new();
    let mut slowest = (std::time::Duration::ZERO, 0);
    let started = std::time::Instant::now();
    while figures.pairs < cases {
        figures.pairs += 1;
        let pair_started = std::time::Instant::now();
        let seed = rng.pick(&loadable).expect("seeds");
        let mut log = vec!["previous:".to_string()];
        let previous_times = rng.below(2);
        let previous_text = mutator.mutate(&seed.text, previous_times, &mut rng, &mut log);
        let current_times = 1 + rng.below(3);
        log.push("current:".to_string());
        let current_text = mutator.mutate(&previous_text, current_times, &mut rng, &mut log);
        if previous_text == current_text {
            figures.identical += 1;
        }
        let (Some(previous), Some(current)) = (load(&previous_text), load(&current_text)) else {
            figures.invalid_mutants += 1;
            continue;
        };
        let common: Vec<String> = top_definitions(&previous_text)
            .into_iter()
            .filter(|d| top_definitions(&current_text).contains(d))
            .collect();
        let Some(definition) = rng.pick(&common).cloned() else {
            figures.invalid_mutants += 1;
            continue;
        };
        if previous.schema(Some(&definition)).is_err() || current.schema(Some(&definition)).is_err()
        {
            figures.invalid_mutants += 1;
            continue;
        }
        let (Ok(previous_schema), Ok(current_schema)) = (
            previous.json_schema(Some(&definition)),
            current.json_schema(Some(&definition)),
        ) else {
            figures.invalid_mutants += 1;
            continue;
        };
        let pool = Pool::harvest(&[&previous_text, &current_text]);
        let mut documents: Vec<Json> = Vec::new();
        for schema in [&previous_schema, &current_schema] {
            let builder = Builder {
                root: schema,
                pool: &pool,
            };
            for _ in 0..12 {
                documents.push(builder.build(schema, &mut rng, 0));
            }
        }
        let built = documents.len();
        for i in 0..built {
            for _ in 0..2 {
                let perturbed = perturb(&documents[i], &pool, &mut rng);
                documents.push(perturbed);
            }
        }
        figures.compared += 1;
        figures.documents += documents.len();
        let pair = Pair {
            previous: &previous,
            current: &current,
            definition: &definition,
        };
        for mode in [Mode::Backward, Mode::Forward] {
            let slot = usize::from(mode == Mode::Forward);
            match check_pair(&pair, mode, &documents, &mut figures) {
                Ok(problems) if problems.is_empty() => {}
                Ok(problems) => {
                    figures.disagreements[slot] += 1;
                    summaries.push(format!("pair {}: {}", figures.pairs, problems.join(" / ")));
                    failures.push(format!(
                        "pair {} from {} ({definition}), mutations {log:?}\n{}\n--- previous:\n{previous_text}--- current:\n{current_text}",
                        figures.pairs,
                        seed.name,
                        problems.join("\n")
                    ));
                }
                Err(why) => {
                    figures.disagreements[slot] += 1;
                    summaries.push(format!("pair {}: {why}", figures.pairs));
                    failures.push(format!(
                        "pair {} from {} ({definition}): {why}\n--- previous:\n{previous_text}--- current:\n{current_text}",
                        figures.pairs, seed.name
                    ));
                }
            }
        }
        slowest = slowest.max((pair_started.elapsed(), figures.pairs));
    }
    println!(
        "soundness (seed {seed}, {} seeds): {} pairs tried, {} compared ({} invalid mutants, {} unchanged texts), {} documents, {:.1}s",
        loadable.len(),
        figures.pairs,
        figures.compared,
        figures.invalid_mutants,
        figures.identical,
        figures.documents,
        started.elapsed().as_secs_f64()
    );
    for (slot, mode) in ["BACKWARD", "FORWARD"].iter().enumerate() {
        println!(
            "  {mode}: {} pairs with errors ({} counterexamples re-validated), {} with warnings only, {} without errors checked on {} accepted documents; {} disagreements",
            figures.errors[slot],
            figures.counterexamples[slot],
            figures.warned[slot],
            figures.compared - figures.errors[slot],
            figures.accepted_documents[slot],
            figures.disagreements[slot]
        );
    }
    println!(
        "  slowest pair: {} ({:.2}s)",
        slowest.1,
        slowest.0.as_secs_f64()
    );
    for summary in &summaries {
        println!("  {summary}");
    }
    let shown = env_number("CUEMESH_SOUNDNESS_SHOW", 3) as usize;
    for failure in failures.iter().take(shown) {
        println!("\nDISAGREEMENT {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements between compat and the generated documents (first ones printed above)",
        failures.len()
    );
    assert!(
        figures.compared * 2 >= figures.pairs,
        "too few mutants load: {} of {}",
        figures.compared,
        figures.pairs
    );
}
