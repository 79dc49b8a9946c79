//! Scalar values and the lattice of scalar constraints (kinds, bounds, validators) that the
//! evaluator unifies. Structs and lists live in the evaluator's vertex tree, not here.

use std::fmt;
use std::sync::Arc;

use crate::builtins::{Builtin, Concrete};
use crate::source::Span;

/// A set of CUE kinds, as a bit mask: `int | string` is `INT | STRING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Kinds(pub(crate) u16);

impl Kinds {
    pub(crate) const NULL: Kinds = Kinds(1);
    pub(crate) const BOOL: Kinds = Kinds(2);
    pub(crate) const INT: Kinds = Kinds(4);
    pub(crate) const FLOAT: Kinds = Kinds(8);
    pub(crate) const STRING: Kinds = Kinds(16);
    pub(crate) const BYTES: Kinds = Kinds(32);
    pub(crate) const LIST: Kinds = Kinds(64);
    pub(crate) const STRUCT: Kinds = Kinds(128);
    pub(crate) const NUMBER: Kinds = Kinds(4 | 8);
    pub(crate) const ALL: Kinds = Kinds(255);

    pub(crate) fn and(self, other: Kinds) -> Kinds {
        Kinds(self.0 & other.0)
    }

    pub(crate) fn contains(self, other: Kinds) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kind as CUE names it in messages: `int`, `number`, `string`, `int|string`...
    pub(crate) fn name(self) -> String {
        if self == Kinds::NUMBER {
            return "number".into();
        }
        if self == Kinds::ALL {
            return "_".into();
        }
        let names = [
            (Kinds::NULL, "null"),
            (Kinds::BOOL, "bool"),
            (Kinds::INT, "int"),
            (Kinds::FLOAT, "float"),
            (Kinds::STRING, "string"),
            (Kinds::BYTES, "bytes"),
            (Kinds::LIST, "list"),
            (Kinds::STRUCT, "struct"),
        ];
        let mut parts = Vec::new();
        if self.contains(Kinds::NUMBER) {
            parts.push("number");
        }
        for (kind, name) in names {
            if self.contains(kind) && !(parts.contains(&"number") && Kinds::NUMBER.contains(kind)) {
                parts.push(name);
            }
        }
        parts.join("|")
    }
}

/// A concrete scalar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Atom {
    Null,
    Bool(bool),
    Int(i128),
    /// The value and its literal spelling (CUE prints floats as written: `1.0` stays `1.0`).
    Float(f64, Arc<str>),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
}

impl Atom {
    pub(crate) fn kind(&self) -> Kinds {
        match self {
            Atom::Null => Kinds::NULL,
            Atom::Bool(_) => Kinds::BOOL,
            Atom::Int(_) => Kinds::INT,
            Atom::Float(..) => Kinds::FLOAT,
            Atom::String(_) => Kinds::STRING,
            Atom::Bytes(_) => Kinds::BYTES,
        }
    }

    pub(crate) fn float(value: f64) -> Atom {
        Atom::Float(value, Arc::from(format_float(value)))
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Atom::Int(i) => Some(*i as f64),
            Atom::Float(f, _) => Some(*f),
            _ => None,
        }
    }

    /// Equality as CUE's `==` and unification see it: `1 == 1.0` for numbers.
    pub(crate) fn equals(&self, other: &Atom) -> bool {
        match (self, other) {
            (Atom::Int(a), Atom::Int(b)) => a == b,
            (Atom::Float(a, _), Atom::Float(b, _)) => a == b,
            (Atom::Int(_), Atom::Float(..)) | (Atom::Float(..), Atom::Int(_)) => {
                self.as_f64() == other.as_f64()
            }
            _ => self == other,
        }
    }

    pub(crate) fn to_concrete(&self) -> Concrete {
        match self {
            Atom::Null => Concrete::Null,
            Atom::Bool(b) => Concrete::Bool(*b),
            Atom::Int(i) => Concrete::Int(*i),
            Atom::Float(f, _) => Concrete::Float(*f),
            Atom::String(s) => Concrete::String(s.clone()),
            Atom::Bytes(b) => Concrete::Bytes(b.clone()),
        }
    }

    pub(crate) fn from_concrete(c: &Concrete) -> Option<Atom> {
        Some(match c {
            Concrete::Null => Atom::Null,
            Concrete::Bool(b) => Atom::Bool(*b),
            Concrete::Int(i) => Atom::Int(*i),
            Concrete::Float(f) => Atom::float(*f),
            Concrete::String(s) => Atom::String(s.clone()),
            Concrete::Bytes(b) => Atom::Bytes(b.clone()),
            Concrete::List(_) | Concrete::Struct(_) => return None,
        })
    }
}

