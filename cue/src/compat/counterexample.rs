//! Counterexamples: for a change the walk found, a small JSON document one version accepts
//! and the other rejects, confirmed by validating it against both with the engine.
//!
//! A document is built from the accepting version's definition along the change's site (the
//! alternatives, fields and elements the walk took to reach it): every field data must carry
//! gets a plain value, and the place itself gets a *leaf*: a value chosen to be one the
//! rejecting version refuses (a removed enum member, a number just past a new bound, a
//! string a new regex does not match, found by automata), or the field's absence. The
//! source's example payloads, when the caller has them, are the starting point, so that the
//! value looks like real data. The document is then validated against the accepting version;
//! errors elsewhere are repaired (another value for the field named, a field not allowed
//! removed), and a document the accepting version takes is validated against the other one.
//! The first document it rejects is the counterexample, with its first error as `vet`
//! prints it. Nothing is claimed that the engine did not confirm.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value as Json};

use super::rules::{must_be_present, pattern_set, Alternatives, Extra};
use super::walk::{extra, Step, ANY};
use super::{Counterexample, Side};
use crate::diagnostic::Diagnostic;
use crate::export::{keyword_accepts, Keyword, ListShape, ScalarShape, Shape, StructShape};
use crate::package::Schema;
use crate::re2::inclusion::{self, Difference, StringSet};
use crate::value::Kinds;

/// How many documents one search may validate (against either version), repairs included.
const MAX_VALIDATIONS: usize = 400;

/// How many rounds of repair one document gets.
const MAX_REPAIRS: usize = 12;

/// How deep the builder follows nested and recursive values.
const MAX_BUILD_DEPTH: u32 = 24;

/// How many leaves one search tries at its place.
const MAX_LEAVES: usize = 64;

/// One version as the search sees it.
pub(crate) struct View<'s> {
    pub(crate) root: &'s Shape,
    pub(crate) definitions: HashMap<&'s str, &'s Shape>,
    /// The engine's validator of the version's definition, or why there is none.
    pub(crate) schema: Result<Schema, String>,
}

impl View<'_> {
    /// The errors the version finds in `document` (empty: accepted).
    fn validate(&self, document: &Json) -> Result<Vec<Diagnostic>, String> {
        let schema = self.schema.as_ref().map_err(Clone::clone)?;
        Ok(schema
            .validate_json("counterexample.json", &document.to_string())
            .errors)
    }
}

/// The outcome of a search.
pub(crate) enum Outcome {
    Found(Counterexample),
    /// None found, and why (the note printed with the finding).
    NotFound(String),
}

/// What the search needs: both versions, and example documents to start from.
pub(crate) struct Search<'s, 'e> {
    pub(crate) previous: View<'s>,
    pub(crate) current: View<'s>,
    pub(crate) examples: &'e [Json],
    /// The numbers written in either version's sources: what a value whose constraints no
    /// shape states (it reads other fields, `<=limits.max`) is probed with, with their
    /// neighbours.
    pub(crate) literals: Vec<f64>,
}

/// The numbers written in CUE text (`50`, `-1.5`, `1e3`), each once, in order.
pub(crate) fn number_literals<'t>(texts: impl IntoIterator<Item = &'t str>) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for text in texts {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts = bytes[i].is_ascii_digit()
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
            if !starts {
                i += 1;
                continue;
            }
            let start = if i > 0 && bytes[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            let mut end = i;
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                end += 1;
            }
            if let Ok(number) = text[start..end].trim_end_matches('.').parse::<f64>() {
                if number.is_finite() && !out.contains(&number) && out.len() < 64 {
                    out.push(number);
                }
            }
            i = end.max(i + 1);
        }
    }
    out
}

/// The value put at the change's place.
#[derive(Debug, Clone, PartialEq)]
enum Leaf {
    Value(Json),
    /// The field is left out.
    Absent,
}

/// What one version says at the end of a site.
struct Target<'s> {
    value: Alternatives<'s>,
    /// At a field: whether the struct requires it, allows it or rejects it.
    field: Option<FieldRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldRule {
    Must,
    May,
    Never,
}

impl Side {
    fn pick<T>(self, previous: T, current: T) -> T {
        match self {
            Side::Previous => previous,
            Side::Current => current,
        }
    }
}

