//! The `list` package: item-count and uniqueness validators, aggregates over numbers, and
//! slicing, flattening and ordering of lists.

use std::cmp::Ordering;

use super::{
    float_arg, format_concrete, int_arg, kind_name, list, list_arg, string, string_list_arg,
    Builtin, BuiltinError, Concrete,
};

const P: &str = "list";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "MinItems", [List, Int] -> Bool, min_items),
    builtin!(P, "MaxItems", [List, Int] -> Bool, max_items),
    builtin!(P, "UniqueItems", [List] -> Bool, unique_items),
    builtin!(P, "Contains", [List, Any] -> Bool, |a| {
        let needle = a.get(1).ok_or_else(|| BuiltinError::new("missing argument 2"))?;
        Ok(Concrete::Bool(list_arg(a, 0)?.iter().any(|item| equal(item, needle))))
    }),
    builtin!(P, "Sum", [List] -> Number, |a| fold_numbers(list_arg(a, 0)?, 0, |x, y| x.checked_add(y), |x, y| x + y)),
    builtin!(P, "Product", [List] -> Number, |a| fold_numbers(list_arg(a, 0)?, 1, |x, y| x.checked_mul(y), |x, y| x * y)),
    builtin!(P, "Min", [List] -> Number, |a| extreme(list_arg(a, 0)?, Ordering::Less)),
    builtin!(P, "Max", [List] -> Number, |a| extreme(list_arg(a, 0)?, Ordering::Greater)),
    builtin!(P, "Avg", [List] -> Number, avg),
    builtin!(P, "Concat", [List] -> List, concat),
    builtin!(P, "FlattenN", [List, Int] -> List, |a| {
        let mut out = Vec::new();
        flatten(list_arg(a, 0)?, int_arg(a, 1)?, &mut out);
        Ok(list(out))
    }),
    builtin!(P, "Range", [Number, Number, Number] -> List, range),
    builtin!(P, "Slice", [List, Int, Int] -> List, slice),
    builtin!(P, "Take", [List, Int] -> List, |a| {
        let items = list_arg(a, 0)?;
        let n = non_negative(int_arg(a, 1)?)?.min(items.len());
        Ok(list(items[..n].to_vec()))
    }),
    builtin!(P, "Drop", [List, Int] -> List, |a| {
        let items = list_arg(a, 0)?;
        let n = non_negative(int_arg(a, 1)?)?.min(items.len());
        Ok(list(items[n..].to_vec()))
    }),
    builtin!(P, "Reverse", [List] -> List, |a| {
        Ok(list(list_arg(a, 0)?.iter().rev().cloned().collect()))
    }),
    builtin!(P, "Repeat", [List, Int] -> List, repeat),
    builtin!(P, "SortStrings", [List] -> List, |a| {
        let mut items = string_list_arg(a, 0)?;
        items.sort_unstable();
        Ok(list(items.into_iter().map(string).collect()))
    }),
    builtin!(P, "IsSortedStrings", [List] -> Bool, |a| {
        let items = string_list_arg(a, 0)?;
        Ok(Concrete::Bool(items.windows(2).all(|w| w[0] <= w[1])))
    }),
];

fn min_items(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let count = list_arg(args, 0)?.len() as i128;
    let min = int_arg(args, 1)?;
    if count >= min {
        return Ok(Concrete::Bool(true));
    }
    Err(BuiltinError::unsatisfied(format!(
        "len(list) < MinItems({min}) ({count} < {min})"
    )))
}

fn max_items(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let count = list_arg(args, 0)?.len() as i128;
    let max = int_arg(args, 1)?;
    if count <= max {
        return Ok(Concrete::Bool(true));
    }
    Err(BuiltinError::unsatisfied(format!(
        "len(list) > MaxItems({max}) ({count} > {max})"
    )))
}

