//! The compatibility rules: one file per rule, registered in [`RULES`].
//!
//! The walker (`walk.rs`) pairs what the two versions say at one place and hands each rule
//! a [`Pair`]: a field (declared in one version or both), a value (its disjunction flattened
//! into [`Alternatives`]), a struct or a list. A rule looks at the pair kinds it cares about
//! and returns one message per change it sees; the walker adds the rule id, the data path
//! and the positions. Rules never recurse: the walker does.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::export::{keyword_accepts, Keyword, ListShape, Presence, Property, Shape, StructShape};
use crate::re2::inclusion::{difference, Difference, StringSet};
use crate::value::Kinds;

use super::{CompatCode, Impact};

mod bound_loosened;
mod bound_tightened;
mod default_changed;
mod dependent_constraint_changed;
mod disjunction_undecided;
mod enum_value_added;
mod enum_value_removed;
mod field_added;
mod field_added_to_open_struct;
mod field_removed;
mod field_removed_from_open_struct;
mod field_type_changed;
mod label_pattern_changed;
mod list_constraint_loosened;
mod list_constraint_tightened;
mod nullable_added;
mod nullable_removed;
mod optional_became_required;
mod pattern_added;
mod pattern_changed;
mod pattern_removed;
mod required_became_optional;
mod required_field_added;
mod required_field_removed;
mod struct_closed;
mod struct_opened;
mod support;
mod type_narrowed;
mod type_widened;
mod validator_changed;

/// One compatibility rule.
pub struct Rule {
    /// Its id, purpose and impact.
    pub code: CompatCode,
    /// Which version's position a finding points at.
    pub(crate) position: Position,
    pub(crate) check: Check,
}

/// How a rule looks at a pair.
pub(crate) enum Check {
    /// One message per change, each breaking as the rule's `impact` says.
    Messages(fn(&Pair<'_>) -> Vec<String>),
    /// One note per change, each with the directions the rule decided for it.
    Notes(fn(&Pair<'_>) -> Vec<Note>),
}

impl Rule {
    /// Every change the rule sees in `pair`, each with its verdicts.
    pub(crate) fn notes(&self, pair: &Pair<'_>) -> Vec<Note> {
        match self.check {
            Check::Messages(check) => check(pair)
                .into_iter()
                .map(|message| Note {
                    message,
                    verdicts: Verdicts::of(self.code.impact()),
                    proof_only: false,
                })
                .collect(),
            Check::Notes(check) => check(pair),
        }
    }
}

/// How the export marks a value whose constraints read fields the data can set.
pub(crate) const DEPENDS_ON_THE_DATA: &str = "depends on the data";

/// One change a rule saw at one place.
pub(crate) struct Note {
    pub(crate) message: String,
    pub(crate) verdicts: Verdicts,
    /// Reported only when a counterexample proves it (a value that reads other fields and is
    /// written the same in both versions may still change with what it reads).
    pub(crate) proof_only: bool,
}

/// Whether a change breaks one direction of compatibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// It does not: every value one version accepts, the other does too (as far as this
    /// change goes).
    Holds,
    /// It does.
    Breaks,
    /// Not decided by comparing the definitions: the search for a counterexample decides.
    Unknown,
}

/// A change's verdict in each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verdicts {
    /// Does the current version reject a value the previous one accepted?
    pub backward: Verdict,
    /// Does the previous version reject a value the current one accepts?
    pub forward: Verdict,
}

impl Verdicts {
    /// What a rule's impact says of each direction. A semantic change breaks neither.
    pub(crate) fn of(impact: Impact) -> Verdicts {
        use Verdict::*;
        let (backward, forward) = match impact {
            Impact::BreaksBackward => (Breaks, Holds),
            Impact::BreaksForward => (Holds, Breaks),
            Impact::BreaksBoth => (Breaks, Breaks),
            Impact::Undecided | Impact::Decided => (Unknown, Unknown),
            Impact::Semantic => (Holds, Holds),
        };
        Verdicts { backward, forward }
    }

    /// The impact these verdicts amount to; `semantic` for a change that breaks nothing.
    pub(crate) fn impact(self, semantic: bool) -> Impact {
        use Verdict::*;
        match (self.backward, self.forward) {
            (Breaks, Breaks) => Impact::BreaksBoth,
            (Breaks, _) => Impact::BreaksBackward,
            (_, Breaks) => Impact::BreaksForward,
            (Holds, Holds) if semantic => Impact::Semantic,
            _ => Impact::Undecided,
        }
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("code", &self.code).finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// The current version's declaration (changes, additions).
    Current,
    /// The previous version's declaration (removals).
    Previous,
}

/// Every rule, in the order findings at one place are reported.
pub static RULES: &[Rule] = &[
    field_removed::RULE,
    required_field_removed::RULE,
    field_removed_from_open_struct::RULE,
    required_field_added::RULE,
    field_added::RULE,
    field_added_to_open_struct::RULE,
    optional_became_required::RULE,
    required_became_optional::RULE,
    field_type_changed::RULE,
    type_narrowed::RULE,
    type_widened::RULE,
    nullable_removed::RULE,
    nullable_added::RULE,
    enum_value_removed::RULE,
    enum_value_added::RULE,
    bound_tightened::RULE,
    bound_loosened::RULE,
    list_constraint_tightened::RULE,
    list_constraint_loosened::RULE,
    pattern_added::RULE,
    pattern_removed::RULE,
    pattern_changed::RULE,
    validator_changed::RULE,
    dependent_constraint_changed::RULE,
    default_changed::RULE,
    struct_closed::RULE,
    struct_opened::RULE,
    label_pattern_changed::RULE,
    disjunction_undecided::RULE,
];

/// What the two versions say at one place.
pub(crate) enum Pair<'p> {
    Field(&'p FieldPair<'p>),
    Value(&'p ValuePair<'p>),
    Struct(&'p StructPair<'p>),
    List(&'p ListPair<'p>),
}

/// One field name of a pair of structs, declared in either version or both.
pub(crate) struct FieldPair<'p> {
    pub(crate) name: &'p str,
    pub(crate) old: Option<&'p Property>,
    pub(crate) new: Option<&'p Property>,
    /// What each struct says of the field where it does not declare it.
    pub(crate) old_extra: Extra<'p>,
    pub(crate) new_extra: Extra<'p>,
}

impl FieldPair<'_> {
    /// Whether data valid for the previous version must carry the field.
    pub(crate) fn old_must(&self) -> bool {
        self.old.is_some_and(|p| must_be_present(p.presence))
    }

