//! The structural walk: pairs what two versions of a definition say at each place and runs
//! every rule there.
//!
//! Values are flattened into their alternatives; struct alternatives are paired (one with
//! one, by definition name, then alternatives that compare equal, then by position when both
//! sides have as many left), and so are list alternatives. Findings inside alternatives paired
//! by position are not certain (the data may match another alternative): their breaking
//! directions are left to the counterexample search. Alternatives that cannot be paired are
//! matched by inclusion (an old alternative some new one accepts whole is not lost), and each
//! one left over is a `DISJUNCTION_UNDECIDED` change for the search to decide.
//!
//! Fields are paired by name; a field one version does not declare takes what that version's
//! struct says of unknown fields (closed: not allowed; open: anything; a pattern constraint:
//! its value). Recursive definitions stop at a pair of definitions already being compared.
//!
//! Every change carries its [`Step`]s from the definition's root: which alternatives, fields
//! (with a name chosen for `*` and pattern places) and elements lead to it, so that the
//! counterexample builder can put a value exactly there.

use std::collections::{HashMap, HashSet};

use super::rules::{
    Alternatives, Extra, FieldPair, ListPair, Pair, Rule, StructPair, ValuePair, Verdict, Verdicts,
    RULES,
};
use crate::export::{Body, Exported, ListShape, Property, Shape, StructShape};
use crate::re2::inclusion::{self, StringSet};
use crate::source::Span;

/// How many alternative pairs of one disjunction are compared whole to match them by
/// equality or inclusion; beyond, they are left to position or reported undecided.
const MAX_TRIAL_PAIRS: usize = 64;

/// One step from a value into a value inside it, as the walk took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Into one struct alternative of the value: its index in each version's
    /// `Alternatives::structs`, where that version has it.
    Struct(Option<usize>, Option<usize>),
    /// Into one list alternative, likewise.
    List(Option<usize>, Option<usize>),
    /// Into a field of the struct; for a `*` or pattern place, a name the walk chose.
    Field(String),
    /// Into the list element at this index.
    Element(usize),
}

/// How deep the walk follows nested values: far beyond any real schema.
const MAX_DEPTH: usize = 100;

/// `_`, the value of a field an open struct does not declare.
pub(crate) static ANY: Shape = Shape {
    body: Body::Any,
    description: None,
    default: None,
    unsupported: Vec::new(),
    combinators: Vec::new(),
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
    /// How the walk got here from the definition's root.
    pub(crate) site: Vec<Step>,
    pub(crate) verdicts: Verdicts,
    /// Reported only when a counterexample proves it.
    pub(crate) proof_only: bool,
}

/// What the walk reads besides the shapes: each version's field value texts by label span.
pub(crate) struct Texts<'t> {
    pub(crate) previous: &'t HashMap<Span, String>,
    pub(crate) current: &'t HashMap<Span, String>,
}

/// Every change from the previous version's definition to the current one's.
pub(crate) fn compare_definitions(
    previous: (&Exported, &str),
    current: (&Exported, &str),
    texts: &Texts<'_>,
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
        texts,
        visiting: HashSet::new(),
        changes: Vec::new(),
        depth: 0,
        uncertain: 0,
    };
    walker
        .visiting
        .insert((previous.1.to_string(), current.1.to_string()));
    let place = Place {
        path: String::new(),
        previous: *old_span,
        current: *new_span,
        site: Vec::new(),
    };
    walker.value(old_shape, new_shape, &place);
    walker.changes
}

/// Where the walk is: the data path, where the field is declared in each version, and the
/// steps that lead here.
#[derive(Clone)]
struct Place {
    path: String,
    previous: Option<Span>,
    current: Option<Span>,
    site: Vec<Step>,
}

impl Place {
    fn child(
        &self,
        selector: &str,
        step: Step,
        previous: Option<Span>,
        current: Option<Span>,
    ) -> Place {
        let mut path = self.path.clone();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(selector);
        let mut site = self.site.clone();
        site.push(step);
        Place {
            path,
            previous: previous.or(self.previous),
            current: current.or(self.current),
            site,
        }
    }

    fn stepped(&self, step: Step) -> Place {
        let mut site = self.site.clone();
        site.push(step);
        Place {
            site,
            ..self.clone()
        }
    }
}

struct Walker<'s, 't> {
    old: HashMap<&'s str, &'s Shape>,
    new: HashMap<&'s str, &'s Shape>,
    texts: &'t Texts<'t>,
    /// Pairs of definitions being compared, so that recursive definitions end.
    visiting: HashSet<(String, String)>,
    changes: Vec<Change>,
    depth: usize,
    /// How many alternatives paired by position (not by name or equality) enclose the place:
    /// a break found inside them is left to the counterexample search.
    uncertain: usize,
}

