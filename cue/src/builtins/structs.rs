//! The `struct` package (a Rust keyword, hence the file name): field-count validators. The
//! evaluator passes only regular fields, so hidden, definition and optional fields never count.

use super::{int_arg, Builtin, BuiltinError, Concrete};

const P: &str = "struct";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "MinFields", [Struct, Int] -> Bool, min_fields),
    builtin!(P, "MaxFields", [Struct, Int] -> Bool, max_fields),
];

fn field_count(args: &[Concrete]) -> Result<i128, BuiltinError> {
    match args.first() {
        Some(Concrete::Struct(fields)) => Ok(fields.len() as i128),
        _ => Err(BuiltinError::new("argument 1 must be a struct")),
    }
}

fn min_fields(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let (count, min) = (field_count(args)?, int_arg(args, 1)?);
    if count >= min {
        return Ok(Concrete::Bool(true));
    }
    Err(BuiltinError::unsatisfied(format!(
        "len(fields) < MinFields({min}) ({count} < {min})"
    )))
}

fn max_fields(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let (count, max) = (field_count(args)?, int_arg(args, 1)?);
    if count <= max {
        return Ok(Concrete::Bool(true));
    }
    Err(BuiltinError::unsatisfied(format!(
        "len(fields) > MaxFields({max}) ({count} > {max})"
    )))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn field_count_validators() {
        check(
            P,
            "MinFields",
            &[
                (vec![st(vec![("a", i(1))]), i(0)], Ok(b(true))),
                (vec![st(vec![("a", i(1))]), i(1)], Ok(b(true))),
                (
                    vec![st(vec![]), i(1)],
                    Err("len(fields) < MinFields(1) (0 < 1)"),
                ),
                (
                    vec![st(vec![]), i(2)],
                    Err("len(fields) < MinFields(2) (0 < 2)"),
                ),
                (vec![s(""), i(0)], Err("argument 1 must be a struct")),
            ],
        );
        check(
            P,
            "MaxFields",
            &[
                (vec![st(vec![]), i(1)], Ok(b(true))),
                (vec![st(vec![("a", i(1))]), i(2)], Ok(b(true))),
                (
                    vec![st(vec![("a", i(1))]), i(0)],
                    Err("len(fields) > MaxFields(0) (1 > 0)"),
                ),
                (
                    vec![st(vec![("a", i(1)), ("b", i(2))]), i(1)],
                    Err("len(fields) > MaxFields(1) (2 > 1)"),
                ),
            ],
        );
    }
}