impl std::fmt::Display for Atom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Atom::Null => f.write_str("null"),
            Atom::Bool(b) => write!(f, "{b}"),
            Atom::Int(i) => write!(f, "{i}"),
            Atom::Float(_, text) => f.write_str(text),
            Atom::String(s) => crate::builtins::write_quoted(f, s),
            Atom::Bytes(b) => f.write_str(&quote_bytes(b)),
        }
    }
}

pub(crate) use crate::builtins::{format_float, quote_bytes, quote_string};

/// The comparison in a bound such as `>=0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoundOp {
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl BoundOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BoundOp::Less => "<",
            BoundOp::LessEqual => "<=",
            BoundOp::Greater => ">",
            BoundOp::GreaterEqual => ">=",
        }
    }

    pub(crate) fn holds(self, value: &Atom, limit: &Atom) -> Option<bool> {
        let ordering = compare(value, limit)?;
        Some(match self {
            BoundOp::Less => ordering.is_lt(),
            BoundOp::LessEqual => ordering.is_le(),
            BoundOp::Greater => ordering.is_gt(),
            BoundOp::GreaterEqual => ordering.is_ge(),
        })
    }
}

/// Orders two atoms of comparable kinds (numbers with numbers, strings, bytes).
pub(crate) fn compare(a: &Atom, b: &Atom) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Atom::Int(x), Atom::Int(y)) => Some(x.cmp(y)),
        (Atom::String(x), Atom::String(y)) => Some(x.cmp(y)),
        (Atom::Bytes(x), Atom::Bytes(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// One constraint on a scalar beyond its kind, with the source span that stated it (its
/// source text is what messages print: `out of bound >=0`).
#[derive(Clone)]
pub(crate) enum Check {
    Bound(BoundOp, Atom),
    NotEqual(Atom),
    Regex {
        regex: Arc<crate::re2::Matcher>,
        /// The pattern as the user wrote it (the compiled one may be translated).
        pattern: Arc<str>,
        negate: bool,
    },
    /// A builtin used as a validator, with the arguments after the value.
    Builtin {
        builtin: &'static Builtin,
        args: Arc<[Concrete]>,
    },
    /// `==X` or `!=X` of a concrete struct or list (`@experiment(structcmp)`): the final
    /// value must (`equal`) or must not equal `X`, compared structurally.
    Structural {
        value: Arc<Concrete>,
        equal: bool,
    },
}

#[derive(Clone)]
pub(crate) struct SpannedCheck {
    pub(crate) check: Check,
    pub(crate) span: Span,
    /// How messages print the check when it has no source text (predeclared `uint`, `int8`).
    pub(crate) text: Option<Arc<str>>,
}

/// How a message names the conjunct that narrowed a scalar's kinds: its text as printed, or
/// a struct or list literal of a file, printed on one line (and cut after 200 bytes) only when
/// a message names it. Most never are, and every literal narrows the kinds of its value.
#[derive(Clone, Debug)]
pub(crate) enum KindText {
    Shown(Arc<str>),
    Literal {
        file: Arc<str>,
        start: u32,
        end: u32,
    },
}

impl KindText {
    /// The literal at `start..end` of a file's `text`.
    pub(crate) fn literal(file: &Arc<str>, start: u32, end: u32) -> KindText {
        KindText::Literal {
            file: file.clone(),
            start,
            end,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            KindText::Shown(text) => text.is_empty(),
            KindText::Literal { start, end, .. } => start >= end,
        }
    }
}

impl From<Arc<str>> for KindText {
    fn from(text: Arc<str>) -> KindText {
        KindText::Shown(text)
    }
}

impl From<&str> for KindText {
    fn from(text: &str) -> KindText {
        KindText::Shown(Arc::from(text))
    }
}

impl fmt::Display for KindText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KindText::Shown(text) => f.write_str(text),
            KindText::Literal { file, start, end } => {
                // Messages show a struct or list on one line; a long one is cut, not whole.
                const SHOWN: usize = 200;
                let source = file.get(*start as usize..*end as usize).unwrap_or("");
                if source.len() > SHOWN {
                    let mut cut = SHOWN;
                    while !source.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    write!(f, "{}...", crate::eval::compact(&source[..cut]))
                } else {
                    f.write_str(&crate::eval::compact(source))
                }
            }
        }
    }
}