impl<'s, 't> Walker<'s, 't> {
    fn run(&mut self, pair: Pair<'_>, place: &Place) {
        for rule in RULES {
            for note in rule.notes(&pair) {
                let mut verdicts = note.verdicts;
                if self.uncertain > 0 {
                    for verdict in [&mut verdicts.backward, &mut verdicts.forward] {
                        if *verdict == Verdict::Breaks {
                            *verdict = Verdict::Unknown;
                        }
                    }
                }
                self.push(rule, note.message, place, verdicts);
                if note.proof_only {
                    if let Some(change) = self.changes.last_mut() {
                        change.proof_only = true;
                    }
                }
            }
        }
    }

    fn push(&mut self, rule: &'static Rule, message: String, place: &Place, verdicts: Verdicts) {
        self.changes.push(Change {
            rule,
            message,
            path: place.path.clone(),
            previous: place.previous,
            current: place.current,
            site: place.site.clone(),
            verdicts,
            proof_only: false,
        });
    }

    /// A walker for comparing two alternatives whole, on the side.
    fn trial(&self) -> Walker<'s, 't> {
        Walker {
            old: self.old.clone(),
            new: self.new.clone(),
            texts: self.texts,
            visiting: self.visiting.clone(),
            changes: Vec::new(),
            depth: self.depth,
            uncertain: 0,
        }
    }

    /// The changes between two struct alternatives, compared on the side.
    fn trial_structs(&self, old: &'s StructShape, new: &'s StructShape) -> Vec<Verdicts> {
        let mut trial = self.trial();
        let place = Place {
            path: String::new(),
            previous: None,
            current: None,
            site: Vec::new(),
        };
        trial.structure(old, new, &place);
        trial.changes.iter().map(|c| c.verdicts).collect()
    }

    fn value(&mut self, old: &'s Shape, new: &'s Shape, place: &Place) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let old = Alternatives::of(old, &self.old);
        let new = Alternatives::of(new, &self.new);
        let text = |texts: &'t HashMap<Span, String>, span: Option<Span>| {
            span.and_then(|span| texts.get(&span)).map(String::as_str)
        };
        self.run(
            Pair::Value(&ValuePair {
                old: &old,
                new: &new,
                old_text: text(self.texts.previous, place.previous),
                new_text: text(self.texts.current, place.current),
            }),
            place,
        );
        let pairing = self.pair_structs(&old, &new);
        for (o, n, certain) in pairing.pairs {
            let ((old_name, old_struct), (new_name, new_struct)) = (old.structs[o], new.structs[n]);
            let key = (
                old_name.unwrap_or_default().to_string(),
                new_name.unwrap_or_default().to_string(),
            );
            let named = old_name.is_some() && new_name.is_some();
            if named && !self.visiting.insert(key.clone()) {
                continue;
            }
            if !certain {
                self.uncertain += 1;
            }
            self.structure(
                old_struct,
                new_struct,
                &place.stepped(Step::Struct(Some(o), Some(n))),
            );
            if !certain {
                self.uncertain -= 1;
            }
            if named {
                self.visiting.remove(&key);
            }
        }
        let undecided = RULES
            .iter()
            .find(|r| r.id == "DISJUNCTION_UNDECIDED")
            .expect("the rule is registered");
        let uncovered = [
            (pairing.old_uncovered, "previous", "current"),
            (pairing.new_uncovered, "current", "previous"),
        ];
        for (indices, this, other) in uncovered {
            let backward = this == "previous";
            for index in indices {
                let message = format!(
                    "struct alternative {} of the {this} version is not accepted whole by any alternative of the {other} one",
                    index + 1
                );
                let (unknown, holds) = (Verdict::Unknown, Verdict::Holds);
                let (verdicts, step) = if backward {
                    (
                        Verdicts {
                            backward: unknown,
                            forward: holds,
                        },
                        Step::Struct(Some(index), None),
                    )
                } else {
                    (
                        Verdicts {
                            backward: holds,
                            forward: unknown,
                        },
                        Step::Struct(None, Some(index)),
                    )
                };
                self.push(undecided, message, &place.stepped(step), verdicts);
            }
        }
        if let Some(pairs) = pair_up(&old.lists, &new.lists, |_| None) {
            let certain = old.lists.len() == 1 && new.lists.len() == 1;
            for (o, n) in pairs {
                if !certain {
                    self.uncertain += 1;
                }
                self.list(
                    old.lists[o],
                    new.lists[n],
                    &place.stepped(Step::List(Some(o), Some(n))),
                );
                if !certain {
                    self.uncertain -= 1;
                }
            }
        }
        self.depth -= 1;
    }

    /// Pairs the struct alternatives of a value: by definition name, then those that compare
    /// equal, then by position (not certain) when as many are left on both sides. When they
    /// cannot be paired, the alternatives one side has that no alternative of the other
    /// accepts whole are left over.
    fn pair_structs(&self, old: &Alternatives<'s>, new: &Alternatives<'s>) -> StructPairing {
        let mut pairing = StructPairing::default();
        if old.structs.is_empty() || new.structs.is_empty() {
            return pairing;
        }
        if let Some(pairs) = by_name_or_single(&old.structs, &new.structs) {
            pairing.pairs = pairs.into_iter().map(|(o, n)| (o, n, true)).collect();
            return pairing;
        }
        if old.structs.len() * new.structs.len() > MAX_TRIAL_PAIRS {
            match pair_up(&old.structs, &new.structs, |s| s.0) {
                Some(pairs) => {
                    pairing.pairs = pairs.into_iter().map(|(o, n)| (o, n, false)).collect()
                }
                None => {
                    pairing.old_uncovered = (0..old.structs.len()).collect();
                    pairing.new_uncovered = (0..new.structs.len()).collect();
                }
            }
            return pairing;
        }
        // Every pair compared whole, once.
        let mut trials: Vec<Vec<Vec<Verdicts>>> = Vec::new();
        for (_, o) in &old.structs {
            trials.push(
                new.structs
                    .iter()
                    .map(|(_, n)| self.trial_structs(o, n))
                    .collect(),
            );
        }
        let equal = |o: usize, n: usize| trials[o][n].is_empty();
        let mut old_left: Vec<usize> = (0..old.structs.len()).collect();
        let mut new_left: Vec<usize> = (0..new.structs.len()).collect();
        for o in 0..old.structs.len() {
            if let Some(position) = new_left.iter().position(|&n| equal(o, n)) {
                let n = new_left.remove(position);
                old_left.retain(|&x| x != o);
                pairing.pairs.push((o, n, true));
            }
        }
        if old_left.len() == new_left.len() {
            for (o, n) in old_left.into_iter().zip(new_left) {
                pairing.pairs.push((o, n, false));
            }
            return pairing;
        }
        let holds = |verdicts: &[Verdicts], backward: bool| {
            verdicts.iter().all(|v| {
                let verdict = if backward { v.backward } else { v.forward };
                verdict == Verdict::Holds
            })
        };
        pairing.old_uncovered = (0..old.structs.len())
            .filter(|&o| !(0..new.structs.len()).any(|n| holds(&trials[o][n], true)))
            .collect();
        pairing.new_uncovered = (0..new.structs.len())
            .filter(|&n| !(0..old.structs.len()).any(|o| holds(&trials[o][n], false)))
            .collect();
        pairing
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
                ..place.child(&selector(name), Step::Field(name.to_string()), None, None)
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
                let Some(name) = label_matching(regex, old, new) else {
                    continue;
                };
                let child = place.child(
                    &format!("[{}]", super::rules::quoted(regex)),
                    Step::Field(name),
                    None,
                    None,
                );
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
                let child = place.child("*", Step::Field(other_label(old, new)), None, None);
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
                self.value(
                    o,
                    n,
                    &place.child(&i.to_string(), Step::Element(i), None, None),
                );
            }
        }
        if let (Some(o), Some(n)) = (&old.rest, &new.rest) {
            self.value(o, n, &place.child("*", Step::Element(longest), None, None));
        }
    }
}