/// CUE's `UniqueItems`: no two items are equal values; Go CUE names the first pair found.
fn unique_items(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let items = list_arg(args, 0)?;
    for (j, later) in items.iter().enumerate() {
        if let Some(i) = items[..j].iter().position(|earlier| equal(earlier, later)) {
            let message = match later {
                Concrete::List(_) | Concrete::Struct(_) => {
                    format!("equal values at position {i} and {j}")
                }
                scalar => format!(
                    "equal value ({}) at position {i} and {j}",
                    format_concrete(scalar)
                ),
            };
            return Err(BuiltinError::unsatisfied(message));
        }
    }
    Ok(Concrete::Bool(true))
}

/// Equality of concrete values as `UniqueItems` and `Contains` use it: an int never equals a
/// float (the reference `cue` finds `[1, 1.0]` unique and `1.0` not in `[1]`), and structs
/// compare field sets regardless of order (CUE's own `structOrderIrrelevant` test).
pub(crate) fn equal(a: &Concrete, b: &Concrete) -> bool {
    match (a, b) {
        (Concrete::List(x), Concrete::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q))
        }
        (Concrete::Struct(x), Concrete::Struct(y)) => {
            x.len() == y.len()
                && x.iter().all(|(name, value)| {
                    y.iter()
                        .find(|(other, _)| other == name)
                        .is_some_and(|(_, other)| equal(value, other))
                })
        }
        _ => a == b,
    }
}

/// A number as the aggregates see it: ints stay exact until a float joins in.
#[derive(Clone, Copy)]
enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    fn into_concrete(self) -> Concrete {
        match self {
            Number::Int(i) => Concrete::Int(i),
            Number::Float(f) => Concrete::Float(f),
        }
    }
}

fn numbers(items: &[Concrete]) -> Result<Vec<Number>, BuiltinError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Concrete::Int(n) => Ok(Number::Int(*n)),
            Concrete::Float(f) => Ok(Number::Float(*f)),
            other => Err(BuiltinError::new(format!(
                "invalid list element {i} in argument 0 to call: cannot use value {} ({}) as number",
                format_concrete(other),
                kind_name(other)
            ))),
        })
        .collect()
}

fn fold_numbers(
    items: &[Concrete],
    start: i128,
    int_op: fn(i128, i128) -> Option<i128>,
    float_op: fn(f64, f64) -> f64,
) -> Result<Concrete, BuiltinError> {
    let mut acc = Number::Int(start);
    for n in numbers(items)? {
        acc = match (acc, n) {
            (Number::Int(x), Number::Int(y)) => match int_op(x, y) {
                Some(v) => Number::Int(v),
                None => return Err(BuiltinError::new("integer overflow")),
            },
            (x, y) => Number::Float(float_op(x.as_f64(), y.as_f64())),
        };
    }
    Ok(acc.into_concrete())
}

fn extreme(items: &[Concrete], want: Ordering) -> Result<Concrete, BuiltinError> {
    let values = numbers(items)?;
    let mut best: Option<Number> = None;
    for n in values {
        best = match best {
            Some(b) if compare(n, b) != want => Some(b),
            _ => Some(n),
        };
    }
    best.map(Number::into_concrete)
        .ok_or_else(|| BuiltinError::new("empty list"))
}

fn compare(a: Number, b: Number) -> Ordering {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x.cmp(&y),
        (x, y) => x.as_f64().total_cmp(&y.as_f64()),
    }
}

/// The mean; exact (an int) when every item is an int and the division is exact.
fn avg(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let values = numbers(list_arg(args, 0)?)?;
    if values.is_empty() {
        return Err(BuiltinError::new("empty list"));
    }
    let count = values.len() as i128;
    let all_ints: Option<Vec<i128>> = values
        .iter()
        .map(|n| match n {
            Number::Int(i) => Some(*i),
            Number::Float(_) => None,
        })
        .collect();
    if let Some(ints) = all_ints {
        let sum = ints.iter().try_fold(0i128, |acc, &i| acc.checked_add(i));
        if let Some(sum) = sum {
            if sum % count == 0 {
                return Ok(Concrete::Int(sum / count));
            }
        }
    }
    let sum: f64 = values.iter().map(|n| n.as_f64()).sum();
    Ok(Concrete::Float(sum / count as f64))
}