impl<'s> Search<'s, '_> {
    fn view(&self, side: Side) -> &View<'s> {
        side.pick(&self.previous, &self.current)
    }

    /// A document `accepting` accepts and the other version rejects, built at `site`
    /// (`path` names it in notes).
    pub(crate) fn find(&self, site: &[Step], path: &str, accepting: Side) -> Outcome {
        let rejecting = accepting.other();
        let (a, r) = (self.view(accepting), self.view(rejecting));
        for (view, side) in [(a, accepting), (r, rejecting)] {
            if let Err(why) = &view.schema {
                return Outcome::NotFound(format!(
                    "the {} version cannot validate data: {why}",
                    side.name()
                ));
            }
        }
        let place = if path.is_empty() { "the root" } else { path };
        let Some(target) = target_of(a, site, accepting) else {
            return Outcome::NotFound(format!(
                "the {} version has no value at {place} to build from",
                accepting.name()
            ));
        };
        let other = target_of(r, site, rejecting);
        let leaves = self.leaves(a, &target, other.as_ref());
        let protected: Vec<String> = site
            .iter()
            .filter_map(|step| match step {
                Step::Field(name) => Some(name.clone()),
                Step::Element(index) => Some(index.to_string()),
                _ => None,
            })
            .collect();
        let mut bases: Vec<Option<&Json>> = Vec::new();
        let mut budget = MAX_VALIDATIONS;
        for example in self.examples {
            if budget == 0 {
                break;
            }
            budget -= 1;
            if a.validate(example).is_ok_and(|errors| errors.is_empty()) {
                bases.push(Some(example));
            }
        }
        bases.push(None);
        let mut seen: HashSet<String> = HashSet::new();
        let mut accepted = 0;
        let mut elsewhere: Option<Counterexample> = None;
        for base in bases {
            for leaf in &leaves {
                if budget == 0 {
                    break;
                }
                let Some(Leaf::Value(document)) =
                    self.build(a, accepting, a.root, site, leaf, base, 0)
                else {
                    continue;
                };
                if !seen.insert(document.to_string()) {
                    continue;
                }
                let Some(document) = self.repair(a, document, &protected, &mut budget) else {
                    continue;
                };
                accepted += 1;
                budget = budget.saturating_sub(1);
                let Ok(errors) = r.validate(&document) else {
                    continue;
                };
                let Some(first) = errors.first() else {
                    continue;
                };
                let found = Counterexample {
                    value: document,
                    accepted_by: accepting,
                    rejected_by: rejecting,
                    error: first.headline(),
                };
                // A document rejected for what the change is about shows it; one rejected
                // for another change of the same version is kept in case none is.
                let about_the_place = parse_path(&first.path).is_some_and(|path| {
                    path.starts_with(&protected) || protected.starts_with(&path)
                });
                if about_the_place {
                    return Outcome::Found(found);
                }
                elsewhere.get_or_insert(found);
            }
        }
        if let Some(found) = elsewhere {
            return Outcome::Found(found);
        }
        Outcome::NotFound(if accepted == 0 {
            format!(
                "no document the {} version accepts could be built with a value at {place} ({} tried)",
                accepting.name(),
                seen.len()
            )
        } else {
            format!(
                "the {} version accepted each of the {accepted} document{} the {} version accepts that were built with a value at {place}",
                rejecting.name(),
                if accepted == 1 { "" } else { "s" },
                accepting.name()
            )
        })
    }

    /// Builds the document with `leaf` at the end of `site`, starting from `base`.
    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        view: &View<'s>,
        side: Side,
        shape: &'s Shape,
        site: &[Step],
        leaf: &Leaf,
        base: Option<&Json>,
        depth: u32,
    ) -> Option<Leaf> {
        let Some(step) = site.first() else {
            return Some(leaf.clone());
        };
        let rest = &site[1..];
        match step {
            Step::Struct(previous, current) => {
                let alternatives = Alternatives::of(shape, &view.definitions);
                let (_, object) = *alternatives.structs.get(side.pick(*previous, *current)?)?;
                let Some(Step::Field(name)) = rest.first() else {
                    return rest.is_empty().then(|| leaf.clone());
                };
                let mut fields = match base {
                    Some(Json::Object(fields)) => fields.clone(),
                    _ => Map::new(),
                };
                let child = field_of(object, name).0.unwrap_or(&ANY);
                let built = self.build(
                    view,
                    side,
                    child,
                    &rest[1..],
                    leaf,
                    fields.get(name.as_str()),
                    depth + 1,
                )?;
                match built {
                    Leaf::Value(value) => {
                        fields.insert(name.clone(), value);
                    }
                    Leaf::Absent => {
                        fields.remove(name.as_str());
                    }
                }
                self.fill_struct(view, object, &mut fields, Some(name), depth)?;
                Some(Leaf::Value(Json::Object(in_declared_order(object, fields))))
            }
            Step::List(previous, current) => {
                let alternatives = Alternatives::of(shape, &view.definitions);
                let list = *alternatives.lists.get(side.pick(*previous, *current)?)?;
                let Some(Step::Element(index)) = rest.first() else {
                    return rest.is_empty().then(|| leaf.clone());
                };
                let mut items = match base {
                    Some(Json::Array(items)) => items.clone(),
                    _ => Vec::new(),
                };
                self.fill_list(view, list, &mut items, index + 1, depth)?;
                let element = list
                    .prefix
                    .get(*index)
                    .or(list.rest.as_deref())
                    .unwrap_or(&ANY);
                match self.build(
                    view,
                    side,
                    element,
                    &rest[1..],
                    leaf,
                    items.get(*index),
                    depth + 1,
                )? {
                    Leaf::Value(value) => items[*index] = value,
                    Leaf::Absent => return None,
                }
                Some(Leaf::Value(Json::Array(items)))
            }
            Step::Field(_) | Step::Element(_) => None,
        }
    }

    /// Adds a plain value for every field data must carry (but `skip`, the one the change is
    /// about), and fields up to a minimum count.
    fn fill_struct(
        &self,
        view: &View<'s>,
        object: &'s StructShape,
        fields: &mut Map<String, Json>,
        skip: Option<&str>,
        depth: u32,
    ) -> Option<()> {
        for property in &object.properties {
            if Some(property.name.as_str()) == skip {
                continue;
            }
            if must_be_present(property.presence) && !fields.contains_key(&property.name) {
                let value = self.minimal(view, &property.shape, depth + 1)?;
                fields.insert(property.name.clone(), value);
            }
        }
        let minimum = object.keywords.iter().find_map(|k| match k {
            Keyword::MinProperties(n) => Some(*n as usize),
            _ => None,
        });
        if let Some(minimum) = minimum {
            for property in &object.properties {
                if fields.len() >= minimum {
                    break;
                }
                if !fields.contains_key(&property.name) && Some(property.name.as_str()) != skip {
                    if let Some(value) = self.minimal(view, &property.shape, depth + 1) {
                        fields.insert(property.name.clone(), value);
                    }
                }
            }
        }
        Some(())
    }

    /// Lengthens `items` to the list's least length, and to `at_least` elements.
    fn fill_list(
        &self,
        view: &View<'s>,
        list: &'s ListShape,
        items: &mut Vec<Json>,
        at_least: usize,
        depth: u32,
    ) -> Option<()> {
        let minimum = list
            .keywords
            .iter()
            .find_map(|k| match k {
                Keyword::MinItems(n) => Some(*n as usize),
                _ => None,
            })
            .unwrap_or(0);
        let wanted = at_least.max(minimum).max(list.prefix.len());
        if list.rest.is_none() && wanted > list.prefix.len() {
            return None;
        }
        while items.len() < wanted {
            let element = list
                .prefix
                .get(items.len())
                .or(list.rest.as_deref())
                .unwrap_or(&ANY);
            items.push(self.minimal(view, element, depth + 1)?);
        }
        Some(())
    }

    fn minimal(&self, view: &View<'s>, shape: &'s Shape, depth: u32) -> Option<Json> {
        self.values(view, &Alternatives::of(shape, &view.definitions), depth)
            .into_iter()
            .next()
    }

    /// Values a value plausibly accepts, the plainest first: its default, its literals, values
    /// within its bounds and patterns, the least struct and list it accepts.
    fn values(&self, view: &View<'s>, value: &Alternatives<'s>, depth: u32) -> Vec<Json> {
        if depth > MAX_BUILD_DEPTH {
            return Vec::new();
        }
        let mut out: Vec<Json> = Vec::new();
        if let Some(default) = value.default {
            out.push(default.clone());
        }
        out.extend(value.literals.iter().map(|l| (*l).clone()));
        let strings_unsupported = !value.unsupported.is_empty();
        for scalar in &value.scalars {
            out.extend(scalar_values(scalar, &[], strings_unsupported));
        }
        for (_, object) in &value.structs {
            let mut fields = Map::new();
            if self
                .fill_struct(view, object, &mut fields, None, depth)
                .is_some()
            {
                out.push(Json::Object(fields));
            }
        }
        for list in &value.lists {
            let mut items = Vec::new();
            if self.fill_list(view, list, &mut items, 0, depth).is_some() {
                out.push(Json::Array(items));
            }
        }
        if value.any {
            out.extend(any_values());
        }
        dedup(&mut out);
        out
    }

    /// The leaves to try at the place, the likeliest counterexamples first.
    fn leaves(
        &self,
        view: &View<'s>,
        target: &Target<'s>,
        other: Option<&Target<'s>>,
    ) -> Vec<Leaf> {
        if target.field == Some(FieldRule::Never) {
            return vec![Leaf::Absent];
        }
        let nothing = Alternatives::default();
        let other_value = other.map_or(&nothing, |o| &o.value);
        let other_field = other.and_then(|o| o.field);
        let mut out: Vec<Leaf> = Vec::new();
        if target.field == Some(FieldRule::May) && other_field == Some(FieldRule::Must) {
            out.push(Leaf::Absent);
        }
        let mut values: Vec<Json> = Vec::new();
        let value = &target.value;
        for literal in &value.literals {
            if !other_value.accepts_literal(literal) {
                values.push((*literal).clone());
            }
        }
        let probes = number_probes(other_value);
        let strings_unsupported = !value.unsupported.is_empty();
        for scalar in &value.scalars {
            if !scalar.kinds.and(Kinds::NUMBER).is_empty() {
                values.extend(number_values(scalar, &probes));
            }
            if scalar.kinds.contains(Kinds::STRING) {
                let own = string_set(scalar);
                let others: Vec<&ScalarShape> = other_value
                    .scalars
                    .iter()
                    .filter(|s| s.kinds.contains(Kinds::STRING))
                    .copied()
                    .collect();
                for other in &others {
                    if let Difference::Witness(text) =
                        inclusion::difference(&own, &string_set(other))
                    {
                        values.push(Json::String(text));
                    }
                }
                values.extend(scalar_values(scalar, &[], strings_unsupported));
            }
            values.extend(scalar_values(scalar, &probes, strings_unsupported));
        }
        if value.any {
            values.extend(any_values());
        }
        for (_, object) in &value.structs {
            values.extend(self.struct_variants(view, object, other_value));
        }
        for list in &value.lists {
            values.extend(self.list_variants(view, list, other_value));
        }
        values.extend(self.values(view, value, 0));
        // Values of a kind the other version does not accept at all go first.
        let other_kinds = kinds_of(other_value);
        values.sort_by_key(|v| {
            let kind = super::rules::json_kind(v);
            u8::from(other_kinds.contains(kind) || other_value.any)
        });
        dedup(&mut values);
        out.extend(values.into_iter().map(Leaf::Value));
        if target.field == Some(FieldRule::May) && !out.contains(&Leaf::Absent) {
            out.push(Leaf::Absent);
        }
        out.truncate(MAX_LEAVES);
        if value.any || !value.unsupported.is_empty() {
            // Constraints no shape states (`<=limits.max`): the numbers the sources write,
            // and around them, after every other leaf.
            let mut probes = Vec::new();
            for &number in &self.literals {
                for probe in [
                    number,
                    number + 1.0,
                    number - 1.0,
                    number + 0.5,
                    number - 0.5,
                ] {
                    let value = if probe.fract() == 0.0 && probe.abs() < 9e15 {
                        Json::from(probe as i64)
                    } else {
                        float(probe)
                    };
                    let leaf = Leaf::Value(value);
                    if !out.contains(&leaf) && !probes.contains(&leaf) {
                        probes.push(leaf);
                    }
                }
            }
            probes.truncate(MAX_LEAVES);
            out.extend(probes);
        }
        out
    }

    /// The least struct, then with each optional field, an undeclared field, and fields with
    /// labels the pattern constraints of either version admit.
    fn struct_variants(
        &self,
        view: &View<'s>,
        object: &'s StructShape,
        other: &Alternatives<'s>,
    ) -> Vec<Json> {
        let mut base = Map::new();
        if self.fill_struct(view, object, &mut base, None, 0).is_none() {
            return Vec::new();
        }
        let mut out = vec![Json::Object(base.clone())];
        let mut with = |name: &str, value: Json| {
            let mut fields = base.clone();
            fields.insert(name.to_string(), value);
            out.push(Json::Object(fields));
        };
        for property in &object.properties {
            if base.contains_key(&property.name) {
                continue;
            }
            let alternatives = Alternatives::of(&property.shape, &view.definitions);
            for value in self.values(view, &alternatives, 1).into_iter().take(2) {
                with(&property.name, value);
            }
        }
        // Labels a pattern constraint admits: any, and one no pattern constraint of the other
        // version admits; and, where this struct takes any label, one the other version's
        // patterns constrain.
        let declared: Vec<String> = object
            .properties
            .iter()
            .map(|p| format!("^{}$", regex::escape(&p.name)))
            .collect();
        let other_patterns: Vec<String> = other
            .structs
            .iter()
            .flat_map(|(_, s)| s.patterns.iter().map(|(r, _)| r.clone()))
            .collect();
        for (regex, shape) in &object.patterns {
            let alternatives = Alternatives::of(shape, &view.definitions);
            let values = self.values(view, &alternatives, 1);
            for excluded in [Vec::new(), other_patterns.clone()] {
                let set = StringSet {
                    matching: vec![regex.clone()],
                    not_matching: declared.iter().cloned().chain(excluded).collect(),
                    ..StringSet::default()
                };
                if let Difference::Witness(name) = inclusion::member(&set) {
                    for value in values.iter().take(2) {
                        with(&name, value.clone());
                    }
                }
            }
        }
        for regex in &other_patterns {
            let set = StringSet {
                matching: vec![regex.clone()],
                not_matching: declared.clone(),
                ..StringSet::default()
            };
            if let Difference::Witness(name) = inclusion::member(&set) {
                let candidates = match extra(object, &name) {
                    Extra::Never => Vec::new(),
                    Extra::Any => any_values(),
                    Extra::Shape(shape) => {
                        self.values(view, &Alternatives::of(shape, &view.definitions), 1)
                    }
                };
                for value in candidates.into_iter().take(4) {
                    with(&name, value);
                }
            }
        }
        let mut names: Vec<String> = ["extra", "other", "x"]
            .into_iter()
            .find(|n| object.properties.iter().all(|p| p.name != *n))
            .map_or_else(|| vec!["extra1".to_string()], |n| vec![n.to_string()]);
        // And a label none of the other version's pattern constraints admits: where that
        // version is closed, only such a label shows it.
        if !other_patterns.is_empty() {
            let set = StringSet {
                not_matching: declared.iter().chain(&other_patterns).cloned().collect(),
                min_runes: Some(1),
                ..StringSet::default()
            };
            if let Difference::Witness(name) = inclusion::member(&set) {
                names.push(name);
            }
        }
        for name in &names {
            match extra(object, name) {
                Extra::Never => {}
                Extra::Any => {
                    for value in any_values().into_iter().take(2) {
                        with(name, value);
                    }
                }
                Extra::Shape(shape) => {
                    let alternatives = Alternatives::of(shape, &view.definitions);
                    for value in self.values(view, &alternatives, 1).into_iter().take(2) {
                        with(name, value);
                    }
                }
            }
        }
        out
    }

    /// The least list, then lists of the lengths the other version's bounds make
    /// interesting, and one with a repeated element.
    fn list_variants(
        &self,
        view: &View<'s>,
        list: &'s ListShape,
        other: &Alternatives<'s>,
    ) -> Vec<Json> {
        let mut least = Vec::new();
        if self.fill_list(view, list, &mut least, 0, 0).is_none() {
            return Vec::new();
        }
        let mut lengths: Vec<usize> = vec![least.len(), least.len() + 1, least.len() + 2];
        for other_list in &other.lists {
            for keyword in &other_list.keywords {
                match keyword {
                    Keyword::MinItems(n) => lengths.push((*n as usize).saturating_sub(1)),
                    Keyword::MaxItems(n) => lengths.push(*n as usize + 1),
                    _ => {}
                }
            }
            lengths.push(other_list.prefix.len() + 1);
            lengths.push(other_list.prefix.len().saturating_sub(1));
        }
        let mut out = Vec::new();
        for length in lengths {
            if length > 64 {
                continue;
            }
            let mut items: Vec<Json> = least.iter().take(length).cloned().collect();
            if self.fill_list(view, list, &mut items, length, 0).is_some() {
                items.truncate(length.max(least.len().min(length)));
                out.push(Json::Array(items.clone()));
                // The same element twice, for `list.UniqueItems()`.
                if let Some(first) = items.first().cloned() {
                    if items.len() >= 2 {
                        items[1] = first;
                        out.push(Json::Array(items));
                    }
                }
            }
        }
        // Each value the rest's element may take, as one more element.
        if let Some(rest) = &list.rest {
            let alternatives = Alternatives::of(rest, &view.definitions);
            for value in self.values(view, &alternatives, 1).into_iter().take(4) {
                let mut items = least.clone();
                items.push(value);
                out.push(Json::Array(items));
            }
        }
        out
    }

    /// Makes `document` one the version accepts by changing it away from `protected` (the
    /// change's place), or `None` when the errors are at the place itself or do not go away.
    fn repair(
        &self,
        view: &View<'s>,
        mut document: Json,
        protected: &[String],
        budget: &mut usize,
    ) -> Option<Json> {
        let mut tried: HashMap<Vec<String>, usize> = HashMap::new();
        for _ in 0..MAX_REPAIRS {
            if *budget == 0 {
                return None;
            }
            *budget -= 1;
            let errors = view.validate(&document).ok()?;
            if errors.is_empty() {
                return Some(document);
            }
            let mut changed = false;
            for error in &errors {
                let path = parse_path(&error.path)?;
                if path.starts_with(protected) || protected.starts_with(&path) {
                    return None;
                }
                if error.message.contains("not allowed") {
                    changed |= remove_at(&mut document, &path);
                    continue;
                }
                let count = tried.entry(path.clone()).or_insert(0);
                let current = value_at(&document, &path).cloned();
                let candidates = self.values_at(view, &document, &path);
                while let Some(candidate) = candidates.get(*count) {
                    *count += 1;
                    if Some(candidate) != current.as_ref() {
                        changed |= set_at(&mut document, &path, candidate.clone());
                        break;
                    }
                }
            }
            if !changed {
                return None;
            }
        }
        None
    }

    /// The values the version plausibly accepts at the data path `path` of `document`.
    fn values_at(&self, view: &View<'s>, document: &Json, path: &[String]) -> Vec<Json> {
        let mut shape: &'s Shape = view.root;
        let mut data = Some(document);
        for segment in path {
            let alternatives = Alternatives::of(shape, &view.definitions);
            match data {
                Some(Json::Array(items)) => {
                    let Some(list) = alternatives.lists.first() else {
                        return any_values();
                    };
                    let Ok(index) = segment.parse::<usize>() else {
                        return any_values();
                    };
                    shape = list
                        .prefix
                        .get(index)
                        .or(list.rest.as_deref())
                        .unwrap_or(&ANY);
                    data = items.get(index);
                }
                _ => {
                    let declaring = alternatives
                        .structs
                        .iter()
                        .find(|(_, s)| s.properties.iter().any(|p| &p.name == segment))
                        .or(alternatives.structs.first());
                    let Some((_, object)) = declaring else {
                        return any_values();
                    };
                    shape = field_of(object, segment).0.unwrap_or(&ANY);
                    data = data.and_then(|d| d.get(segment.as_str()));
                }
            }
        }
        let values = self.values(view, &Alternatives::of(shape, &view.definitions), 0);
        if values.is_empty() {
            any_values()
        } else {
            values
        }
    }
}

