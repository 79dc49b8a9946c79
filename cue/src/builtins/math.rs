//! The `math` package: `MultipleOf` with decimal semantics, rounding to ints, the float
//! functions of Go's `math`, and its constants.
//!
//! Go CUE computes on arbitrary-precision decimals; here floats are `f64`, so `MultipleOf`
//! reads each float back as the shortest decimal that prints it (what the user wrote, for
//! literals) and divides exactly, so `math.MultipleOf(0.3, 0.1)` is true as in CUE.

use super::{float_arg, Builtin, BuiltinError, Concrete};

const P: &str = "math";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "MultipleOf", [Number, Number] -> Bool, multiple_of),
    builtin!(P, "Floor", [Number] -> Int, |a| to_int(a, f64::floor)),
    builtin!(P, "Ceil", [Number] -> Int, |a| to_int(a, f64::ceil)),
    builtin!(P, "Round", [Number] -> Int, |a| to_int(a, f64::round)),
    builtin!(P, "RoundToEven", [Number] -> Int, |a| to_int(a, f64::round_ties_even)),
    builtin!(P, "Trunc", [Number] -> Int, |a| to_int(a, f64::trunc)),
    builtin!(P, "Abs", [Number] -> Number, abs),
    builtin!(P, "Jacobi", [Int, Int] -> Int, jacobi),
    builtin!(P, "Pow", [Number, Number] -> Number, pow),
    builtin!(P, "Pow10", [Int] -> Number, |a| {
        let n = super::int_arg(a, 0)?;
        if (0..=38).contains(&n) {
            return Ok(Concrete::Int(10i128.pow(n as u32)));
        }
        float_result(10f64.powf(n as f64))
    }),
    builtin!(P, "Sqrt", [Number] -> Float, |a| unary(a, f64::sqrt)),
    builtin!(P, "Cbrt", [Number] -> Float, |a| unary(a, f64::cbrt)),
    builtin!(P, "Exp", [Number] -> Float, |a| unary(a, f64::exp)),
    builtin!(P, "Exp2", [Number] -> Float, |a| unary(a, f64::exp2)),
    builtin!(P, "Log", [Number] -> Float, |a| unary(a, f64::ln)),
    builtin!(P, "Log10", [Number] -> Float, |a| unary(a, f64::log10)),
    builtin!(P, "Log2", [Number] -> Float, |a| unary(a, f64::log2)),
    builtin!(P, "Log1p", [Number] -> Float, |a| unary(a, f64::ln_1p)),
    builtin!(P, "Sin", [Number] -> Float, |a| unary(a, f64::sin)),
    builtin!(P, "Cos", [Number] -> Float, |a| unary(a, f64::cos)),
    builtin!(P, "Tan", [Number] -> Float, |a| unary(a, f64::tan)),
    builtin!(P, "Asin", [Number] -> Float, |a| unary(a, f64::asin)),
    builtin!(P, "Acos", [Number] -> Float, |a| unary(a, f64::acos)),
    builtin!(P, "Atan", [Number] -> Float, |a| unary(a, f64::atan)),
    builtin!(P, "Atan2", [Number, Number] -> Float, |a| binary(a, f64::atan2)),
    builtin!(P, "Hypot", [Number, Number] -> Float, |a| binary(a, f64::hypot)),
    builtin!(P, "Copysign", [Number, Number] -> Float, |a| binary(a, f64::copysign)),
    builtin!(P, "Dim", [Number, Number] -> Float, |a| binary(a, |x, y| (x - y).max(0.0))),
    builtin!(P, "Signbit", [Number] -> Bool, |a| {
        Ok(Concrete::Bool(float_arg(a, 0)?.is_sign_negative()))
    }),
];