fn concat(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let mut out = Vec::new();
    for item in list_arg(args, 0)? {
        match item {
            Concrete::List(inner) => out.extend(inner.iter().cloned()),
            other => {
                return Err(BuiltinError::new(format!(
                    "cannot use value {} (type {}) as list",
                    format_concrete(other),
                    kind_name(other)
                )))
            }
        }
    }
    Ok(list(out))
}

/// Go CUE's `FlattenN`: a negative depth flattens fully.
fn flatten(items: &[Concrete], depth: i128, out: &mut Vec<Concrete>) {
    for item in items {
        match item {
            Concrete::List(inner) if depth != 0 => flatten(inner, depth - 1, out),
            other => out.push(other.clone()),
        }
    }
}

/// Go CUE caps `Range` so a typo cannot allocate without bound.
const RANGE_LIMIT: usize = 1_000_000;

fn range(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let all_ints = args.iter().all(|a| matches!(a, Concrete::Int(_)));
    let (start, limit, step) = (
        float_arg(args, 0)?,
        float_arg(args, 1)?,
        float_arg(args, 2)?,
    );
    if step == 0.0 {
        return Err(BuiltinError::new("step must be non zero"));
    }
    if step > 0.0 && start > limit {
        return Err(BuiltinError::new(
            "end must be greater than start when step is positive",
        ));
    }
    if step < 0.0 && start < limit {
        return Err(BuiltinError::new(
            "end must be less than start when step is negative",
        ));
    }
    let mut out = Vec::new();
    if all_ints {
        let (mut at, limit, step) = (int_arg(args, 0)?, int_arg(args, 1)?, int_arg(args, 2)?);
        while (step > 0 && at < limit) || (step < 0 && at > limit) {
            if out.len() >= RANGE_LIMIT {
                return Err(BuiltinError::new("range too large"));
            }
            out.push(Concrete::Int(at));
            at += step;
        }
    } else {
        // Multiplying instead of accumulating keeps 0.1 steps from drifting.
        let mut index = 0u32;
        loop {
            let at = start + step * f64::from(index);
            if !((step > 0.0 && at < limit) || (step < 0.0 && at > limit)) {
                break;
            }
            if out.len() >= RANGE_LIMIT {
                return Err(BuiltinError::new("range too large"));
            }
            out.push(Concrete::Float(at));
            index += 1;
        }
    }
    Ok(list(out))
}