/// What `view` says at the end of `site`; `None` where the site leaves its shapes.
fn target_of<'s>(view: &View<'s>, site: &[Step], side: Side) -> Option<Target<'s>> {
    let mut shape: &'s Shape = view.root;
    let mut field = None;
    let mut index = 0;
    while index < site.len() {
        match &site[index] {
            Step::Struct(previous, current) => {
                let alternatives = Alternatives::of(shape, &view.definitions);
                let (_, object) = *alternatives.structs.get(side.pick(*previous, *current)?)?;
                match site.get(index + 1) {
                    None => {
                        return Some(Target {
                            value: Alternatives {
                                structs: vec![(None, object)],
                                ..Alternatives::default()
                            },
                            field,
                        })
                    }
                    Some(Step::Field(name)) => {
                        let (child, rule) = field_of(object, name);
                        field = Some(rule);
                        match child {
                            Some(child) => shape = child,
                            None => {
                                return (index + 2 == site.len()).then(|| Target {
                                    value: Alternatives::default(),
                                    field,
                                })
                            }
                        }
                        index += 2;
                    }
                    Some(_) => return None,
                }
            }
            Step::List(previous, current) => {
                let alternatives = Alternatives::of(shape, &view.definitions);
                let list = *alternatives.lists.get(side.pick(*previous, *current)?)?;
                match site.get(index + 1) {
                    None => {
                        return Some(Target {
                            value: Alternatives {
                                lists: vec![list],
                                ..Alternatives::default()
                            },
                            field,
                        })
                    }
                    Some(Step::Element(element)) => {
                        shape = list.prefix.get(*element).or(list.rest.as_deref())?;
                        field = None;
                        index += 2;
                    }
                    Some(_) => return None,
                }
            }
            Step::Field(_) | Step::Element(_) => return None,
        }
    }
    Some(Target {
        value: Alternatives::of(shape, &view.definitions),
        field,
    })
}