/// What is known of a scalar: the kinds it may have, its value if concrete, and every check
/// it must pass. Unifying two of these intersects kinds and collects checks.
#[derive(Clone)]
pub(crate) struct Scalar {
    pub(crate) kinds: Kinds,
    /// The span of the conjunct that narrowed `kinds`, for positions.
    pub(crate) kind_span: Option<Span>,
    /// How messages name that conjunct: `int`, `>=0`, `{a:int}`.
    pub(crate) kind_text: Option<KindText>,
    pub(crate) value: Option<(Atom, Span)>,
    pub(crate) checks: Vec<SpannedCheck>,
}

impl Default for Scalar {
    fn default() -> Self {
        Scalar {
            kinds: Kinds::ALL,
            kind_span: None,
            kind_text: None,
            value: None,
            checks: Vec::new(),
        }
    }
}

/// A failed unification or check: what went wrong, and the positions involved.
#[derive(Debug, Clone)]
pub(crate) struct EvalError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) spans: Vec<Span>,
    /// Incomplete errors (a value not yet concrete) do not eliminate disjuncts.
    pub(crate) incomplete: bool,
    /// For an empty disjunction: the errors of each failed disjunct, with their paths.
    pub(crate) sub: Vec<crate::diagnostic::Diagnostic>,
}

impl EvalError {
    pub(crate) fn new(
        code: &'static str,
        message: impl Into<String>,
        spans: Vec<Span>,
    ) -> Arc<EvalError> {
        Arc::new(EvalError {
            code,
            message: message.into(),
            spans,
            incomplete: false,
            sub: Vec::new(),
        })
    }

    pub(crate) fn incomplete(message: impl Into<String>, spans: Vec<Span>) -> Arc<EvalError> {
        Arc::new(EvalError {
            code: "INCOMPLETE",
            message: message.into(),
            spans,
            incomplete: true,
            sub: Vec::new(),
        })
    }
}

/// A check as CUE prints it in messages: with its evaluated operand (`>=6`, not `>=min`).
pub(crate) fn check_text(check: &SpannedCheck) -> String {
    CheckText(check).to_string()
}

/// A check as messages print it, written without intermediate strings.
pub(crate) struct CheckText<'c>(pub(crate) &'c SpannedCheck);

impl std::fmt::Display for CheckText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let check = self.0;
        if let Some(text) = &check.text {
            return f.write_str(text);
        }
        match &check.check {
            Check::Bound(op, limit) => write!(f, "{}{}", op.as_str(), limit),
            Check::NotEqual(value) => write!(f, "!={value}"),
            Check::Regex {
                pattern, negate, ..
            } => {
                f.write_str(if *negate { "!~" } else { "=~" })?;
                crate::builtins::write_quoted(f, pattern)
            }
            Check::Builtin { builtin, args } => {
                f.write_str(&crate::builtins::format_call(builtin, args))
            }
            Check::Structural { value, equal } => {
                f.write_str(if *equal { "==" } else { "!=" })?;
                f.write_str(&crate::builtins::format_concrete(value))
            }
        }
    }
}

