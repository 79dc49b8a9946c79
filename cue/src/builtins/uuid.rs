//! The `uuid` package: validation and normalisation of UUID strings with the rules of
//! `github.com/google/uuid.Parse`, which Go CUE uses (canonical, `urn:uuid:`, braced and bare
//! 32-digit forms, any case).

use std::sync::Arc;

use super::{str_arg, string, Builtin, BuiltinError, Concrete};

const P: &str = "uuid";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Valid", [String] -> Bool, str |s| {
        parse(s).map_err(BuiltinError::new)?;
        Ok(Concrete::Bool(true))
    }),
    builtin!(P, "Parse", [String] -> String, |a| {
        let uuid = parse(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        Ok(string(canonical(&uuid)))
    }),
    builtin!(P, "ToString", [String] -> String, |a| {
        let uuid = parse(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        Ok(string(canonical(&uuid)))
    }),
    builtin!(P, "SHA1", [String, Any] -> String, |a| {
        name_based(a, 0x50, |data| {
            use sha2::Digest;
            sha1::Sha1::digest(data)[..16].to_vec()
        })
    }),
    builtin!(P, "MD5", [String, Any] -> String, |a| {
        name_based(a, 0x30, |data| {
            use sha2::Digest;
            md5::Md5::digest(data).to_vec()
        })
    }),
    builtin!(P, "FromInt", [Int] -> String, |a| {
        let value = super::int_arg(a, 0)?;
        let value = u128::try_from(value)
            .map_err(|_| BuiltinError::new(format!("cannot make a UUID of negative {value}")))?;
        Ok(string(canonical(&value.to_be_bytes())))
    }),
    builtin!(P, "ToInt", [String] -> Int, |a| {
        let uuid = parse(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        i128::try_from(u128::from_be_bytes(uuid))
            .map(Concrete::Int)
            .map_err(|_| BuiltinError::new("UUID value does not fit a 128-bit signed integer"))
    }),
    builtin!(P, "URN", [String] -> String, |a| {
        let uuid = parse(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        Ok(string(format!("urn:uuid:{}", canonical(&uuid))))
    }),
    builtin!(P, "Version", [String] -> Int, |a| {
        let uuid = parse(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        Ok(Concrete::Int(i128::from(uuid[6] >> 4)))
    }),
    builtin!(P, "Variant", [String] -> Int, |a| {
        let uuid = parse(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        // google/uuid: 0 reserved, 1 RFC 4122, 2 Microsoft, 3 future.
        let variant = match uuid[8] {
            b if b & 0xc0 == 0x80 => 1,
            b if b & 0xe0 == 0xc0 => 2,
            b if b & 0xe0 == 0xe0 => 3,
            _ => 0,
        };
        Ok(Concrete::Int(variant))
    }),
];

/// `uuid.ns`: the RFC 4122 name spaces.
pub(super) fn constant(name: &str) -> Option<Concrete> {
    if name != "ns" {
        return None;
    }
    let fields = [
        ("DNS", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        ("URL", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
        ("OID", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"),
        ("X500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
        ("Nil", "00000000-0000-0000-0000-000000000000"),
    ];
    Some(Concrete::Struct(
        fields
            .iter()
            .map(|(k, v)| (Arc::from(*k), string(v)))
            .collect(),
    ))
}

const INVALID_FORMAT: &str = "invalid UUID format";

/// RFC 4122 name-based UUIDs (versions 3 and 5): the hash of the name space's bytes followed
/// by the name, with the version and variant bits set.
fn name_based(
    args: &[Concrete],
    version: u8,
    hash: fn(&[u8]) -> Vec<u8>,
) -> Result<Concrete, BuiltinError> {
    let space = parse(str_arg(args, 0)?).map_err(BuiltinError::new)?;
    let mut data = space.to_vec();
    data.extend_from_slice(super::bytes_or_str_arg(args, 1)?);
    let digest = hash(&data);
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&digest[..16]);
    uuid[6] = (uuid[6] & 0x0f) | version;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    Ok(string(canonical(&uuid)))
}

fn hex_pair(bytes: &[u8], at: usize) -> Option<u8> {
    let high = (*bytes.get(at)? as char).to_digit(16)?;
    let low = (*bytes.get(at + 1)? as char).to_digit(16)?;
    Some((high * 16 + low) as u8)
}

/// `google/uuid.Parse`: the form is chosen by byte length alone, as there.
pub fn parse(s: &str) -> Result<[u8; 16], String> {
    let bytes = s.as_bytes();
    let mut uuid = [0u8; 16];
    let body = match bytes.len() {
        36 => bytes,
        45 => {
            if !bytes[..9].eq_ignore_ascii_case(b"urn:uuid:") {
                return Err(format!(
                    "invalid urn prefix: {}",
                    super::quote_string(&String::from_utf8_lossy(&bytes[..9]))
                ));
            }
            &bytes[9..]
        }
        // google/uuid skips the first byte and ignores the last without checking the braces.
        38 => &bytes[1..],
        32 => {
            for (i, byte) in uuid.iter_mut().enumerate() {
                *byte = hex_pair(bytes, i * 2).ok_or(INVALID_FORMAT)?;
            }
            return Ok(uuid);
        }
        n => return Err(format!("invalid UUID length: {n}")),
    };
    if body[8] != b'-' || body[13] != b'-' || body[18] != b'-' || body[23] != b'-' {
        return Err(INVALID_FORMAT.to_string());
    }
    const OFFSETS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    for (byte, at) in uuid.iter_mut().zip(OFFSETS) {
        *byte = hex_pair(body, at).ok_or(INVALID_FORMAT)?;
    }
    Ok(uuid)
}

/// The lower-case 8-4-4-4-12 form.
pub fn canonical(uuid: &[u8; 16]) -> String {
    let hex: String = uuid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn valid_accepts_google_uuid_forms() {
        check(
            P,
            "Valid",
            &[
                (vec![s("052ef62d-7223-58b6-a551-c1deee46d401")], Ok(b(true))),
                (vec![s("052EF62D-7223-58B6-A551-C1DEEE46D401")], Ok(b(true))),
                (
                    vec![s("urn:uuid:123e4567-e89b-12d3-a456-426655440000")],
                    Ok(b(true)),
                ),
                (
                    vec![s("URN:UUID:123e4567-e89b-12d3-a456-426655440000")],
                    Ok(b(true)),
                ),
                (
                    vec![s("{123e4567-e89b-12d3-a456-426655440000}")],
                    Ok(b(true)),
                ),
                (vec![s("123e4567e89b12d3a456426655440000")], Ok(b(true))),
                (
                    vec![s("052ef62d_7223_58b6_a551_c1deee46d401")],
                    Err("invalid UUID format"),
                ),
                (
                    vec![s("052ef62d-7223-58b6-a551-c1deee")],
                    Err("invalid UUID length: 30"),
                ),
                (
                    vec![s("{123e4567-e89b-12d3-a456-426655440000")],
                    Err("invalid UUID length: 37"),
                ),
                (
                    vec![s("052ef62d-7223-58b6-a551-c1deee46d40g")],
                    Err("invalid UUID format"),
                ),
                (
                    vec![s("123e4567e89b12d3a45642665544000z")],
                    Err("invalid UUID format"),
                ),
                (
                    vec![s("urx:uuid:123e4567-e89b-12d3-a456-426655440000")],
                    Err(r#"invalid urn prefix: "urx:uuid:""#),
                ),
                (vec![s("")], Err("invalid UUID length: 0")),
            ],
        );
    }

    #[test]
    fn parse_normalises() {
        check(
            P,
            "Parse",
            &[
                (
                    vec![s("052EF62D-7223-58B6-A551-C1DEEE46D401")],
                    Ok(s("052ef62d-7223-58b6-a551-c1deee46d401")),
                ),
                (
                    vec![s("urn:uuid:123e4567-e89b-12d3-a456-426655440000")],
                    Ok(s("123e4567-e89b-12d3-a456-426655440000")),
                ),
                (
                    vec![s("{123e4567-e89b-12d3-a456-426655440000}")],
                    Ok(s("123e4567-e89b-12d3-a456-426655440000")),
                ),
                (
                    vec![s("123e4567e89b12d3a456426655440000")],
                    Ok(s("123e4567-e89b-12d3-a456-426655440000")),
                ),
                (
                    vec![s("052ef62d-7223-58b6-a551-c1deee")],
                    Err("invalid UUID length: 30"),
                ),
            ],
        );
        // CUE's own test data: uuid.SHA1(uuid.ns.DNS, "cuelang.org") and the MD5 one.
        check(
            P,
            "SHA1",
            &[
                (
                    vec![s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), s("cuelang.org")],
                    Ok(s("052ef62d-7223-58b6-a551-c1deee46d401")),
                ),
                (vec![s("nope"), s("x")], Err("invalid UUID length: 4")),
            ],
        );
        check(
            P,
            "MD5",
            &[(
                vec![
                    s("6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
                    s("https://cuelang.org"),
                ],
                Ok(s("d891d69e-ae5c-39e0-9ead-164abd207f1f")),
            )],
        );
        let sha1 = s("052ef62d-7223-58b6-a551-c1deee46d401");
        check(
            P,
            "URN",
            &[(
                vec![sha1.clone()],
                Ok(s("urn:uuid:052ef62d-7223-58b6-a551-c1deee46d401")),
            )],
        );
        check(P, "Version", &[(vec![sha1.clone()], Ok(i(5)))]);
        check(P, "Variant", &[(vec![sha1], Ok(i(1)))]);
        assert!(matches!(constant("ns"), Some(Concrete::Struct(f)) if f.len() == 5));
    }

    #[test]
    fn integers_and_uuids() {
        check(
            P,
            "FromInt",
            &[
                (
                    vec![i(0x052e_f62d_7223_58b6_a551_c1de_ee46_d401)],
                    Ok(s("052ef62d-7223-58b6-a551-c1deee46d401")),
                ),
                (vec![i(-1)], Err("cannot make a UUID of negative -1")),
            ],
        );
        check(
            P,
            "ToInt",
            &[
                (vec![s("00000000-0000-0000-0000-00000000002a")], Ok(i(42))),
                (
                    vec![s("ffffffff-ffff-ffff-ffff-ffffffffffff")],
                    Err("UUID value does not fit a 128-bit signed integer"),
                ),
            ],
        );
    }
}