/// A struct's field `name`: its value (or what the struct says of undeclared fields) and
/// whether data must, may or must not carry it.
fn field_of<'s>(object: &'s StructShape, name: &str) -> (Option<&'s Shape>, FieldRule) {
    if let Some(property) = object.properties.iter().find(|p| p.name == name) {
        let rule = if must_be_present(property.presence) {
            FieldRule::Must
        } else {
            FieldRule::May
        };
        return (Some(&property.shape), rule);
    }
    match extra(object, name) {
        Extra::Shape(shape) => (Some(shape), FieldRule::May),
        Extra::Any => (Some(&ANY), FieldRule::May),
        Extra::Never => (None, FieldRule::Never),
    }
}

/// The fields in the order the struct declares them, then the others as they came.
fn in_declared_order(object: &StructShape, mut fields: Map<String, Json>) -> Map<String, Json> {
    let mut ordered = Map::new();
    for property in &object.properties {
        if let Some(value) = fields.remove(&property.name) {
            ordered.insert(property.name.clone(), value);
        }
    }
    ordered.extend(fields);
    ordered
}

/// The kinds a value accepts, literals included.
fn kinds_of(value: &Alternatives<'_>) -> Kinds {
    let mut kinds = value.type_kinds();
    for literal in &value.literals {
        kinds = Kinds(kinds.0 | super::rules::json_kind(literal).0);
    }
    if value.accepts_null() {
        kinds = Kinds(kinds.0 | Kinds::NULL.0);
    }
    kinds
}