/// `Ok` when `atom` passes; `Err(Some(detail))` for an error in a builtin call.
pub(crate) fn run_check(check: &Check, atom: &Atom) -> Result<(), Option<String>> {
    let ok = match check {
        Check::Bound(op, limit) => op.holds(atom, limit).unwrap_or(false),
        Check::NotEqual(other) => !atom.equals(other),
        Check::Regex { regex, negate, .. } => match atom {
            Atom::String(s) => regex.is_match(s) != *negate,
            Atom::Bytes(b) => regex.is_match(&String::from_utf8_lossy(b)) != *negate,
            _ => false,
        },
        Check::Builtin { builtin, args } => {
            let value = atom.to_concrete();
            // Most validators (`time.Time`, `net.IPv4`...) take no arguments: no vector then.
            let result = if args.is_empty() {
                (builtin.func)(std::slice::from_ref(&value))
            } else {
                let mut all = Vec::with_capacity(args.len() + 1);
                all.push(value);
                all.extend(args.iter().cloned());
                (builtin.func)(&all)
            };
            match result {
                Ok(Concrete::Bool(b)) => b,
                Ok(_) => false,
                // Used as a validator, any error from the builtin is the reason it fails.
                Err(err) => return Err(Some(err.message)),
            }
        }
        Check::Structural { value, equal } => {
            crate::eval::concrete_equal(&atom.to_concrete(), value) == *equal
        }
    };
    if ok {
        Ok(())
    } else {
        Err(None)
    }
}

/// Runs a validator of structs or lists (`list.MinItems(1)`, `struct.MaxFields(3)`) on a
/// concrete value: `None` when it holds (or `check` is not such a validator), else CUE's error.
fn composite_check(check: &SpannedCheck, value: &Concrete) -> Option<Arc<EvalError>> {
    if let Check::Structural {
        value: other,
        equal,
    } = &check.check
    {
        if crate::eval::concrete_equal(value, other) == *equal {
            return None;
        }
        let message = format!(
            "invalid value {} (out of bound {})",
            crate::builtins::format_concrete(value),
            CheckText(check)
        );
        return Some(EvalError::new("OUT_OF_BOUND", message, vec![check.span]));
    }
    let Check::Builtin { builtin, args } = &check.check else {
        return None;
    };
    let mut all = vec![value.clone()];
    all.extend(args.iter().cloned());
    let message = match (builtin.func)(&all) {
        Ok(Concrete::Bool(true)) => return None,
        Ok(_) => crate::builtins::validator_message(value, builtin, args, None),
        Err(err) => crate::builtins::validator_message(value, builtin, args, Some(&err)),
    };
    Some(EvalError::new("OUT_OF_BOUND", message, vec![check.span]))
}

/// Runs one check on a concrete value, with CUE's message when it fails.
pub(crate) fn check_atom(
    check: &SpannedCheck,
    atom: &Atom,
    atom_span: Span,
) -> Result<(), Arc<EvalError>> {
    match run_check(&check.check, atom) {
        Ok(()) => Ok(()),
        // Null has one value: CUE reports `!=null` against it as a conflict.
        Err(_) if matches!(check.check, Check::NotEqual(Atom::Null)) => Err(EvalError::new(
            "CONFLICT",
            "conflicting values null and !=null",
            vec![atom_span, check.span],
        )),
        Err(detail) => {
            let text = CheckText(check);
            let message = match (&check.check, detail) {
                (Check::Builtin { .. }, Some(detail)) => {
                    format!("invalid value {atom} (does not satisfy {text}): {detail}")
                }
                (Check::Builtin { .. }, None) => {
                    format!("invalid value {atom} (does not satisfy {text})")
                }
                _ => format!("invalid value {atom} (out of bound {text})"),
            };
            Err(EvalError::new(
                "OUT_OF_BOUND",
                message,
                vec![check.span, atom_span],
            ))
        }
    }
}

