//! What several rules share (not a rule): ranges of numbers, lengths and counts, compared
//! between versions.

use crate::export::{Keyword, ListShape, ScalarShape};
use crate::value::Kinds;

/// One end of a range: `>=0`, `<10`, `at most 3 elements`.
#[derive(Debug, Clone)]
pub(crate) struct Limit {
    pub(crate) value: f64,
    pub(crate) exclusive: bool,
    pub(crate) text: String,
}

/// What a value allows between its two ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct Range {
    pub(crate) min: Option<Limit>,
    pub(crate) max: Option<Limit>,
}

/// One end of a range that moved.
pub(crate) struct RangeChange {
    /// Whether the current version accepts less than the previous one at this end.
    pub(crate) tightened: bool,
    pub(crate) message: String,
}

/// The numeric range of a number scalar (`int & >=0 & <10`). For integers `>n` is `>=n+1`, so
/// that `>0` and `>=1` compare equal.
pub(crate) fn numeric_range(scalar: &ScalarShape, integers_only: bool) -> Range {
    let mut range = Range::default();
    for keyword in &scalar.keywords {
        let (value, exclusive, is_min) = match keyword {
            Keyword::Minimum {
                value, exclusive, ..
            } => (value, *exclusive, true),
            Keyword::Maximum {
                value, exclusive, ..
            } => (value, *exclusive, false),
            _ => continue,
        };
        let Some(mut number) = value.as_f64() else {
            continue;
        };
        let mut exclusive = exclusive;
        if integers_only && exclusive && number.fract() == 0.0 {
            number += if is_min { 1.0 } else { -1.0 };
            exclusive = false;
        }
        let limit = Limit {
            value: number,
            exclusive,
            text: super::keyword_text(keyword),
        };
        if is_min {
            if range.min.as_ref().is_none_or(|m| tighter_min(&limit, m)) {
                range.min = Some(limit);
            }
        } else if range.max.as_ref().is_none_or(|m| tighter_max(&limit, m)) {
            range.max = Some(limit);
        }
    }
    range
}

/// Whether a number scalar holds only integers (so `>0` means `>=1`).
pub(crate) fn integers_only(scalar: &ScalarShape) -> bool {
    scalar.kinds.and(Kinds::NUMBER) == Kinds::INT
}

/// A range of counts from `Min*`/`Max*` keywords (`strings.MinRunes`, `struct.MaxFields`).
pub(crate) fn count_range(
    keywords: &[Keyword],
    min: fn(&Keyword) -> Option<u64>,
    max: fn(&Keyword) -> Option<u64>,
) -> Range {
    let mut range = Range::default();
    for keyword in keywords {
        if let Some(n) = min(keyword) {
            if range.min.as_ref().is_none_or(|m| n as f64 > m.value) {
                range.min = Some(count(n, super::keyword_text(keyword)));
            }
        }
        if let Some(n) = max(keyword) {
            if range.max.as_ref().is_none_or(|m| (n as f64) < m.value) {
                range.max = Some(count(n, super::keyword_text(keyword)));
            }
        }
    }
    range
}

/// A list's range of lengths: from its elements (a closed list has exactly as many as it
/// declares; an open one at least as many) and `list.MinItems`/`list.MaxItems`.
pub(crate) fn list_length(list: &ListShape) -> Range {
    let mut range = count_range(
        &list.keywords,
        |k| match k {
            Keyword::MinItems(n) => Some(*n),
            _ => None,
        },
        |k| match k {
            Keyword::MaxItems(n) => Some(*n),
            _ => None,
        },
    );
    let declared = list.prefix.len() as u64;
    if declared > 0
        && range
            .min
            .as_ref()
            .is_none_or(|m| (declared as f64) > m.value)
    {
        range.min = Some(count(declared, format!("at least {declared} elements")));
    }
    if list.rest.is_none()
        && range
            .max
            .as_ref()
            .is_none_or(|m| (declared as f64) < m.value)
    {
        range.max = Some(count(declared, format!("at most {declared} elements")));
    }
    range
}

fn count(n: u64, text: String) -> Limit {
    Limit {
        value: n as f64,
        exclusive: false,
        text,
    }
}