/// How the alternatives of one disjunction were paired.
#[derive(Default)]
struct StructPairing {
    /// (old index, new index, whether the pair is certain: by name or equal).
    pairs: Vec<(usize, usize, bool)>,
    /// Alternatives no alternative of the other version accepts whole.
    old_uncovered: Vec<usize>,
    new_uncovered: Vec<usize>,
}

/// A label neither struct declares nor matches with a pattern constraint: what `*` stands for.
fn other_label(old: &StructShape, new: &StructShape) -> String {
    let taken = |name: &str| {
        [old, new].iter().any(|s| {
            s.properties.iter().any(|p| p.name == name)
                || s.patterns
                    .iter()
                    .any(|(r, _)| crate::re2::compile(r).is_ok_and(|r| r.is_match(name)))
        })
    };
    ["extra", "other", "x"]
        .into_iter()
        .map(str::to_string)
        .chain((1..).map(|i| format!("extra{i}")))
        .take(64)
        .find(|name| !taken(name))
        .unwrap_or_else(|| "extra".to_string())
}

/// A label the pattern `regex` matches that neither struct declares: what `[regex]` stands
/// for. `None` when every label it matches is declared.
fn label_matching(regex: &str, old: &StructShape, new: &StructShape) -> Option<String> {
    let mut set = StringSet {
        matching: vec![regex.to_string()],
        ..StringSet::default()
    };
    for property in old.properties.iter().chain(&new.properties) {
        set.not_matching
            .push(format!("^{}$", regex::escape(&property.name)));
    }
    match inclusion::member(&set) {
        inclusion::Difference::Witness(name) => Some(name),
        _ => None,
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

/// Pairs the alternatives of two disjunctions one with one, or by definition name when every
/// alternative is named and the names match; `None` otherwise.
fn by_name_or_single<T>(
    old: &[(Option<&str>, T)],
    new: &[(Option<&str>, T)],
) -> Option<Vec<(usize, usize)>> {
    if old.len() == 1 && new.len() == 1 {
        return Some(vec![(0, 0)]);
    }
    let mut by_name = Vec::new();
    for (i, (name, _)) in old.iter().enumerate() {
        let n = (*name)?;
        if let Some(j) = new.iter().position(|(x, _)| *x == Some(n)) {
            by_name.push((i, j));
        }
    }
    (by_name.len() == old.len() && by_name.len() == new.len()).then_some(by_name)
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