/// How CUE orders the two sides of a kind conflict: scalars, then lists, then structs.
fn composite_rank(kinds: Kinds) -> u8 {
    if !kinds.and(Kinds(Kinds::LIST.0 - 1)).is_empty() {
        0
    } else if !kinds.and(Kinds::LIST).is_empty() {
        1
    } else {
        2
    }
}

impl Scalar {
    pub(crate) fn is_unconstrained(&self) -> bool {
        self.kinds == Kinds::ALL && self.value.is_none() && self.checks.is_empty()
    }

    /// How messages name what constrains the kind: the conjunct's text, or the kind.
    pub(crate) fn kind_description(&self) -> String {
        match &self.kind_text {
            Some(text) if !text.is_empty() => text.to_string(),
            _ => self.kinds.name(),
        }
    }

    /// Narrows the kinds to `kinds`, stated by a conjunct printed as `text`.
    pub(crate) fn narrow(
        &mut self,
        kinds: Kinds,
        span: Span,
        text: &KindText,
    ) -> Result<(), Arc<EvalError>> {
        let narrowed = self.kinds.and(kinds);
        if narrowed.is_empty() {
            // CUE names a concrete value first; otherwise the newer conjunct (the data).
            // The positions are listed in the order the message names the values.
            let self_first =
                self.value.is_some() || composite_rank(self.kinds) < composite_rank(kinds);
            let message = match &self.value {
                Some((atom, _)) => format!(
                    "conflicting values {atom} and {text} (mismatched types {} and {})",
                    atom.kind().name(),
                    kinds.name()
                ),
                // Scalars before lists before structs; between equals, the newer first.
                None if composite_rank(self.kinds) < composite_rank(kinds) => format!(
                    "conflicting values {} and {text} (mismatched types {} and {})",
                    self.kind_description(),
                    self.kinds.name(),
                    kinds.name()
                ),
                None => format!(
                    "conflicting values {text} and {} (mismatched types {} and {})",
                    self.kind_description(),
                    kinds.name(),
                    self.kinds.name()
                ),
            };
            let own_span = match &self.value {
                Some((_, value_span)) => Some(*value_span),
                None => self.kind_span,
            };
            let spans = if self_first {
                own_span.into_iter().chain([span]).collect()
            } else {
                [span].into_iter().chain(own_span).collect()
            };
            return Err(EvalError::new("CONFLICT", message, spans));
        }
        if narrowed != self.kinds {
            self.kinds = narrowed;
            if self.value.is_none() {
                self.kind_span = Some(span);
                self.kind_text = Some(text.clone());
            }
        }
        Ok(())
    }

    /// Whether a string satisfies this scalar, without building an atom or a message.
    pub(crate) fn satisfied_by_str(&self, s: &str) -> bool {
        if !self.kinds.contains(Kinds::STRING) {
            return false;
        }
        if let Some((value, _)) = &self.value {
            return matches!(value, Atom::String(v) if &**v == s);
        }
        self.checks.iter().all(|c| match &c.check {
            Check::Regex { regex, negate, .. } => regex.is_match(s) != *negate,
            Check::NotEqual(Atom::String(v)) => &**v != s,
            Check::NotEqual(_) => true,
            // A validator of one string (`time.Time`) takes `s` as it is, without a copy.
            Check::Builtin {
                builtin: Builtin {
                    str_func: Some(f), ..
                },
                args,
            } if args.is_empty() => matches!(f(s), Ok(Concrete::Bool(true))),
            _ => run_check(&c.check, &Atom::String(Arc::from(s))).is_ok(),
        })
    }