/// Go CUE's constants (to `f64` precision) and the integer limits of Go's `math`.
pub(super) fn constant(name: &str) -> Option<Concrete> {
    use std::f64::consts;
    let float = match name {
        "E" => consts::E,
        "Pi" => consts::PI,
        "Phi" => 1.618_033_988_749_895,
        "Sqrt2" => consts::SQRT_2,
        "SqrtE" => 1.648_721_270_700_128_2,
        "SqrtPi" => 1.772_453_850_905_516,
        "SqrtPhi" => 1.272_019_649_514_069,
        "Ln2" => consts::LN_2,
        "Log2E" => consts::LOG2_E,
        "Ln10" => consts::LN_10,
        "Log10E" => consts::LOG10_E,
        "MaxFloat64" => f64::MAX,
        "SmallestNonzeroFloat64" => f64::from_bits(1),
        "MaxFloat32" => f64::from(f32::MAX),
        "SmallestNonzeroFloat32" => 1.401_298_464_324_817e-45,
        _ => {
            let int: i128 = match name {
                "MaxInt" | "MaxInt64" => i64::MAX.into(),
                "MinInt" | "MinInt64" => i64::MIN.into(),
                "MaxInt8" => i8::MAX.into(),
                "MinInt8" => i8::MIN.into(),
                "MaxInt16" => i16::MAX.into(),
                "MinInt16" => i16::MIN.into(),
                "MaxInt32" => i32::MAX.into(),
                "MinInt32" => i32::MIN.into(),
                "MaxUint" | "MaxUint64" => u64::MAX.into(),
                "MaxUint8" => u8::MAX.into(),
                "MaxUint16" => u16::MAX.into(),
                "MaxUint32" => u32::MAX.into(),
                _ => return None,
            };
            return Some(Concrete::Int(int));
        }
    };
    Some(Concrete::Float(float))
}

fn float_result(value: f64) -> Result<Concrete, BuiltinError> {
    if value.is_nan() {
        return Err(BuiltinError::new("invalid operation: result is NaN"));
    }
    if value.is_infinite() {
        return Err(BuiltinError::new("value out of range: result is infinite"));
    }
    Ok(Concrete::Float(value))
}

fn unary(args: &[Concrete], op: fn(f64) -> f64) -> Result<Concrete, BuiltinError> {
    float_result(op(float_arg(args, 0)?))
}

fn binary(args: &[Concrete], op: fn(f64, f64) -> f64) -> Result<Concrete, BuiltinError> {
    float_result(op(float_arg(args, 0)?, float_arg(args, 1)?))
}

/// Rounding functions: ints pass through; floats round and become ints, as in Go CUE
/// (`y: int & math.Round(32.45)` holds).
fn to_int(args: &[Concrete], round: fn(f64) -> f64) -> Result<Concrete, BuiltinError> {
    match args.first() {
        Some(Concrete::Int(i)) => Ok(Concrete::Int(*i)),
        _ => {
            let rounded = round(float_arg(args, 0)?);
            if !rounded.is_finite() || rounded.abs() >= 1.7e38 {
                return Err(BuiltinError::new("value out of range"));
            }
            Ok(Concrete::Int(rounded as i128))
        }
    }
}

/// The Jacobi symbol (x/y), for odd `y` (as Go's `big.Jacobi`): by quadratic reciprocity,
/// halving out factors of two and swapping until `y` is 1.
fn jacobi(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let (x, y) = (super::int_arg(args, 0)?, super::int_arg(args, 1)?);
    if y % 2 == 0 {
        return Err(BuiltinError::new(format!(
            "big: invalid 2nd argument to Int.Jacobi: need odd integer but got {y}"
        )));
    }
    let mut result = 1;
    let (mut a, mut b) = (x, y.unsigned_abs());
    if y < 0 && x < 0 {
        result = -1;
    }
    loop {
        if b == 1 {
            return Ok(Concrete::Int(result));
        }
        // `a mod b`, non-negative.
        let reduced = a.rem_euclid(b as i128) as u128;
        if reduced == 0 {
            return Ok(Concrete::Int(0));
        }
        let twos = reduced.trailing_zeros();
        if twos % 2 == 1 && matches!(b & 7, 3 | 5) {
            result = -result;
        }
        let odd = reduced >> twos;
        if b & 3 == 3 && odd & 3 == 3 {
            result = -result;
        }
        a = b as i128;
        b = odd;
    }
}

fn abs(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    match args.first() {
        Some(Concrete::Int(i)) => i
            .checked_abs()
            .map(Concrete::Int)
            .ok_or_else(|| BuiltinError::new("integer overflow")),
        _ => Ok(Concrete::Float(float_arg(args, 0)?.abs())),
    }
}