    pub(crate) fn new_must(&self) -> bool {
        self.new.is_some_and(|p| must_be_present(p.presence))
    }
}

/// Whether data must carry a field of this presence (`a!: T`, or `a: T` without a default).
pub(crate) fn must_be_present(presence: Presence) -> bool {
    matches!(presence, Presence::Required | Presence::RegularIncomplete)
}

/// What a struct accepts for a field it does not declare.
#[derive(Clone, Copy)]
pub(crate) enum Extra<'p> {
    /// A closed struct: the field is not allowed.
    Never,
    /// An open struct: any value.
    Any,
    /// A pattern constraint (or `[string]: T`) that applies to the field.
    Shape(&'p Shape),
}

impl Extra<'_> {
    pub(crate) fn is_never(self) -> bool {
        matches!(self, Extra::Never)
    }

    pub(crate) fn is_any(self) -> bool {
        matches!(self, Extra::Any)
    }
}

/// One value in both versions, each flattened into its alternatives.
pub(crate) struct ValuePair<'p> {
    pub(crate) old: &'p Alternatives<'p>,
    pub(crate) new: &'p Alternatives<'p>,
    /// The text of the innermost declaration holding the value in each version (the field's
    /// or the definition's value as written, whitespace collapsed), where it was found.
    pub(crate) old_text: Option<&'p str>,
    pub(crate) new_text: Option<&'p str>,
}

pub(crate) struct StructPair<'p> {
    pub(crate) old: &'p StructShape,
    pub(crate) new: &'p StructShape,
}

pub(crate) struct ListPair<'p> {
    pub(crate) old: &'p ListShape,
    pub(crate) new: &'p ListShape,
}