    /// The error of the first validator of structs or lists among the checks (in order) that
    /// the concrete value fails; the value is only built when there is a check to run.
    pub(crate) fn failed_validator(
        &self,
        value: impl FnOnce() -> Concrete,
    ) -> Option<Arc<EvalError>> {
        if self.checks.is_empty() {
            return None;
        }
        let value = value();
        self.checks
            .iter()
            .find_map(|check| composite_check(check, &value))
    }

    /// Whether a concrete value satisfies this scalar, without building a message.
    pub(crate) fn satisfied_by(&self, atom: &Atom) -> bool {
        self.kinds.contains(atom.kind())
            && self.value.as_ref().is_none_or(|(v, _)| v.equals(atom))
            && (self.value.is_some()
                || self
                    .checks
                    .iter()
                    .all(|c| run_check(&c.check, atom).is_ok()))
    }

    /// Whether a concrete value satisfies this scalar (kinds, value, every check), with
    /// CUE's message when it does not.
    pub(crate) fn accepts(&self, atom: &Atom, span: Span) -> Result<(), Arc<EvalError>> {
        self.accepts_in_order(atom, span, false)
    }

    /// [`Scalar::accepts`], naming `atom` first when it conflicts with the value this scalar
    /// has and `atom_first` is set ([`Scalar::unify_atom_in_order`]).
    fn accepts_in_order(
        &self,
        atom: &Atom,
        span: Span,
        atom_first: bool,
    ) -> Result<(), Arc<EvalError>> {
        if !self.kinds.contains(atom.kind()) {
            // CUE names the conjuncts in order, but a value from another file (the data) or
            // against a struct or list comes first.
            // A concrete value is named by itself, a constraint by its text or kind.
            let (own, own_span) = match &self.value {
                Some((value, value_span)) => (value.to_string(), Some(*value_span)),
                None => (self.kind_description(), self.kind_span),
            };
            // A deferred value from another file is the schema's, added after the data's (an
            // embedded scalar): the data's value, this scalar's, still comes first.
            let from_other_file = own_span.is_none_or(|k| k.file != span.file);
            let own_composite = !self
                .kinds
                .and(Kinds(Kinds::STRUCT.0 | Kinds::LIST.0))
                .is_empty();
            // Against a struct or list, the positions follow the message, the value first (as
            // [`Scalar::narrow`] lists them when the value came first).
            let data_is_own = from_other_file && atom_first && !own_composite;
            let atom_first = (from_other_file && !atom_first) || own_composite;
            let (first, second, first_kind, second_kind) = if atom_first {
                (atom.to_string(), own, atom.kind().name(), self.kinds.name())
            } else {
                (own, atom.to_string(), self.kinds.name(), atom.kind().name())
            };
            let message = format!(
                "conflicting values {first} and {second} (mismatched types {first_kind} and {second_kind})"
            );
            // The data's position first.
            let spans = if data_is_own {
                own_span.into_iter().chain([span]).collect()
            } else {
                [span].into_iter().chain(own_span).collect()
            };
            return Err(EvalError::new("CONFLICT", message, spans));
        }
        if let Some((existing, existing_span)) = &self.value {
            if !existing.equals(atom) {
                // A value that came with `==x` rejects another as a bound does.
                for check in &self.checks {
                    if matches!(check.check, Check::Structural { equal: true, .. }) {
                        check_atom(check, atom, span)?;
                    }
                }
                // The positions list the value named last first, whichever came first: the
                // data's value when a schema's value rejects it, however the two were added.
                let (message, spans) = if atom_first {
                    (
                        format!("conflicting values {atom} and {existing}"),
                        vec![*existing_span, span],
                    )
                } else {
                    (
                        format!("conflicting values {existing} and {atom}"),
                        vec![span, *existing_span],
                    )
                };
                return Err(EvalError::new("CONFLICT", message, spans));
            }
            return Ok(());
        }
        for check in &self.checks {
            check_atom(check, atom, span)?;
        }
        Ok(())
    }

