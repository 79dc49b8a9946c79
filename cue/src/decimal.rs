//! Decimal arithmetic as CUE does it: a number is a coefficient and a power of ten, sums,
//! differences and products are exact, a quotient keeps 34 significant digits (rounded half to
//! even), and the spelling keeps the digits (`123.45 + 987.65` is `1111.10`, `1e2` prints as
//! `1E+2`). Binary floating point would give `-864.1999999999999` for `123.45 - 987.65`.
//!
//! Coefficients live in a `u128` (38 digits); an operation whose exact result does not fit
//! gives `None`, and the caller falls back to `f64`.

/// Significant digits of a quotient (CUE's decimal context).
const PRECISION: u32 = 34;

/// `coefficient × 10^exponent`, negative when `negative`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decimal {
    negative: bool,
    coefficient: u128,
    exponent: i32,
}

impl Decimal {
    pub(crate) fn from_int(value: i128) -> Decimal {
        Decimal {
            negative: value < 0,
            coefficient: value.unsigned_abs(),
            exponent: 0,
        }
    }

    /// A number literal's spelling (`1e2`, `2.00`, `.5`, `-0.000_1`); `None` for anything else
    /// (`NaN`, `+Inf`, too many digits).
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i32>().ok()?),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut coefficient: u128 = 0;
        let mut fraction_digits: i32 = 0;
        let mut any = false;
        for (in_fraction, c) in whole
            .chars()
            .map(|c| (false, c))
            .chain(fraction.chars().map(|c| (true, c)))
        {
            if c == '_' {
                continue;
            }
            let digit = c.to_digit(10)?;
            coefficient = coefficient
                .checked_mul(10)?
                .checked_add(u128::from(digit))?;
            fraction_digits += i32::from(in_fraction);
            any = true;
        }
        if !any {
            return None;
        }
        Some(Decimal {
            negative,
            coefficient,
            exponent: exponent.checked_sub(fraction_digits)?,
        })
    }

    pub(crate) fn add(self, other: Decimal) -> Option<Decimal> {
        let exponent = self.exponent.min(other.exponent);
        let a = self.rescaled(exponent)?;
        let b = other.rescaled(exponent)?;
        let (negative, coefficient) = if a.negative == b.negative {
            (a.negative, a.coefficient.checked_add(b.coefficient)?)
        } else if a.coefficient >= b.coefficient {
            (a.negative, a.coefficient - b.coefficient)
        } else {
            (b.negative, b.coefficient - a.coefficient)
        };
        // A difference of zero has no sign, as in CUE.
        Decimal {
            negative: negative && coefficient != 0,
            coefficient,
            exponent,
        }
        .rounded()
    }

    pub(crate) fn sub(self, other: Decimal) -> Option<Decimal> {
        self.add(Decimal {
            negative: !other.negative,
            ..other
        })
    }

    pub(crate) fn mul(self, other: Decimal) -> Option<Decimal> {
        let coefficient = self.coefficient.checked_mul(other.coefficient)?;
        Decimal {
            negative: self.negative != other.negative && coefficient != 0,
            coefficient,
            exponent: self.exponent.checked_add(other.exponent)?,
        }
        .rounded()
    }

    /// The quotient with up to 34 significant digits, exact when it terminates within them, at
    /// the exponent closest to the operands' difference of exponents; `None` for a zero divisor.
    pub(crate) fn div(self, other: Decimal) -> Option<Decimal> {
        if other.coefficient == 0 {
            return None;
        }
        let divisor = other.coefficient;
        // Long division must be able to multiply a remainder (< divisor) by ten.
        if divisor > u128::MAX / 10 {
            return None;
        }
        let mut coefficient = self.coefficient / divisor;
        let mut remainder = self.coefficient % divisor;
        let mut exponent = self.exponent.checked_sub(other.exponent)?;
        if digits(coefficient) > PRECISION {
            return None;
        }
        while remainder != 0 && (coefficient == 0 || digits(coefficient) < PRECISION) {
            remainder *= 10;
            coefficient = coefficient * 10 + remainder / divisor;
            remainder %= divisor;
            exponent = exponent.checked_sub(1)?;
        }
        if remainder != 0 {
            // Round half to even on the next digit and what remains after it.
            let next = remainder * 10 / divisor;
            let rest = remainder * 10 % divisor;
            if next > 5 || next == 5 && (rest != 0 || coefficient % 2 == 1) {
                coefficient += 1;
                if digits(coefficient) > PRECISION {
                    coefficient /= 10;
                    exponent = exponent.checked_add(1)?;
                }
            }
        }
        Some(Decimal {
            negative: self.negative != other.negative && coefficient != 0,
            coefficient,
            exponent,
        })
    }

    /// The nearest `f64`.
    pub(crate) fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The same value with the given (smaller or equal) exponent.
    fn rescaled(self, exponent: i32) -> Option<Decimal> {
        let shift = u32::try_from(self.exponent.checked_sub(exponent)?).ok()?;
        Some(Decimal {
            coefficient: self.coefficient.checked_mul(10u128.checked_pow(shift)?)?,
            exponent,
            ..self
        })
    }

    /// Cut to 34 significant digits, half to even.
    fn rounded(mut self) -> Option<Decimal> {
        while digits(self.coefficient) > PRECISION {
            let drop = digits(self.coefficient) - PRECISION;
            let scale = 10u128.pow(drop);
            let (kept, cut) = (self.coefficient / scale, self.coefficient % scale);
            let half = scale / 2;
            self.coefficient = if cut > half || cut == half && kept % 2 == 1 {
                kept + 1
            } else {
                kept
            };
            self.exponent = self.exponent.checked_add(i32::try_from(drop).ok()?)?;
        }
        Some(self)
    }
}