/// One value of each kind, the plainest first: what `_` is tried with.
fn any_values() -> Vec<Json> {
    vec![
        Json::from(0),
        Json::String("a".to_string()),
        Json::Bool(true),
        Json::Null,
        Json::from(1),
        float(0.5),
        Json::Object(Map::new()),
        Json::Array(Vec::new()),
    ]
}

/// Numbers worth trying against `other`'s numeric constraints: each bound and its
/// neighbours, each excluded value, around each multiple.
fn number_probes(other: &Alternatives<'_>) -> Vec<f64> {
    let mut probes = Vec::new();
    for scalar in &other.scalars {
        for keyword in &scalar.keywords {
            match keyword {
                Keyword::Minimum { value, .. } | Keyword::Maximum { value, .. } => {
                    if let Some(v) = value.as_f64() {
                        probes.extend([v, v - 1.0, v + 1.0, v - 0.5, v + 0.5]);
                    }
                }
                Keyword::NotEqual(value) => probes.extend(value.as_f64()),
                Keyword::MultipleOf(value) => {
                    if let Some(k) = value.as_f64() {
                        probes.extend([k + 1.0, k / 2.0, 1.0, k * 1.5]);
                    }
                }
                _ => {}
            }
        }
    }
    for literal in &other.literals {
        if let Some(v) = literal.as_f64() {
            probes.extend([v + 1.0, v - 1.0]);
        }
    }
    probes
}