    /// Unifies a concrete value into this scalar and runs every check on it.
    pub(crate) fn unify_atom(&mut self, atom: Atom, span: Span) -> Result<(), Arc<EvalError>> {
        self.unify_atom_in_order(atom, span, false)
    }

    /// [`Scalar::unify_atom`]; `atom_first` is for the value of a conjunct that a reference
    /// cycle deferred until the others were in: a conflict names it first, as CUE does
    /// (`a: a + 1`, `a: 3` gives "conflicting values 4 and 3").
    pub(crate) fn unify_atom_in_order(
        &mut self,
        atom: Atom,
        span: Span,
        atom_first: bool,
    ) -> Result<(), Arc<EvalError>> {
        self.accepts_in_order(&atom, span, atom_first)?;
        if self.value.is_none() {
            self.kinds = atom.kind();
            self.value = Some((atom, span));
        }
        Ok(())
    }

    /// Unifies another scalar constraint (`int`, `>=0`, `=~"x"`, a concrete value) into this.
    pub(crate) fn unify(&mut self, other: &Scalar, span: Span) -> Result<(), Arc<EvalError>> {
        if other.kinds != Kinds::ALL {
            let kind_span = other.kind_span.unwrap_or(span);
            let text = match &other.kind_text {
                Some(t) => t.clone(),
                None => KindText::from(other.kinds.name().as_str()),
            };
            self.narrow(other.kinds, kind_span, &text)?;
        }
        if let Some((atom, atom_span)) = &other.value {
            // `==x` unified into another value: that value is out of its bound.
            if let Some((own, own_span)) = &self.value {
                if !own.equals(atom) {
                    for check in &other.checks {
                        if matches!(check.check, Check::Structural { equal: true, .. }) {
                            check_atom(check, own, *own_span)?;
                        }
                    }
                }
            }
            self.unify_atom(atom.clone(), *atom_span)?;
        }
        for check in &other.checks {
            if let Some((atom, atom_span)) = &self.value {
                check_atom(check, atom, *atom_span)?;
            }
            self.checks.push(check.clone());
        }
        Ok(())
    }

    /// The error of bounds that no value of the scalar's kinds satisfies: `>2 & <1`,
    /// `>=2 & <2`, or `int & >1 & <2` (no integer lies between). CUE names the upper bound
    /// first: `incompatible integer bounds <2 and >1`. Checked once every conjunct is in (the
    /// kind may come last, from a pattern).
    pub(crate) fn incompatible_bounds(&self) -> Option<Arc<EvalError>> {
        if self.value.is_some() || self.checks.len() < 2 {
            return None;
        }
        // The tightest lower and upper bound, with whether each is strict.
        let mut lower: Option<(&SpannedCheck, &Atom, bool)> = None;
        let mut upper: Option<(&SpannedCheck, &Atom, bool)> = None;
        for check in &self.checks {
            let Check::Bound(op, limit) = &check.check else {
                continue;
            };
            let (slot, strict, tighter) = match op {
                BoundOp::Greater => (&mut lower, true, std::cmp::Ordering::Greater),
                BoundOp::GreaterEqual => (&mut lower, false, std::cmp::Ordering::Greater),
                BoundOp::Less => (&mut upper, true, std::cmp::Ordering::Less),
                BoundOp::LessEqual => (&mut upper, false, std::cmp::Ordering::Less),
            };
            let replace = match slot {
                None => true,
                Some((_, current, current_strict)) => match compare(limit, current) {
                    Some(o) if o == tighter => true,
                    Some(std::cmp::Ordering::Equal) => strict && !*current_strict,
                    _ => false,
                },
            };
            if replace {
                *slot = Some((check, limit, strict));
            }
        }
        let ((lo_check, lo, lo_strict), (hi_check, hi, hi_strict)) = (lower?, upper?);
        let integer = self.kinds == Kinds::INT;
        let empty = match compare(lo, hi)? {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => lo_strict || hi_strict,
            std::cmp::Ordering::Less if integer => {
                // The smallest and largest integers the bounds allow.
                let (least, most) = match (lo, hi) {
                    (Atom::Int(l), Atom::Int(h)) => (
                        (*l + i128::from(lo_strict)) as f64,
                        (*h - i128::from(hi_strict)) as f64,
                    ),
                    _ => {
                        let (l, h) = (lo.as_f64()?, hi.as_f64()?);
                        let least = if lo_strict { l.floor() + 1.0 } else { l.ceil() };
                        let most = if hi_strict { h.ceil() - 1.0 } else { h.floor() };
                        (least, most)
                    }
                };
                least > most
            }
            std::cmp::Ordering::Less => false,
        };
        if !empty {
            return None;
        }
        let kind = match lo {
            Atom::String(_) => "string",
            Atom::Bytes(_) => "bytes",
            _ if integer => "integer",
            _ => "number",
        };
        Some(EvalError::new(
            "CONFLICT",
            format!(
                "incompatible {kind} bounds {} and {}",
                check_text(hi_check),
                check_text(lo_check)
            ),
            vec![lo_check.span, hi_check.span],
        ))
    }