/// CUE's spelling: plain while the exponent is not positive and the magnitude is not below
/// 1e-6, else scientific with one digit before the point (`1E+2`, `2.00`, `0.0001`, `1.5E-7`).
impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.coefficient.to_string();
        let count = i64::try_from(digits.len()).unwrap_or(i64::MAX);
        let exponent = i64::from(self.exponent);
        let adjusted = exponent + count - 1;
        if self.negative {
            f.write_str("-")?;
        }
        if exponent <= 0 && adjusted >= -6 {
            let point = count + exponent;
            if exponent == 0 {
                f.write_str(&digits)
            } else if point > 0 {
                let (int, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
                write!(f, "{int}.{frac}")
            } else {
                let zeros = usize::try_from(-point).unwrap_or(0);
                write!(f, "0.{}{digits}", "0".repeat(zeros))
            }
        } else {
            f.write_str(&digits[..1])?;
            if digits.len() > 1 {
                write!(f, ".{}", &digits[1..])?;
            }
            let sign = if adjusted < 0 { "" } else { "+" };
            write!(f, "E{sign}{adjusted}")
        }
    }
}

fn digits(n: u128) -> u32 {
    n.checked_ilog10().map_or(1, |log| log + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap_or_else(|| panic!("{text} parses"))
    }

    #[test]
    fn literals_keep_their_digits_in_cue_spelling() {
        for (literal, printed) in [
            ("1e2", "1E+2"),
            ("2.00", "2.00"),
            ("1.5e3", "1.5E+3"),
            ("-0.25", "-0.25"),
            ("0.000_1", "0.0001"),
            ("0.0000001", "1E-7"),
            ("1.5e-7", "1.5E-7"),
            ("12.5E-1", "1.25"),
            ("0.0", "0.0"),
            ("100.0", "100.0"),
            (".5", "0.5"),
        ] {
            assert_eq!(d(literal).to_string(), printed, "{literal}");
        }
        for text in ["NaN", "+Inf", "", "1e", "1x", "."] {
            assert_eq!(Decimal::parse(text), None, "{text}");
        }
    }

    #[test]
    fn sums_differences_and_products_are_exact() {
        assert_eq!(d("123.45").add(d("987.65")).unwrap().to_string(), "1111.10");
        assert_eq!(d("123.45").sub(d("987.65")).unwrap().to_string(), "-864.20");
        assert_eq!(
            d("123.45").mul(d("987.65")).unwrap().to_string(),
            "121925.3925"
        );
        assert_eq!(d("0.1").add(d("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(d("1.5").sub(d("1.5")).unwrap().to_string(), "0.0");
        assert_eq!(
            Decimal::from_int(2).mul(d("1.5")).unwrap().to_string(),
            "3.0"
        );
    }

    #[test]
    fn quotients_keep_34_digits_rounded_half_to_even() {
        assert_eq!(
            d("123.45").div(d("987.65")).unwrap().to_string(),
            "0.1249936718473143320002025008859414"
        );
        assert_eq!(
            Decimal::from_int(1)
                .div(Decimal::from_int(3))
                .unwrap()
                .to_string(),
            "0.3333333333333333333333333333333333"
        );
        assert_eq!(
            Decimal::from_int(2)
                .div(Decimal::from_int(3))
                .unwrap()
                .to_string(),
            "0.6666666666666666666666666666666667"
        );
        assert_eq!(
            Decimal::from_int(20)
                .div(Decimal::from_int(4))
                .unwrap()
                .to_string(),
            "5"
        );
        assert_eq!(
            d("1.0").div(Decimal::from_int(4)).unwrap().to_string(),
            "0.25"
        );
        assert_eq!(Decimal::from_int(1).div(Decimal::from_int(0)), None);
    }

    #[test]
    fn results_too_large_for_the_coefficient_are_refused() {
        let big = d("300000000000000000000000000000000000000");
        assert_eq!(big.add(big), None);
        assert_eq!(d("1e300").add(d("1e-300")), None);
        assert!(big.mul(big).is_none());
        // A sum that fits is cut to 34 digits.
        let nines = d("99999999999999999999999999999999999999");
        assert_eq!(
            nines.add(nines).unwrap().to_string(),
            "2.000000000000000000000000000000000E+38"
        );
    }
}