/// Exact for an int base and a non-negative int exponent (`math.Pow(8, 4)` is `4096`).
fn pow(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    if let (Some(Concrete::Int(base)), Some(Concrete::Int(exp))) = (args.first(), args.get(1)) {
        if *exp >= 0 {
            if let Some(v) = u32::try_from(*exp).ok().and_then(|e| base.checked_pow(e)) {
                return Ok(Concrete::Int(v));
            }
        }
    }
    binary(args, f64::powf)
}

/// A number as an exact decimal `mantissa * 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Decimal {
    mantissa: i128,
    exponent: i32,
}

fn decimal(value: &Concrete) -> Option<Decimal> {
    match value {
        Concrete::Int(i) => Some(Decimal {
            mantissa: *i,
            exponent: 0,
        }),
        Concrete::Float(f) if f.is_finite() => parse_decimal(&format!("{f:e}")),
        _ => None,
    }
}

/// Parses Rust's shortest `{:e}` form (`-1.2345e-3`).
fn parse_decimal(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = text.split_once('e')?;
    let mut exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    exponent -= i32::try_from(fraction.len()).ok()?;
    let digits = format!("{whole}{fraction}");
    Some(Decimal {
        mantissa: digits.parse().ok()?,
        exponent,
    })
}

/// `base^exp mod modulus` without overflow for moduli below 2^63.
fn pow_mod(base: i128, mut exp: u32, modulus: i128) -> i128 {
    let mut result = 1 % modulus;
    let mut base = base % modulus;
    while exp > 0 {
        if exp & 1 == 1 {
            result = result * base % modulus;
        }
        base = base * base % modulus;
        exp >>= 1;
    }
    result
}