    /// The constraint as `incomplete value ...` messages print it.
    pub(crate) fn describe_incomplete(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let kind_text = self.kind_description();
        let checks: Vec<String> = self.checks.iter().map(check_text).collect();
        if self.kinds != Kinds::ALL && !checks.contains(&kind_text) {
            parts.push(kind_text);
        }
        for c in checks {
            if !parts.contains(&c) {
                parts.push(c);
            }
        }
        if parts.is_empty() {
            "_".into()
        } else {
            parts.join(" & ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_check(package: &str, name: &str, args: Vec<Concrete>) -> Check {
        match crate::builtins::lookup(package, name) {
            Some(crate::builtins::Member::Func(builtin)) => Check::Builtin {
                builtin,
                args: args.into(),
            },
            _ => unreachable!("{package}.{name} is a builtin"),
        }
    }

    #[test]
    fn builtin_checks_get_the_value_then_their_arguments() {
        let string = |s: &str| Atom::String(Arc::from(s));
        let time = builtin_check("time", "Time", vec![]);
        assert_eq!(run_check(&time, &string("2024-05-01T14:30:00Z")), Ok(()));
        assert_eq!(
            run_check(&time, &string("2024-05-01")),
            Err(Some(r#"invalid time "2024-05-01""#.to_string()))
        );
        let min_runes = builtin_check("strings", "MinRunes", vec![Concrete::Int(3)]);
        assert_eq!(run_check(&min_runes, &string("abc")), Ok(()));
        assert_eq!(run_check(&min_runes, &string("ab")), Err(None));
        let format = builtin_check(
            "time",
            "Format",
            vec![Concrete::String(Arc::from("2006-01-02"))],
        );
        assert_eq!(run_check(&format, &string("2024-05-01")), Ok(()));
        let scalar = Scalar {
            kinds: Kinds::STRING,
            checks: vec![SpannedCheck {
                check: time,
                span: Span::default(),
                text: None,
            }],
            ..Scalar::default()
        };
        assert!(scalar.satisfied_by_str("2024-05-01T14:30:00Z"));
        assert!(!scalar.satisfied_by_str("2024-05-01T14:30:00"));
    }

    #[test]
    fn atoms_and_concrete_values_share_their_text() {
        let text: Arc<str> = Arc::from("shared");
        let Concrete::String(copied) = Atom::String(text.clone()).to_concrete() else {
            unreachable!("a string stays a string")
        };
        assert!(Arc::ptr_eq(&text, &copied));
        let Some(Atom::String(back)) = Atom::from_concrete(&Concrete::String(copied)) else {
            unreachable!("a string stays a string")
        };
        assert!(Arc::ptr_eq(&text, &back));
    }
}
