//! The structural walk: pairs what two versions of a definition say at each place and runs
//! every rule there.
//!
//! Values are flattened into their alternatives; struct alternatives are paired (one with
//! one, by definition name, or by position when both sides have as many), and so are list
//! alternatives. Fields are paired by name; a field one version does not declare takes what
//! that version's struct says of unknown fields (closed: not allowed; open: anything; a
//! pattern constraint: its value). Recursive definitions stop at a pair of definitions
//! already being compared.

use std::collections::{HashMap, HashSet};

use super::rules::{
    Alternatives, Extra, FieldPair, ListPair, Pair, Rule, StructPair, ValuePair, RULES,
};
use crate::export::{Body, Exported, ListShape, Property, Shape, StructShape};
use crate::source::Span;

/// How deep the walk follows nested values: far beyond any real schema.
const MAX_DEPTH: usize = 100;

/// `_`, the value of a field an open struct does not declare.
static ANY: Shape = Shape {
    body: Body::Any,
    description: None,
    default: None,
    unsupported: Vec::new(),
};

/// One change, before the mode decides whether it matters.
pub(crate) struct Change {
    pub(crate) rule: &'static Rule,
    pub(crate) message: String,
    pub(crate) path: String,
    /// The position in the previous version's sources.
    pub(crate) previous: Option<Span>,
    /// The position in the current version's sources.
    pub(crate) current: Option<Span>,
}

/// Every change from the previous version's definition to the current one's.
pub(crate) fn compare_definitions(
    previous: (&Exported, &str),
    current: (&Exported, &str),
) -> Vec<Change> {
    let index = |exported: &Exported| -> HashMap<String, (Shape, Option<Span>)> {
        exported
            .definitions
            .iter()
            .map(|d| (d.name.clone(), (d.shape.clone(), d.span)))
            .collect()
    };
    let old = index(previous.0);
    let new = index(current.0);
    let (Some((old_shape, old_span)), Some((new_shape, new_span))) =
        (old.get(previous.1), new.get(current.1))
    else {
        return Vec::new();
    };
    let mut walker = Walker {
        old: old.iter().map(|(k, (s, _))| (k.as_str(), s)).collect(),
        new: new.iter().map(|(k, (s, _))| (k.as_str(), s)).collect(),
        visiting: HashSet::new(),
        changes: Vec::new(),
        depth: 0,
    };
    walker
        .visiting
        .insert((previous.1.to_string(), current.1.to_string()));
    let place = Place {
        path: String::new(),
        previous: *old_span,
        current: *new_span,
    };
    walker.value(old_shape, new_shape, &place);
    walker.changes
}

/// Where the walk is: the data path, and where the field is declared in each version.
#[derive(Clone)]
struct Place {
    path: String,
    previous: Option<Span>,
    current: Option<Span>,
}

impl Place {
    fn child(&self, selector: &str, previous: Option<Span>, current: Option<Span>) -> Place {
        let mut path = self.path.clone();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(selector);
        Place {
            path,
            previous: previous.or(self.previous),
            current: current.or(self.current),
        }
    }
}

struct Walker<'s> {
    old: HashMap<&'s str, &'s Shape>,
    new: HashMap<&'s str, &'s Shape>,
    /// Pairs of definitions being compared, so that recursive definitions end.
    visiting: HashSet<(String, String)>,
    changes: Vec<Change>,
    depth: usize,
}

impl<'s> Walker<'s> {
    fn run(&mut self, pair: Pair<'_>, place: &Place) {
        for rule in RULES {
            for message in (rule.check)(&pair) {
                self.changes.push(Change {
                    rule,
                    message,
                    path: place.path.clone(),
                    previous: place.previous,
                    current: place.current,
                });
            }
        }
    }

