//! The `encoding/hex` package: lower-case hex encoding and decoding with Go's error texts.

use super::{bytes, bytes_or_str_arg, str_arg, string, Builtin, BuiltinError};

const P: &str = "encoding/hex";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Encode", [Any] -> String, |a| Ok(string(encode(bytes_or_str_arg(a, 0)?)))),
    builtin!(P, "Decode", [String] -> Bytes, |a| {
        decode(str_arg(a, 0)?).map(bytes).map_err(BuiltinError::new)
    }),
    builtin!(P, "EncodedLen", [Int] -> Int, |a| {
        super::int_arg(a, 0)?
            .checked_mul(2)
            .map(super::Concrete::Int)
            .ok_or_else(|| BuiltinError::new("length out of range"))
    }),
    builtin!(P, "Dump", [Any] -> String, |a| Ok(string(dump(bytes_or_str_arg(a, 0)?)))),
    builtin!(P, "DecodedLen", [Int] -> Int, |a| Ok(super::Concrete::Int(super::int_arg(a, 0)? / 2))),
];

/// Go's `hex.Dump`: 16 bytes a line, the offset, the bytes in hex (an extra space after the
/// eighth) and the printable ASCII characters between bars.
pub fn dump(data: &[u8]) -> String {
    let mut out = String::new();
    for (line, chunk) in data.chunks(16).enumerate() {
        out.push_str(&format!("{:08x}  ", line * 16));
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => out.push_str(&format!("{b:02x} ")),
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        out.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
    out
}

pub fn encode(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid_byte(b: u8) -> String {
    // Go's `%#U`: the code point, then the character when printable.
    let c = b as char;
    if c.is_ascii_graphic() || c == ' ' {
        format!("encoding/hex: invalid byte: U+{:04X} '{c}'", b)
    } else {
        format!("encoding/hex: invalid byte: U+{:04X}", b)
    }
}

/// Go's `DecodeString`: pairs are checked first, then an odd length (after checking its last
/// byte).
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let src = text.as_bytes();
    let value = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(src.len() / 2);
    for pair in src.chunks_exact(2) {
        let high = value(pair[0]).ok_or_else(|| invalid_byte(pair[0]))?;
        let low = value(pair[1]).ok_or_else(|| invalid_byte(pair[1]))?;
        out.push(high << 4 | low);
    }
    if src.len() % 2 == 1 {
        let last = src[src.len() - 1];
        if value(last).is_none() {
            return Err(invalid_byte(last));
        }
        return Err("encoding/hex: odd length hex string".to_string());
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
                (vec![s("foo")], Ok(s("666f6f"))),
                (vec![bytes([0u8, 255])], Ok(s("00ff"))),
            ],
        );
        check(
            P,
            "Decode",
            &[
                (vec![s("666f6f")], Ok(bytes(b"foo"))),
                (vec![s("666F6F")], Ok(bytes(b"foo"))),
                (
                    vec![s("foo")],
                    Err("encoding/hex: invalid byte: U+006F 'o'"),
                ),
                (vec![s("6")], Err("encoding/hex: odd length hex string")),
                (vec![s("6\n")], Err("encoding/hex: invalid byte: U+000A")),
            ],
        );
        check(
            P,
            "EncodedLen",
            &[
                (vec![i(3)], Ok(i(6))),
                (vec![i(i128::MAX)], Err("length out of range")),
            ],
        );
    }

    #[test]
    fn dump_lines() {
        check(
            P,
            "Dump",
            &[
                (
                    vec![s("foo")],
                    Ok(s("00000000  66 6f 6f                                          |foo|\n")),
                ),
                (
                    vec![s("0123456789abcdef\n")],
                    Ok(s("00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n00000010  0a                                                |.|\n")),
                ),
                (vec![s("")], Ok(s(""))),
            ],
        );
    }
}
