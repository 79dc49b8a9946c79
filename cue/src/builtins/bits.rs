//! The `math/bits` package: bitwise operations on integers (two's complement, as Go's
//! `big.Int` sees negative values). Results must fit this engine's 128-bit integers.

use super::{int_arg, Builtin, BuiltinError, Concrete};

const P: &str = "math/bits";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "And", [Int, Int] -> Int, |a| Ok(Concrete::Int(int_arg(a, 0)? & int_arg(a, 1)?))),
    builtin!(P, "Or", [Int, Int] -> Int, |a| Ok(Concrete::Int(int_arg(a, 0)? | int_arg(a, 1)?))),
    builtin!(P, "Xor", [Int, Int] -> Int, |a| Ok(Concrete::Int(int_arg(a, 0)? ^ int_arg(a, 1)?))),
    builtin!(P, "Clear", [Int, Int] -> Int, |a| Ok(Concrete::Int(int_arg(a, 0)? & !int_arg(a, 1)?))),
    builtin!(P, "Lsh", [Int, Int] -> Int, |a| {
        let (x, n) = (int_arg(a, 0)?, shift_arg(a, 1)?);
        // The shift must not lose bits (Go's big integers never do).
        x.checked_shl(n)
            .filter(|shifted| shifted >> n == x)
            .map(Concrete::Int)
            .ok_or_else(out_of_range)
    }),
    builtin!(P, "Rsh", [Int, Int] -> Int, |a| {
        let (x, n) = (int_arg(a, 0)?, shift_arg(a, 1)?);
        Ok(Concrete::Int(x >> n.min(127)))
    }),
    builtin!(P, "At", [Int, Int] -> Int, |a| {
        let (x, i) = (int_arg(a, 0)?, shift_arg(a, 1)?);
        Ok(Concrete::Int((x >> i.min(127)) & 1))
    }),
    builtin!(P, "Set", [Int, Int, Int] -> Int, |a| {
        let (x, i, bit) = (int_arg(a, 0)?, shift_arg(a, 1)?, int_arg(a, 2)?);
        if i >= 127 {
            return Err(out_of_range());
        }
        Ok(Concrete::Int(match bit {
            0 => x & !(1 << i),
            1 => x | (1 << i),
            _ => return Err(BuiltinError::new(format!("invalid bit value {bit}: must be 0 or 1"))),
        }))
    }),
    builtin!(P, "OnesCount", [Int] -> Int, |a| {
        // Go counts the bits of the magnitude.
        Ok(Concrete::Int(int_arg(a, 0)?.unsigned_abs().count_ones().into()))
    }),
    builtin!(P, "Len", [Int] -> Int, |a| {
        let x = int_arg(a, 0)?.unsigned_abs();
        Ok(Concrete::Int((128 - x.leading_zeros()).into()))
    }),
];

/// A shift or bit index: a non-negative int.
fn shift_arg(args: &[Concrete], index: usize) -> Result<u32, BuiltinError> {
    let n = int_arg(args, index)?;
    u32::try_from(n).map_err(|_| {
        BuiltinError::new(format!(
            "cannot use {n} (type int) as uint in argument {}: value out of range",
            index + 1
        ))
    })
}

fn out_of_range() -> BuiltinError {
    BuiltinError::new("result does not fit a 128-bit integer")
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::P;

    #[test]
    fn bitwise_operations() {
        check(P, "Or", &[(vec![i(0x8), i(0x1)], Ok(i(9)))]);
        check(
            P,
            "And",
            &[(vec![i(0x1_0000_0000_0000_0F0E), i(0xF0F7)], Ok(i(6)))],
        );
        check(P, "Xor", &[(vec![i(-1), i(1)], Ok(i(-2)))]);
        check(P, "Clear", &[(vec![i(0xF), i(0x8)], Ok(i(7)))]);
        check(
            P,
            "Lsh",
            &[
                (vec![i(0x8), i(4)], Ok(i(128))),
                (
                    vec![i(1), i(127)],
                    Err("result does not fit a 128-bit integer"),
                ),
                (
                    vec![i(1), i(-1)],
                    Err("cannot use -1 (type int) as uint in argument 2: value out of range"),
                ),
            ],
        );
        check(
            P,
            "Rsh",
            &[
                (vec![i(0x100), i(4)], Ok(i(16))),
                (vec![i(-8), i(200)], Ok(i(-1))),
            ],
        );
        check(
            P,
            "At",
            &[
                (vec![i(0x100), i(8)], Ok(i(1))),
                (vec![i(0x100), i(9)], Ok(i(0))),
            ],
        );
        check(
            P,
            "Set",
            &[
                (vec![i(0x100), i(7), i(1)], Ok(i(384))),
                (vec![i(0x100), i(8), i(0)], Ok(i(0))),
                (
                    vec![i(0), i(1), i(2)],
                    Err("invalid bit value 2: must be 0 or 1"),
                ),
            ],
        );
        check(P, "OnesCount", &[(vec![i(0xF0)], Ok(i(4)))]);
        check(
            P,
            "Len",
            &[(vec![i(0x100)], Ok(i(9))), (vec![i(0)], Ok(i(0)))],
        );
    }
}