    fn value(&mut self, old: &'s Shape, new: &'s Shape, place: &Place) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let old = Alternatives::of(old, &self.old);
        let new = Alternatives::of(new, &self.new);
        self.run(
            Pair::Value(&ValuePair {
                old: &old,
                new: &new,
            }),
            place,
        );
        if let Some(pairs) = pair_up(&old.structs, &new.structs, |s| s.0) {
            for (o, n) in pairs {
                let ((old_name, old_struct), (new_name, new_struct)) =
                    (old.structs[o], new.structs[n]);
                let key = (
                    old_name.unwrap_or_default().to_string(),
                    new_name.unwrap_or_default().to_string(),
                );
                let named = old_name.is_some() && new_name.is_some();
                if named && !self.visiting.insert(key.clone()) {
                    continue;
                }
                self.structure(old_struct, new_struct, place);
                if named {
                    self.visiting.remove(&key);
                }
            }
        }
        if let Some(pairs) = pair_up(&old.lists, &new.lists, |_| None) {
            for (o, n) in pairs {
                self.list(old.lists[o], new.lists[n], place);
            }
        }
        self.depth -= 1;
    }

    fn structure(&mut self, old: &'s StructShape, new: &'s StructShape, place: &Place) {
        self.run(Pair::Struct(&StructPair { old, new }), place);
        let mut names: Vec<&str> = old.properties.iter().map(|p| p.name.as_str()).collect();
        for p in &new.properties {
            if !names.contains(&p.name.as_str()) {
                names.push(&p.name);
            }
        }
        for name in names {
            let old_field = property(old, name);
            let new_field = property(new, name);
            let old_extra = extra(old, name);
            let new_extra = extra(new, name);
            let pair = FieldPair {
                name,
                old: old_field,
                new: new_field,
                old_extra,
                new_extra,
            };
            // A field's positions are its own declarations, never its parent's: a finding
            // about a field one version lacks points at the other version only.
            let child = Place {
                previous: old_field.and_then(|p| p.span),
                current: new_field.and_then(|p| p.span),
                ..place.child(&selector(name), None, None)
            };
            self.run(Pair::Field(&pair), &child);
            let old_value = old_field.map(|p| &p.shape).or(match old_extra {
                Extra::Shape(s) => Some(s),
                _ => None,
            });
            let new_value = new_field.map(|p| &p.shape).or(match new_extra {
                Extra::Shape(s) => Some(s),
                _ => None,
            });
            if let (Some(o), Some(n)) = (old_value, new_value) {
                self.value(o, n, &child);
            }
        }
        // Fields neither declares: pattern constraints with the same label set, and the
        // values of other fields.
        for (regex, old_shape) in &old.patterns {
            if let Some((_, new_shape)) = new.patterns.iter().find(|(r, _)| r == regex) {
                let child = place.child(&format!("[{}]", super::rules::quoted(regex)), None, None);
                self.value(old_shape, new_shape, &child);
            }
        }
        let other = |s: &'s StructShape| -> Option<&'s Shape> {
            match (&s.additional, s.closed) {
                (Some(shape), _) => Some(shape),
                (None, false) => Some(&ANY),
                (None, true) => None,
            }
        };
        if let (Some(o), Some(n)) = (other(old), other(new)) {
            if !(std::ptr::eq(o, &ANY) && std::ptr::eq(n, &ANY)) {
                let child = place.child("*", None, None);
                self.value(o, n, &child);
            }
        }
    }

    fn list(&mut self, old: &'s ListShape, new: &'s ListShape, place: &Place) {
        self.run(Pair::List(&ListPair { old, new }), place);
        let longest = old.prefix.len().max(new.prefix.len());
        for i in 0..longest {
            let o = old.prefix.get(i).or(old.rest.as_deref());
            let n = new.prefix.get(i).or(new.rest.as_deref());
            if let (Some(o), Some(n)) = (o, n) {
                self.value(o, n, &place.child(&i.to_string(), None, None));
            }
        }
        if let (Some(o), Some(n)) = (&old.rest, &new.rest) {
            self.value(o, n, &place.child("*", None, None));
        }
    }
}

fn property<'s>(object: &'s StructShape, name: &str) -> Option<&'s Property> {
    object.properties.iter().find(|p| p.name == name)
}

/// What `object` accepts for a field `name` it does not declare.
pub(crate) fn extra<'s>(object: &'s StructShape, name: &str) -> Extra<'s> {
    for (regex, shape) in &object.patterns {
        if crate::re2::compile(regex).is_ok_and(|r| r.is_match(name)) {
            return Extra::Shape(shape);
        }
    }
    match (&object.additional, object.closed) {
        (Some(shape), _) => Extra::Shape(shape),
        (None, false) => Extra::Any,
        (None, true) => Extra::Never,
    }
}

/// A field name as a path prints it.
fn selector(name: &str) -> String {
    let mut out = String::new();
    crate::eval::push_selector(&mut out, name);
    out
}

/// Pairs the alternatives of two disjunctions: one with one; by definition name when every
/// alternative is named and the names match; else by position when both sides have as many.
/// `None` when they cannot be paired (the `DISJUNCTION_UNDECIDED` rule reports it).
pub(crate) fn pair_up<T>(
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> Option<&str>,
) -> Option<Vec<(usize, usize)>> {
    if old.is_empty() || new.is_empty() {
        return Some(Vec::new());
    }
    if old.len() == 1 && new.len() == 1 {
        return Some(vec![(0, 0)]);
    }
    let mut by_name = Vec::new();
    for (i, o) in old.iter().enumerate() {
        let Some(n) = name(o) else { break };
        if let Some(j) = new.iter().position(|x| name(x) == Some(n)) {
            by_name.push((i, j));
        }
    }
    if by_name.len() == old.len() && by_name.len() == new.len() {
        return Some(by_name);
    }
    (old.len() == new.len()).then(|| (0..old.len()).map(|i| (i, i)).collect())
}