/// Values of a scalar: numbers (the probes first), strings, booleans, null. Where the value
/// carries constraints no keyword states, common string formats are tried too.
fn scalar_values(scalar: &ScalarShape, probes: &[f64], formats: bool) -> Vec<Json> {
    let mut out = Vec::new();
    if !scalar.kinds.and(Kinds::NUMBER).is_empty() {
        out.extend(number_values(scalar, probes));
    }
    if scalar.kinds.contains(Kinds::STRING) {
        out.extend(string_values(scalar, formats));
    }
    if scalar.kinds.contains(Kinds::BOOL) {
        out.extend([Json::Bool(true), Json::Bool(false)]);
    }
    if scalar.kinds.contains(Kinds::NULL) {
        out.push(Json::Null);
    }
    out
}

/// Numbers a number scalar accepts as far as its keywords tell: the probes, then 0, 1, -1,
/// then each of its bounds and their neighbours.
fn number_values(scalar: &ScalarShape, probes: &[f64]) -> Vec<Json> {
    let integers = scalar.kinds.contains(Kinds::INT);
    let floats = scalar.kinds.contains(Kinds::FLOAT);
    let mut points: Vec<f64> = probes.to_vec();
    points.extend([0.0, 1.0, -1.0]);
    for keyword in &scalar.keywords {
        match keyword {
            Keyword::Minimum { value, .. } | Keyword::Maximum { value, .. } => {
                if let Some(v) = value.as_f64() {
                    points.extend([v, v + 1.0, v - 1.0, v + 0.5, v - 0.5]);
                }
            }
            Keyword::MultipleOf(value) => {
                if let Some(k) = value.as_f64() {
                    points.extend([k, 2.0 * k, -k]);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for point in points {
        if !point.is_finite() || point.abs() > 9.0e15 {
            continue;
        }
        let mut candidates = Vec::new();
        if point.fract() == 0.0 {
            if integers {
                candidates.push(Json::from(point as i64));
            }
            if floats {
                candidates.push(float(point));
            }
        } else if floats {
            candidates.push(float(point));
        }
        for candidate in candidates {
            let accepted = scalar
                .keywords
                .iter()
                .all(|k| keyword_accepts(k, &candidate) != Some(false));
            if accepted {
                out.push(candidate);
            }
        }
    }
    dedup(&mut out);
    out
}

/// A float as JSON that CUE reads as a float (`1.0`, not `1`).
fn float(value: f64) -> Json {
    Number::from_f64(value).map_or(Json::Null, Json::Number)
}

/// The strings a string scalar allows: patterns and lengths.
fn string_set(scalar: &ScalarShape) -> StringSet {
    let mut set = pattern_set(scalar);
    for keyword in &scalar.keywords {
        match keyword {
            Keyword::MinLength(n) => set.min_runes = Some(set.min_runes.map_or(*n, |m| m.max(*n))),
            Keyword::MaxLength(n) => set.max_runes = Some(set.max_runes.map_or(*n, |m| m.min(*n))),
            _ => {}
        }
    }
    set
}

/// Strings a string scalar accepts: the shortest its patterns and lengths allow, a sample of
/// its format, and plain ones.
fn string_values(scalar: &ScalarShape, formats: bool) -> Vec<Json> {
    let mut out = Vec::new();
    for keyword in &scalar.keywords {
        if let Keyword::Format(format) = keyword {
            out.extend(format_sample(format).map(|s| Json::String(s.to_string())));
        }
    }
    if let Difference::Witness(text) = inclusion::member(&string_set(scalar)) {
        out.push(Json::String(text));
    }
    if formats {
        for format in ["date-time", "date", "ipv4", "ipv6", "uuid", "email", "uri"] {
            out.extend(format_sample(format).map(|s| Json::String(s.to_string())));
        }
    }
    out.extend(["a", "", "abc"].map(|s| Json::String(s.to_string())));
    out.retain(|v| {
        scalar
            .keywords
            .iter()
            .all(|k| keyword_accepts(k, v) != Some(false))
    });
    out
}

/// A string of a format, as its validator accepts it.
fn format_sample(format: &str) -> Option<&'static str> {
    Some(match format {
        "date-time" => "2024-01-01T00:00:00Z",
        "date" => "2024-01-01",
        "ipv4" => "192.0.2.1",
        "ipv6" => "2001:db8::1",
        "uuid" => "123e4567-e89b-12d3-a456-426614174000",
        "email" => "a@example.com",
        "uri" => "https://example.com/",
        _ => return None,
    })
}

fn dedup(values: &mut Vec<Json>) {
    let mut seen = HashSet::new();
    values.retain(|v| seen.insert(v.to_string()));
}

/// A data path as diagnostics print it (`items.0."a-b"`), as its segments.
fn parse_path(path: &str) -> Option<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if rest.starts_with('"') {
            // A quoted label: up to the closing quote that is not escaped.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end?;
            segments.push(serde_json::from_str::<String>(&rest[..=end]).ok()?);
            rest = &rest[end + 1..];
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            segments.push(rest[..end].to_string());
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    Some(segments)
}

fn value_at<'j>(document: &'j Json, path: &[String]) -> Option<&'j Json> {
    let mut at = document;
    for segment in path {
        at = match at {
            Json::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            Json::Object(fields) => fields.get(segment)?,
            _ => return None,
        };
    }
    Some(at)
}

fn set_at(document: &mut Json, path: &[String], value: Json) -> bool {
    let Some((last, parents)) = path.split_last() else {
        *document = value;
        return true;
    };
    let mut at = document;
    for segment in parents {
        at = match at {
            Json::Array(items) => {
                match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(item) => item,
                    None => return false,
                }
            }
            Json::Object(fields) => fields
                .entry(segment.clone())
                .or_insert_with(|| Json::Object(Map::new())),
            _ => return false,
        };
    }
    match at {
        Json::Array(items) => match last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(item) => {
                *item = value;
                true
            }
            None => false,
        },
        Json::Object(fields) => {
            fields.insert(last.clone(), value);
            true
        }
        _ => false,
    }
}

fn remove_at(document: &mut Json, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut at = document;
    for segment in parents {
        at = match at {
            Json::Array(items) => {
                match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(item) => item,
                    None => return false,
                }
            }
            Json::Object(fields) => match fields.get_mut(segment) {
                Some(field) => field,
                None => return false,
            },
            _ => return false,
        };
    }
    match at {
        Json::Object(fields) => fields.remove(last).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_path;

    #[test]
    fn paths_as_diagnostics_print_them() {
        assert_eq!(
            parse_path(r#"items.0."a-b".c"#),
            Some(vec![
                "items".to_string(),
                "0".to_string(),
                "a-b".to_string(),
                "c".to_string()
            ])
        );
        assert_eq!(parse_path(""), Some(Vec::new()));
        assert_eq!(parse_path(r#""a\"b""#), Some(vec!["a\"b".to_string()]));
    }
}
