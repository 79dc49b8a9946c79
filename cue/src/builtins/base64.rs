//! The `encoding/base64` package: standard (padded) base64, with Go's error texts.

use super::{
    bytes, bytes_or_str_arg, format_concrete, kind_name, string, Builtin, BuiltinError, Concrete,
};

const P: &str = "encoding/base64";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Encode", [Any, Any] -> String, |a| {
        check_encoding(a)?;
        Ok(string(encode(bytes_or_str_arg(a, 1)?)))
    }),
    builtin!(P, "Decode", [Any, String] -> Bytes, |a| {
        check_encoding(a)?;
        decode(super::str_arg(a, 1)?).map(bytes).map_err(BuiltinError::new)
    }),
    builtin!(P, "EncodedLen", [Any, Int] -> Int, |a| {
        check_encoding(a)?;
        let n = super::int_arg(a, 1)?;
        n.checked_add(2)
            .and_then(|m| (m / 3).checked_mul(4))
            .map(Concrete::Int)
            .ok_or_else(|| BuiltinError::new("length out of range"))
    }),
    builtin!(P, "DecodedLen", [Any, Int] -> Int, |a| {
        check_encoding(a)?;
        let n = super::int_arg(a, 1)?;
        Ok(Concrete::Int(n / 4 * 3))
    }),
];

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Go CUE takes an encoding argument that must be `null` (the standard encoding).
fn check_encoding(args: &[Concrete]) -> Result<(), BuiltinError> {
    match args.first() {
        Some(Concrete::Null) => Ok(()),
        Some(other) => Err(BuiltinError::new(format!(
            "base64: unsupported encoding: cannot use value {} (type {}) as null",
            format_concrete(other),
            kind_name(other)
        ))),
        None => Err(BuiltinError::new("missing argument")),
    }
}

/// Standard base64 with `=` padding.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `StdEncoding.DecodeString`: newlines and carriage returns are ignored; the error names
/// the offset of the bad byte, or of the start of an incomplete final group.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let corrupt = |at: usize| format!("illegal base64 data at input byte {at}");
    let input: Vec<(usize, u8)> = text
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b != b'\n' && b != b'\r')
        .collect();
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut group = input.chunks(4).peekable();
    while let Some(quad) = group.next() {
        let start = quad[0].0;
        if quad.len() < 4 {
            return Err(corrupt(start));
        }
        let mut values = [0u32; 4];
        let mut padding = 0;
        for (k, &(at, b)) in quad.iter().enumerate() {
            if b == b'=' {
                // Padding is only allowed in the last two places of the last group.
                if k < 2 || group.peek().is_some() {
                    return Err(corrupt(at));
                }
                padding += 1;
                continue;
            }
            if padding > 0 {
                return Err(corrupt(at));
            }
            values[k] = ALPHABET.iter().position(|&c| c == b).ok_or(corrupt(at))? as u32;
        }
        let n = (values[0] << 18) | (values[1] << 12) | (values[2] << 6) | values[3];
        let produced = 3 - padding;
        for i in 0..produced {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn encode_and_decode() {
        check(
            P,
            "Encode",
            &[
                (vec![Concrete::Null, s("foo")], Ok(s("Zm9v"))),
                (vec![Concrete::Null, s("fo")], Ok(s("Zm8="))),
                (vec![Concrete::Null, bytes(b"f")], Ok(s("Zg=="))),
                (vec![Concrete::Null, s("")], Ok(s(""))),
            ],
        );
        check(
            P,
            "Decode",
            &[
                (vec![Concrete::Null, s("Zm9v")], Ok(bytes(b"foo"))),
                (vec![Concrete::Null, s("Zm8=")], Ok(bytes(b"fo"))),
                (vec![Concrete::Null, s("Zg==\n")], Ok(bytes(b"f"))),
                (
                    vec![Concrete::Null, s("foo")],
                    Err("illegal base64 data at input byte 0"),
                ),
                (
                    vec![Concrete::Null, s("Zm9v!")],
                    Err("illegal base64 data at input byte 4"),
                ),
                (
                    vec![Concrete::Null, s("Z=9v")],
                    Err("illegal base64 data at input byte 1"),
                ),
                (
                    vec![st(vec![]), s("foo")],
                    Err("base64: unsupported encoding: cannot use value {} (type struct) as null"),
                ),
            ],
        );
        check(
            P,
            "EncodedLen",
            &[
                (vec![Concrete::Null, i(4)], Ok(i(8))),
                (
                    vec![Concrete::Null, i(i128::MAX)],
                    Err("length out of range"),
                ),
            ],
        );
        check(P, "DecodedLen", &[(vec![Concrete::Null, i(8)], Ok(i(6)))]);
    }
}