fn non_negative(n: i128) -> Result<usize, BuiltinError> {
    if n < 0 {
        return Err(BuiltinError::new("negative index"));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

fn slice(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let items = list_arg(args, 0)?;
    let (i, j) = (int_arg(args, 1)?, int_arg(args, 2)?);
    if i < 0 || j < 0 {
        return Err(BuiltinError::new("negative index"));
    }
    if i > j {
        return Err(BuiltinError::new(format!("invalid index: {i} > {j}")));
    }
    if j > items.len() as i128 {
        return Err(BuiltinError::new("slice bounds out of range"));
    }
    Ok(list(items[i as usize..j as usize].to_vec()))
}

fn repeat(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let items = list_arg(args, 0)?;
    let count = int_arg(args, 1)?;
    if count < 0 {
        return Err(BuiltinError::new("negative count"));
    }
    let total = (items.len() as i128).saturating_mul(count);
    if total > RANGE_LIMIT as i128 {
        return Err(BuiltinError::new("result too large"));
    }
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..count {
        out.extend(items.iter().cloned());
    }
    Ok(list(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn ints(values: &[i128]) -> Concrete {
        l(values.iter().map(|&v| i(v)).collect())
    }

    #[test]
    fn item_count_validators() {
        check(
            P,
            "MinItems",
            &[
                (vec![ints(&[1, 2, 3, 4]), i(2)], Ok(b(true))),
                (vec![ints(&[0]), i(1)], Ok(b(true))),
                (
                    vec![ints(&[]), i(1)],
                    Err("len(list) < MinItems(1) (0 < 1)"),
                ),
            ],
        );
        check(
            P,
            "MaxItems",
            &[
                (vec![ints(&[1, 2, 3, 4]), i(5)], Ok(b(true))),
                (
                    vec![ints(&[0, 1]), i(1)],
                    Err("len(list) > MaxItems(1) (2 > 1)"),
                ),
            ],
        );
        let failure = call(P, "MinItems", &[ints(&[1]), i(5)]);
        assert!(failure.is_err());
        let lookup = super::super::lookup(P, "MinItems");
        let Some(super::super::Member::Func(func)) = lookup else {
            panic!("MinItems")
        };
        let err = (func.func)(&[ints(&[1]), i(5)]).expect_err("too short");
        assert!(err.unsatisfied, "a plain call turns this into false");
    }

    #[test]
    fn unique_items_uses_cue_equality() {
        check(
            P,
            "UniqueItems",
            &[
                (vec![ints(&[1, 2, 3])], Ok(b(true))),
                (vec![l(vec![s("1"), i(1)])], Ok(b(true))),
                (
                    vec![ints(&[1, 2, 1])],
                    Err("equal value (1) at position 0 and 2"),
                ),
                (
                    vec![ints(&[3, 1, 1])],
                    Err("equal value (1) at position 1 and 2"),
                ),
                (vec![l(vec![i(1), f(1.0)])], Ok(b(true))),
                (
                    vec![l(vec![f(1.5), f(1.5)])],
                    Err("equal value (1.5) at position 0 and 1"),
                ),
                (
                    vec![l(vec![
                        st(vec![("b", i(1)), ("a", i(0))]),
                        st(vec![("a", i(0)), ("b", i(1))]),
                    ])],
                    Err("equal values at position 0 and 1"),
                ),
                (
                    vec![l(vec![st(vec![("a", i(1))]), st(vec![("b", i(1))])])],
                    Ok(b(true)),
                ),
                (
                    vec![l(vec![ints(&[1]), ints(&[1])])],
                    Err("equal values at position 0 and 1"),
                ),
            ],
        );
    }

    #[test]
    fn contains() {
        check(
            P,
            "Contains",
            &[
                (vec![ints(&[1, 2]), i(2)], Ok(b(true))),
                (vec![ints(&[1, 2]), i(3)], Ok(b(false))),
                (vec![l(vec![s("a")]), s("a")], Ok(b(true))),
                (vec![ints(&[1]), f(1.0)], Ok(b(false))),
                (
                    vec![l(vec![st(vec![("a", i(1))])]), st(vec![("a", i(1))])],
                    Ok(b(true)),
                ),
            ],
        );
    }

    #[test]
    fn aggregates() {
        check(P, "Sum", &[
            (vec![ints(&[1, 2, 3, 4])], Ok(i(10))),
            (vec![ints(&[])], Ok(i(0))),
            (vec![l(vec![i(1), f(0.5)])], Ok(f(1.5))),
            (vec![l(vec![i(i128::MAX), i(1)])], Err("integer overflow")),
            (
                vec![l(vec![s("x")])],
                Err("invalid list element 0 in argument 0 to call: cannot use value \"x\" (string) as number"),
            ),
        ]);
        check(
            P,
            "Product",
            &[
                (vec![ints(&[1, 2, 3, 4])], Ok(i(24))),
                (vec![ints(&[])], Ok(i(1))),
            ],
        );
        check(
            P,
            "Min",
            &[
                (vec![ints(&[3, 1, 2])], Ok(i(1))),
                (vec![ints(&[])], Err("empty list")),
            ],
        );
        check(
            P,
            "Max",
            &[
                (vec![ints(&[1, 2, 3, 4])], Ok(i(4))),
                (vec![l(vec![i(1), f(2.5)])], Ok(f(2.5))),
                (vec![ints(&[])], Err("empty list")),
            ],
        );
        check(
            P,
            "Avg",
            &[
                (vec![ints(&[1, 2, 3, 4])], Ok(f(2.5))),
                (vec![ints(&[4, 8, 12])], Ok(i(8))),
                (vec![ints(&[])], Err("empty list")),
            ],
        );
    }

    #[test]
    fn reshaping() {
        check(
            P,
            "Concat",
            &[
                (vec![l(vec![])], Ok(ints(&[]))),
                (vec![l(vec![ints(&[1]), ints(&[2])])], Ok(ints(&[1, 2]))),
                (
                    vec![l(vec![i(1), ints(&[2])])],
                    Err("cannot use value 1 (type int) as list"),
                ),
            ],
        );
        let nested = l(vec![i(1), l(vec![ints(&[2, 3]), ints(&[])]), ints(&[4])]);
        check(
            P,
            "FlattenN",
            &[
                (vec![nested.clone(), i(-1)], Ok(ints(&[1, 2, 3, 4]))),
                (vec![nested.clone(), i(0)], Ok(nested.clone())),
                (
                    vec![nested.clone(), i(1)],
                    Ok(l(vec![i(1), ints(&[2, 3]), ints(&[]), i(4)])),
                ),
                (vec![nested, i(2)], Ok(ints(&[1, 2, 3, 4]))),
            ],
        );
        check(
            P,
            "Reverse",
            &[(vec![ints(&[1, 2, 3])], Ok(ints(&[3, 2, 1])))],
        );
        check(
            P,
            "Repeat",
            &[
                (vec![ints(&[1, 2]), i(3)], Ok(ints(&[1, 2, 1, 2, 1, 2]))),
                (vec![ints(&[1]), i(0)], Ok(ints(&[]))),
                (vec![ints(&[1]), i(-1)], Err("negative count")),
            ],
        );
        check(P, "SortStrings", &[
            (vec![l(vec![s("b"), s("a")])], Ok(l(vec![s("a"), s("b")]))),
            (
                vec![ints(&[1, 2])],
                Err("invalid list element 0 in argument 0 to call: cannot use value 1 (int) as string"),
            ),
        ]);
        check(
            P,
            "IsSortedStrings",
            &[(vec![l(vec![s("a"), s("b")])], Ok(b(true)))],
        );
    }

    #[test]
    fn ranges_and_slices() {
        check(
            P,
            "Range",
            &[
                (vec![i(0), i(5), i(1)], Ok(ints(&[0, 1, 2, 3, 4]))),
                (vec![i(0), i(1), i(1)], Ok(ints(&[0]))),
                (vec![i(0), i(5), i(2)], Ok(ints(&[0, 2, 4]))),
                (vec![i(5), i(0), i(-1)], Ok(ints(&[5, 4, 3, 2, 1]))),
                (
                    vec![i(0), i(2), f(0.5)],
                    Ok(l(vec![f(0.0), f(0.5), f(1.0), f(1.5)])),
                ),
                (vec![i(0), i(5), i(0)], Err("step must be non zero")),
                (
                    vec![i(5), i(0), i(1)],
                    Err("end must be greater than start when step is positive"),
                ),
                (
                    vec![i(0), i(5), i(-1)],
                    Err("end must be less than start when step is negative"),
                ),
            ],
        );
        let four = ints(&[1, 2, 3, 4]);
        check(
            P,
            "Slice",
            &[
                (vec![four.clone(), i(1), i(3)], Ok(ints(&[2, 3]))),
                (vec![four.clone(), i(-1), i(3)], Err("negative index")),
                (vec![four.clone(), i(3), i(1)], Err("invalid index: 3 > 1")),
                (
                    vec![four.clone(), i(5), i(5)],
                    Err("slice bounds out of range"),
                ),
                (
                    vec![four.clone(), i(1), i(5)],
                    Err("slice bounds out of range"),
                ),
            ],
        );
        check(
            P,
            "Take",
            &[
                (vec![four.clone(), i(0)], Ok(ints(&[]))),
                (vec![four.clone(), i(2)], Ok(ints(&[1, 2]))),
                (vec![four.clone(), i(10)], Ok(four.clone())),
                (vec![four.clone(), i(-1)], Err("negative index")),
            ],
        );
        check(
            P,
            "Drop",
            &[
                (vec![four.clone(), i(0)], Ok(four.clone())),
                (vec![four.clone(), i(2)], Ok(ints(&[3, 4]))),
                (vec![four.clone(), i(10)], Ok(ints(&[]))),
                (vec![four, i(-1)], Err("negative index")),
            ],
        );
    }
}