/// A value as the set of alternatives of its disjunction, references resolved.
#[derive(Default)]
pub(crate) struct Alternatives<'s> {
    /// `_` is one of them: anything is accepted.
    pub(crate) any: bool,
    /// Concrete scalars (`"a"`, `1`, `null`).
    pub(crate) literals: Vec<&'s Json>,
    /// Scalars that are not concrete (`int & >0`, `=~"^a"`).
    pub(crate) scalars: Vec<&'s crate::export::ScalarShape>,
    /// Structs, with the definition they were reached through, if any.
    pub(crate) structs: Vec<(Option<&'s str>, &'s StructShape)>,
    pub(crate) lists: Vec<&'s ListShape>,
    /// The default, when the value has one.
    pub(crate) default: Option<&'s Json>,
    /// Constraints no keyword states (unmapped builtin validators, data-dependent values).
    pub(crate) unsupported: Vec<&'s str>,
    /// A reference that could not be resolved, or nesting too deep to follow.
    pub(crate) unresolved: Vec<String>,
}

impl<'s> Alternatives<'s> {
    /// Flattens `shape`, resolving references to `definitions`.
    pub(crate) fn of(shape: &'s Shape, definitions: &HashMap<&str, &'s Shape>) -> Self {
        let mut out = Alternatives::default();
        out.add(shape, definitions, None, 0);
        out
    }

    fn add(
        &mut self,
        shape: &'s Shape,
        definitions: &HashMap<&str, &'s Shape>,
        via: Option<&'s str>,
        depth: u32,
    ) {
        if self.default.is_none() {
            self.default = shape.default.as_ref();
        }
        // Validators taking schemas are compared by their declaration, as the constraints no
        // keyword states.
        for text in shape.unsupported.iter().chain(&shape.validators) {
            if !self.unsupported.contains(&text.as_str()) {
                self.unsupported.push(text);
            }
        }
        use crate::export::Body;
        match &shape.body {
            Body::Any => self.any = true,
            Body::Ref(name) => match definitions.get(name.as_str()) {
                Some(target) if depth < 32 => {
                    self.add(target, definitions, Some(name.as_str()), depth + 1)
                }
                _ => self.unresolved.push(name.clone()),
            },
            Body::Scalar(scalar) => match &scalar.value {
                Some(value) => {
                    if !self.literals.contains(&value) {
                        self.literals.push(value)
                    }
                }
                None => self.scalars.push(scalar),
            },
            Body::Struct(object) => self.structs.push((via, object)),
            Body::List(list) => self.lists.push(list),
            Body::OneOf(options) => {
                for (option, _) in options {
                    self.add(option, definitions, None, depth + 1);
                }
            }
        }
    }

    /// The kinds accepted beyond enumerated literals, without `null`: `_` is every kind.
    pub(crate) fn type_kinds(&self) -> Kinds {
        let mut kinds = if self.any { Kinds::ALL } else { Kinds(0) };
        for scalar in &self.scalars {
            kinds = Kinds(kinds.0 | scalar.kinds.0);
        }
        if !self.structs.is_empty() {
            kinds = Kinds(kinds.0 | Kinds::STRUCT.0);
        }
        if !self.lists.is_empty() {
            kinds = Kinds(kinds.0 | Kinds::LIST.0);
        }
        Kinds(kinds.0 & !Kinds::NULL.0)
    }

    pub(crate) fn accepts_null(&self) -> bool {
        self.any
            || self.literals.iter().any(|l| l.is_null())
            || self.scalars.iter().any(|s| s.kinds.contains(Kinds::NULL))
    }

    /// Whether some alternative certainly accepts the concrete scalar `value`.
    pub(crate) fn accepts_literal(&self, value: &Json) -> bool {
        if self.any || self.literals.contains(&value) {
            return true;
        }
        let kind = json_kind(value);
        self.scalars.iter().any(|scalar| {
            scalar.kinds.contains(kind)
                && scalar
                    .keywords
                    .iter()
                    .all(|k| keyword_accepts(k, value) == Some(true))
        })
    }