fn tighter_min(a: &Limit, b: &Limit) -> bool {
    a.value > b.value || (a.value == b.value && a.exclusive && !b.exclusive)
}

fn tighter_max(a: &Limit, b: &Limit) -> bool {
    a.value < b.value || (a.value == b.value && a.exclusive && !b.exclusive)
}

/// How each end of the range moved from `old` to `new`; `what` names the range in messages
/// (`minimum`, `length`).
pub(crate) fn range_changes(what: &str, old: &Range, new: &Range) -> Vec<RangeChange> {
    let mut changes = Vec::new();
    let ends = [
        (
            "minimum",
            &old.min,
            &new.min,
            tighter_min as fn(&Limit, &Limit) -> bool,
        ),
        ("maximum", &old.max, &new.max, tighter_max),
    ];
    for (end, before, after, tighter) in ends {
        let change = match (before, after) {
            (None, Some(a)) => Some((true, format!("{what} {end} {} added", a.text))),
            (Some(b), None) => Some((false, format!("{what} {end} {} removed", b.text))),
            (Some(b), Some(a)) if tighter(a, b) => Some((
                true,
                format!("{what} {end} tightened from {} to {}", b.text, a.text),
            )),
            (Some(b), Some(a)) if tighter(b, a) => Some((
                false,
                format!("{what} {end} loosened from {} to {}", b.text, a.text),
            )),
            _ => None,
        };
        if let Some((tightened, message)) = change {
            changes.push(RangeChange { tightened, message });
        }
    }
    changes
}

/// Every range change of a value pair: numbers, string and bytes lengths, struct field
/// counts. `BOUND_TIGHTENED` and `BOUND_LOOSENED` each keep their half.
pub(crate) fn bound_changes(pair: &super::Pair<'_>) -> Vec<RangeChange> {
    let mut changes = Vec::new();
    match pair {
        super::Pair::Value(value) => {
            if let (Some(o), Some(n)) = (
                value.old.single_scalar(Kinds::NUMBER),
                value.new.single_scalar(Kinds::NUMBER),
            ) {
                let integers = integers_only(o) && integers_only(n);
                changes.extend(range_changes(
                    "value",
                    &numeric_range(o, integers),
                    &numeric_range(n, integers),
                ));
            }
            for class in [Kinds::STRING, Kinds::BYTES] {
                if let (Some(o), Some(n)) = (
                    value.old.single_scalar(class),
                    value.new.single_scalar(class),
                ) {
                    let length = |k: &[Keyword]| {
                        count_range(
                            k,
                            |k| match k {
                                Keyword::MinLength(n) => Some(*n),
                                _ => None,
                            },
                            |k| match k {
                                Keyword::MaxLength(n) => Some(*n),
                                _ => None,
                            },
                        )
                    };
                    changes.extend(range_changes(
                        "length",
                        &length(&o.keywords),
                        &length(&n.keywords),
                    ));
                }
            }
        }
        super::Pair::Struct(object) => {
            let fields = |k: &[Keyword]| {
                count_range(
                    k,
                    |k| match k {
                        Keyword::MinProperties(n) => Some(*n),
                        _ => None,
                    },
                    |k| match k {
                        Keyword::MaxProperties(n) => Some(*n),
                        _ => None,
                    },
                )
            };
            changes.extend(range_changes(
                "field count",
                &fields(&object.old.keywords),
                &fields(&object.new.keywords),
            ));
        }
        _ => {}
    }
    changes
}

/// Every change of a list pair's length range and uniqueness.
pub(crate) fn list_changes(pair: &super::Pair<'_>) -> Vec<RangeChange> {
    let super::Pair::List(list) = pair else {
        return Vec::new();
    };
    let mut changes = range_changes("length", &list_length(list.old), &list_length(list.new));
    let unique = |l: &ListShape| l.keywords.contains(&Keyword::UniqueItems);
    match (unique(list.old), unique(list.new)) {
        (false, true) => changes.push(RangeChange {
            tightened: true,
            message: "list.UniqueItems() added".to_string(),
        }),
        (true, false) => changes.push(RangeChange {
            tightened: false,
            message: "list.UniqueItems() removed".to_string(),
        }),
        _ => {}
    }
    changes
}