fn multiple_of(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let (x, y) = match (args.first(), args.get(1)) {
        (Some(x), Some(y)) => (x, y),
        _ => return Err(BuiltinError::new("missing argument")),
    };
    let divisor = float_arg(args, 1)?;
    if divisor == 0.0 {
        return Err(BuiltinError::new("division by zero"));
    }
    let (Some(x), Some(y)) = (decimal(x), decimal(y)) else {
        return Err(BuiltinError::new("invalid number"));
    };
    // Scale both to the smaller exponent: x = X * 10^e, y = Y * 10^e, then test X mod Y.
    let exponent = x.exponent.min(y.exponent);
    let scale_y = u32::try_from(y.exponent - exponent).unwrap_or(u32::MAX);
    let divisor = 10i128
        .checked_pow(scale_y)
        .and_then(|p| y.mantissa.checked_mul(p))
        .and_then(i128::checked_abs);
    let scale_x = u32::try_from(x.exponent - exponent).unwrap_or(u32::MAX);
    match divisor {
        Some(d) if d < (1i128 << 62) => {
            let remainder = (x.mantissa % d) * pow_mod(10, scale_x, d) % d;
            Ok(Concrete::Bool(remainder == 0))
        }
        // Beyond exact reach: fall back to floating point.
        _ => {
            let (xf, yf) = (float_arg(args, 0)?, float_arg(args, 1)?);
            Ok(Concrete::Bool((xf % yf) == 0.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn multiple_of_is_decimal() {
        check(
            P,
            "MultipleOf",
            &[
                (vec![i(99 * 99), i(99)], Ok(b(true))),
                (vec![i(100010), i(10)], Ok(b(true))),
                (vec![i(22), i(2)], Ok(b(true))),
                (vec![i(11), i(1)], Ok(b(true))),
                (vec![i(4), i(2)], Ok(b(true))),
                (vec![i(5555555), i(2)], Ok(b(false))),
                (vec![f(100.01), i(4)], Ok(b(false))),
                (vec![i(5), i(2)], Ok(b(false))),
                (vec![i(5), i(0)], Err("division by zero")),
                (vec![i(100), f(1.00001)], Ok(b(false))),
                (vec![i(5), f(2.5)], Ok(b(true))),
                (vec![f(100e100), i(10)], Ok(b(true))),
                (vec![f(0.3), f(0.1)], Ok(b(true))),
                (vec![f(0.35), f(0.1)], Ok(b(false))),
                (vec![i(-9), i(3)], Ok(b(true))),
                (vec![i(9), i(-3)], Ok(b(true))),
                (vec![f(1.5), f(0.5)], Ok(b(true))),
            ],
        );
    }

    #[test]
    fn rounding_gives_ints() {
        check(
            P,
            "Round",
            &[
                (vec![f(2.5)], Ok(i(3))),
                (vec![f(-2.5)], Ok(i(-3))),
                (vec![f(32.45)], Ok(i(32))),
            ],
        );
        check(
            P,
            "RoundToEven",
            &[(vec![f(2.5)], Ok(i(2))), (vec![f(-2.5)], Ok(i(-2)))],
        );
        check(
            P,
            "Floor",
            &[
                (vec![f(std::f64::consts::PI)], Ok(i(3))),
                (vec![f(2.9)], Ok(i(2))),
                (vec![f(-2.2)], Ok(i(-3))),
                (vec![i(2900)], Ok(i(2900))),
                (vec![f(2900.0)], Ok(i(2900))),
                (vec![f(1e300)], Err("value out of range")),
            ],
        );
        check(
            P,
            "Ceil",
            &[(vec![f(2.5)], Ok(i(3))), (vec![f(-2.2)], Ok(i(-2)))],
        );
        check(
            P,
            "Trunc",
            &[(vec![f(2.5)], Ok(i(2))), (vec![f(-2.9)], Ok(i(-2)))],
        );
    }

    #[test]
    fn float_functions() {
        check(
            P,
            "Abs",
            &[
                (vec![f(-2.2)], Ok(f(2.2))),
                (vec![i(-3)], Ok(i(3))),
                (vec![i(i128::MIN)], Err("integer overflow")),
            ],
        );
        check(
            P,
            "Pow",
            &[
                (vec![i(8), i(4)], Ok(i(4096))),
                (vec![i(2), i(-1)], Ok(f(0.5))),
                (vec![f(4.0), f(0.5)], Ok(f(2.0))),
                (
                    vec![i(10), i(400)],
                    Err("value out of range: result is infinite"),
                ),
            ],
        );
        check(
            P,
            "Pow10",
            &[(vec![i(4)], Ok(i(10000))), (vec![i(-1)], Ok(f(0.1)))],
        );
        check(
            P,
            "Sqrt",
            &[
                (vec![i(4)], Ok(f(2.0))),
                (vec![i(-1)], Err("invalid operation: result is NaN")),
            ],
        );
        check(P, "Log", &[(vec![f(std::f64::consts::E)], Ok(f(1.0)))]);
        check(P, "Exp", &[(vec![i(0)], Ok(f(1.0)))]);
        check(
            P,
            "Dim",
            &[
                (vec![i(3), f(2.5)], Ok(f(0.5))),
                (vec![i(5), f(7.2)], Ok(f(0.0))),
            ],
        );
        check(P, "Copysign", &[(vec![i(5), f(-2.2)], Ok(f(-5.0)))]);
        check(
            P,
            "Signbit",
            &[(vec![i(-4)], Ok(b(true))), (vec![i(4)], Ok(b(false)))],
        );
        check(P, "Log2", &[(vec![i(8)], Ok(f(3.0)))]);
    }

    #[test]
    fn constants() {
        assert_eq!(constant("Pi"), Some(f(std::f64::consts::PI)));
        assert_eq!(constant("MaxInt8"), Some(i(127)));
        assert_eq!(constant("MinInt64"), Some(i(-9223372036854775808)));
        assert_eq!(constant("MaxUint64"), Some(i(18446744073709551615)));
        assert_eq!(constant("MaxUint16"), Some(i(65535)));
        assert_eq!(constant("Nope"), None);
    }

    #[test]
    fn jacobi_symbols() {
        check(
            P,
            "Jacobi",
            &[
                (vec![i(1000), i(201)], Ok(i(1))),
                (vec![i(2), i(3)], Ok(i(-1))),
                (vec![i(3), i(9)], Ok(i(0))),
                (vec![i(-1), i(-3)], Ok(i(1))),
                (vec![i(30), i(59)], Ok(i(-1))),
                (
                    vec![i(1000), i(2000)],
                    Err("big: invalid 2nd argument to Int.Jacobi: need odd integer but got 2000"),
                ),
            ],
        );
    }
}