    /// Whether no alternative can accept the concrete scalar `value`: its kind is not
    /// accepted, or a keyword of each scalar alternative of its kind rejects it.
    pub(crate) fn rejects_literal(&self, value: &Json) -> bool {
        if self.any || self.literals.contains(&value) || !self.unsupported.is_empty() {
            return false;
        }
        if !self.unresolved.is_empty() {
            return false;
        }
        let kind = json_kind(value);
        if matches!(value, Json::Object(_) | Json::Array(_)) {
            return false;
        }
        self.scalars.iter().all(|scalar| {
            !scalar.kinds.contains(kind)
                || scalar
                    .keywords
                    .iter()
                    .any(|k| keyword_accepts(k, value) == Some(false))
        })
    }

    /// The one non-concrete scalar alternative whose kinds meet `class`, when there is
    /// exactly one (`None` when there are none or several).
    pub(crate) fn single_scalar(&self, class: Kinds) -> Option<&'s crate::export::ScalarShape> {
        let mut found = self
            .scalars
            .iter()
            .filter(|s| !s.kinds.and(class).is_empty());
        let first = found.next()?;
        found.next().is_none().then_some(*first)
    }

    /// The non-concrete scalar alternatives whose kinds meet `class`.
    pub(crate) fn scalars_of(&self, class: Kinds) -> Vec<&'s crate::export::ScalarShape> {
        self.scalars
            .iter()
            .filter(|s| !s.kinds.and(class).is_empty())
            .copied()
            .collect()
    }
}

/// The kind of a JSON value, as CUE decodes it (`1.0` is a float).
pub(crate) fn json_kind(value: &Json) -> Kinds {
    match value {
        Json::Null => Kinds::NULL,
        Json::Bool(_) => Kinds::BOOL,
        Json::String(_) => Kinds::STRING,
        Json::Number(n) if n.is_i64() || n.is_u64() => Kinds::INT,
        Json::Number(_) => Kinds::FLOAT,
        Json::Array(_) => Kinds::LIST,
        Json::Object(_) => Kinds::STRUCT,
    }
}

/// The classes of scalar kinds whose constraints are compared between versions.
pub(crate) const SCALAR_CLASSES: [Kinds; 3] = [Kinds::NUMBER, Kinds::STRING, Kinds::BYTES];

/// A keyword as CUE text, for messages.
pub(crate) fn keyword_text(keyword: &Keyword) -> String {
    match keyword {
        Keyword::Minimum {
            value, exclusive, ..
        } => format!("{}{value}", if *exclusive { ">" } else { ">=" }),
        Keyword::Maximum {
            value, exclusive, ..
        } => format!("{}{value}", if *exclusive { "<" } else { "<=" }),
        Keyword::Pattern(p) => format!("=~{}", quoted(p)),
        Keyword::NotPattern(p) => format!("!~{}", quoted(p)),
        Keyword::NotEqual(v) => format!("!={v}"),
        Keyword::MinLength(n) => format!("strings.MinRunes({n})"),
        Keyword::MaxLength(n) => format!("strings.MaxRunes({n})"),
        Keyword::MinItems(n) => format!("list.MinItems({n})"),
        Keyword::MaxItems(n) => format!("list.MaxItems({n})"),
        Keyword::UniqueItems => "list.UniqueItems()".to_string(),
        Keyword::MinProperties(n) => format!("struct.MinFields({n})"),
        Keyword::MaxProperties(n) => format!("struct.MaxFields({n})"),
        Keyword::MultipleOf(v) => format!("math.MultipleOf({v})"),
        Keyword::Format(f) => format!("format {f}"),
    }
}

/// A string as a CUE string literal.
pub(crate) fn quoted(text: &str) -> String {
    Json::String(text.to_string()).to_string()
}

/// The strings a string scalar's regular expressions allow (`=~` and `!~`; lengths are the
/// bound rules' to compare), for [`crate::re2::inclusion`].
pub(crate) fn pattern_set(scalar: &crate::export::ScalarShape) -> StringSet {
    let mut set = StringSet::default();
    for keyword in &scalar.keywords {
        match keyword {
            Keyword::Pattern(p) => set.matching.push(p.clone()),
            Keyword::NotPattern(p) => set.not_matching.push(p.clone()),
            _ => {}
        }
    }
    set
}

/// The verdict of one direction from a search for a string one set holds and the other does
/// not.
pub(crate) fn verdict_of(difference: &Difference) -> Verdict {
    match difference {
        Difference::Empty => Verdict::Holds,
        Difference::Witness(_) => Verdict::Breaks,
        Difference::Unknown(_) => Verdict::Unknown,
    }
}

/// The verdicts of a change of a string's regular expressions, decided by inclusion of the
/// languages: `None` when the two accept the same strings.
pub(super) fn pattern_verdicts(
    old: &crate::export::ScalarShape,
    new: &crate::export::ScalarShape,
) -> Option<Verdicts> {
    let (old, new) = (pattern_set(old), pattern_set(new));
    let verdicts = Verdicts {
        backward: verdict_of(&difference(&old, &new)),
        forward: verdict_of(&difference(&new, &old)),
    };
    (verdicts.backward != Verdict::Holds || verdicts.forward != Verdict::Holds).then_some(verdicts)
}

/// The regular-expression constraints only the previous, and only the current, scalar has.
pub(super) fn support_patterns(
    old: &crate::export::ScalarShape,
    new: &crate::export::ScalarShape,
) -> (Vec<String>, Vec<String>) {
    let patterns = |s: &crate::export::ScalarShape| -> Vec<String> {
        s.keywords
            .iter()
            .filter(|k| {
                matches!(
                    k,
                    crate::export::Keyword::Pattern(_) | crate::export::Keyword::NotPattern(_)
                )
            })
            .map(keyword_text)
            .collect()
    };
    let (o, n) = (patterns(old), patterns(new));
    let removed = o.iter().filter(|p| !n.contains(p)).cloned().collect();
    let added = n.iter().filter(|p| !o.contains(p)).cloned().collect();
    (removed, added)
}

/// The kinds of a value for messages: its enumerated values when it has no type.
pub(super) fn type_name(value: &Alternatives<'_>) -> String {
    let kinds = value.type_kinds();
    if kinds.is_empty() {
        let values: Vec<String> = value.literals.iter().map(|v| v.to_string()).collect();
        return values.join(" | ");
    }
    kinds.name()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Two versions of `#A` in, `RULE path` lines out: the rules' own test vectors.

    use crate::compat::{compare, Version};
    use crate::{NoImports, Package, PackageFiles};

    fn package(name: &str, source: &str) -> Package {
        let package = Package::load(
            PackageFiles {
                files: vec![(name.to_string(), source.to_string())],
            },
            &NoImports,
        );
        assert!(
            package.diagnostics().is_empty(),
            "{source}: {:?}",
            package.diagnostics()
        );
        package
    }

    /// Every change from `previous` to `current` (both declaring `#A`), as `RULE path`.
    pub(crate) fn changes(previous: &str, current: &str) -> Vec<String> {
        let old = package("previous.cue", previous);
        let new = package("current.cue", current);
        let report = compare(
            Version {
                package: &old,
                definition: "#A",
            },
            Version {
                package: &new,
                definition: "#A",
            },
        )
        .expect("both versions load");
        report
            .findings
            .iter()
            .map(|f| format!("{} {}", f.rule, f.path))
            .collect()
    }

    /// The impacts of the changes `rule` reports (as decided by the comparison alone).
    pub(crate) fn impacts(rule: &str, previous: &str, current: &str) -> Vec<crate::compat::Impact> {
        let old = package("previous.cue", previous);
        let new = package("current.cue", current);
        let version = |package| Version {
            package,
            definition: "#A",
        };
        compare(version(&old), version(&new))
            .expect("both versions load")
            .findings
            .iter()
            .filter(|f| f.rule.id() == rule)
            .map(|f| f.impact)
            .collect()
    }

    /// The changes `rule` reports, as paths.
    pub(crate) fn paths(rule: &str, previous: &str, current: &str) -> Vec<String> {
        changes(previous, current)
            .into_iter()
            .filter_map(|c| {
                c.strip_prefix(rule)
                    .and_then(|rest| rest.strip_prefix(' '))
                    .map(str::to_string)
            })
            .collect()
    }
}
