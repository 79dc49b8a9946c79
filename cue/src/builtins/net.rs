//! The `net` package: IP address, CIDR, domain name and URL validators, with Go's
//! `net/netip` parsing rules and error texts.

use super::{format_concrete, kind_name, list, Builtin, BuiltinError, Concrete};

const P: &str = "net";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "IP", [Any] -> Bool, |a| Ok(Concrete::Bool(ip_arg(a)?.is_some()))),
    builtin!(P, "IPv4", [Any] -> Bool, |a| {
        Ok(Concrete::Bool(matches!(ip_arg(a)?, Some(Ip::V4(_)))))
    }),
    builtin!(P, "IPv6", [Any] -> Bool, |a| {
        Ok(Concrete::Bool(matches!(ip_arg(a)?, Some(Ip::V6(_)))))
    }),
    builtin!(P, "IPCIDR", [Any] -> Bool, |a| match a.first() {
        Some(Concrete::String(s)) => {
            parse_prefix(s).map_err(BuiltinError::new)?;
            Ok(Concrete::Bool(true))
        }
        Some(other) => Err(BuiltinError::new(format!(
            "invalid type {} for IP CIDR",
            kind_name(other)
        ))),
        None => Err(BuiltinError::new("missing argument")),
    }),
    builtin!(P, "LoopbackIP", [Any] -> Bool, |a| {
        Ok(Concrete::Bool(ip_arg(a)?.is_some_and(|ip| ip.is_loopback())))
    }),
    builtin!(P, "ToIP4", [Any] -> List, |a| match ip_arg(a)? {
        Some(ip) => match ip.to_v4() {
            Some(v4) => Ok(byte_list(&v4)),
            None => Err(BuiltinError::new(format!(
                "cannot convert {} to IPv4",
                format_concrete(&a[0])
            ))),
        },
        None => Err(BuiltinError::new("invalid IP address")),
    }),
    builtin!(P, "ToIP16", [Any] -> List, |a| match ip_arg(a)? {
        Some(ip) => Ok(byte_list(&ip.to_v16())),
        None => Err(BuiltinError::new("invalid IP address")),
    }),
    builtin!(P, "FQDN", [String] -> Bool, str |s| Ok(Concrete::Bool(is_fqdn(s)))),
    builtin!(P, "URL", [String] -> Bool, str |s| {
        parse_url(s).map_err(BuiltinError::new)?;
        Ok(Concrete::Bool(true))
    }),
    builtin!(P, "AbsURL", [String] -> Bool, str |s| {
        let has_scheme = parse_url(s).map_err(BuiltinError::new)?;
        if !has_scheme {
            return Err(BuiltinError::new("URL is not absolute"));
        }
        Ok(Concrete::Bool(true))
    }),
];

/// A parsed IP address: IPv4, or IPv6 (including IPv4-mapped forms, which Go calls IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ip {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Ip {
    fn to_v16(self) -> [u8; 16] {
        match self {
            Ip::V6(b) => b,
            Ip::V4(b) => {
                let mut out = [0u8; 16];
                out[10] = 0xff;
                out[11] = 0xff;
                out[12..].copy_from_slice(&b);
                out
            }
        }
    }

    fn to_v4(self) -> Option<[u8; 4]> {
        match self {
            Ip::V4(b) => Some(b),
            Ip::V6(b) if b[..10].iter().all(|&x| x == 0) && b[10] == 0xff && b[11] == 0xff => {
                Some([b[12], b[13], b[14], b[15]])
            }
            Ip::V6(_) => None,
        }
    }

    fn is_loopback(self) -> bool {
        match self {
            Ip::V4(b) => b[0] == 127,
            Ip::V6(b) => {
                b == std::net::Ipv6Addr::LOCALHOST.octets()
                    || b[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] && b[12] == 127
            }
        }
    }
}

fn byte_list(bytes: &[u8]) -> Concrete {
    list(bytes.iter().map(|&b| Concrete::Int(b.into())).collect())
}

/// Go CUE's `netGetIP`: a string is parsed (errors are reported), a list of 4 or 16 bytes is
/// an address, anything else is a type error. `Ok(None)` means "not an IP" without reason.
fn ip_arg(args: &[Concrete]) -> Result<Option<Ip>, BuiltinError> {
    match args.first() {
        Some(Concrete::String(s)) => parse_addr(s).map(Some).map_err(BuiltinError::new),
        Some(Concrete::Bytes(b)) => match std::str::from_utf8(b) {
            Ok(s) => parse_addr(s).map(Some).map_err(BuiltinError::new),
            Err(_) => Ok(None),
        },
        Some(Concrete::List(items)) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|item| match item {
                    Concrete::Int(i) => u8::try_from(*i).ok(),
                    _ => None,
                })
                .collect();
            Ok(match bytes.as_deref() {
                Some(&[a, b, c, d]) => Some(Ip::V4([a, b, c, d])),
                Some(b) if b.len() == 16 => {
                    let mut out = [0u8; 16];
                    out.copy_from_slice(b);
                    Some(Ip::V6(out))
                }
                _ => None,
            })
        }
        Some(other) => Err(BuiltinError::new(format!(
            "invalid type {} for IP address",
            kind_name(other)
        ))),
        None => Err(BuiltinError::new("missing argument")),
    }
}

fn addr_error(input: &str, message: &str, at: &str) -> String {
    let mut out = format!("ParseAddr({}): {message}", super::quote_string(input));
    if !at.is_empty() {
        out.push_str(&format!(" (at {})", super::quote_string(at)));
    }
    out
}

/// Go's `netip.ParseAddr`, with its error texts.
pub fn parse_addr(s: &str) -> Result<Ip, String> {
    for c in s.bytes() {
        match c {
            b'.' => return parse_ipv4(s, s).map(Ip::V4),
            b':' => return parse_ipv6(s),
            b'%' => return Err(addr_error(s, "missing IPv6 address", "")),
            _ => {}
        }
    }
    Err(addr_error(s, "unable to parse IP", ""))
}

/// `field` is the IPv4 text; `input` the whole address, for messages.
fn parse_ipv4(input: &str, field: &str) -> Result<[u8; 4], String> {
    let bytes = field.as_bytes();
    let mut fields = [0u8; 4];
    let (mut value, mut position, mut digits) = (0u32, 0usize, 0usize);
    for (i, &c) in bytes.iter().enumerate() {
        if c.is_ascii_digit() {
            if digits == 1 && value == 0 {
                return Err(addr_error(
                    input,
                    "IPv4 field has octet with leading zero",
                    "",
                ));
            }
            value = value * 10 + u32::from(c - b'0');
            digits += 1;
            if value > 255 {
                return Err(addr_error(input, "IPv4 field has value >255", ""));
            }
        } else if c == b'.' {
            if i == 0 || i == bytes.len() - 1 || bytes[i - 1] == b'.' {
                return Err(addr_error(
                    input,
                    "IPv4 field must have at least one digit",
                    &field[i..],
                ));
            }
            if position == 3 {
                return Err(addr_error(input, "IPv4 address too long", ""));
            }
            fields[position] = value as u8;
            position += 1;
            value = 0;
            digits = 0;
        } else {
            return Err(addr_error(input, "unexpected character", &field[i..]));
        }
    }
    if position < 3 {
        return Err(addr_error(input, "IPv4 address too short", ""));
    }
    fields[3] = value as u8;
    Ok(fields)
}

fn parse_ipv6(input: &str) -> Result<Ip, String> {
    let mut s = input;
    if let Some(at) = s.find('%') {
        if at + 1 == s.len() {
            return Err(addr_error(input, "zone must be a non-empty string", ""));
        }
        s = &s[..at];
    }
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok(Ip::V6(ip));
        }
    }
    let mut i = 0;
    while i < 16 {
        let bytes = s.as_bytes();
        let mut off = 0;
        let mut acc: u32 = 0;
        while off < bytes.len() {
            let Some(digit) = (bytes[off] as char).to_digit(16) else {
                break;
            };
            acc = (acc << 4) + digit;
            if off > 3 {
                return Err(addr_error(
                    input,
                    "each group must have 4 or less digits",
                    s,
                ));
            }
            if acc > 0xFFFF {
                return Err(addr_error(input, "IPv6 field has value >=2^16", s));
            }
            off += 1;
        }
        if off == 0 {
            return Err(addr_error(
                input,
                "each colon-separated field must have at least one digit",
                s,
            ));
        }
        if bytes.get(off) == Some(&b'.') {
            if ellipsis.is_none() && i != 12 {
                return Err(addr_error(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                ));
            }
            if i + 4 > 16 {
                return Err(addr_error(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                ));
            }
            let v4 = parse_ipv4(input, s)?;
            ip[i..i + 4].copy_from_slice(&v4);
            s = "";
            i += 4;
            break;
        }
        ip[i] = (acc >> 8) as u8;
        ip[i + 1] = acc as u8;
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(addr_error(input, "unexpected character, want colon", s));
        }
        if s.len() == 1 {
            return Err(addr_error(
                input,
                "colon must be followed by more characters",
                s,
            ));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return Err(addr_error(input, "multiple :: in address", s));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(addr_error(input, "trailing garbage after address", s));
    }
    if i < 16 {
        let Some(at) = ellipsis else {
            return Err(addr_error(input, "address string too short", ""));
        };
        let n = 16 - i;
        for j in (at..i).rev() {
            ip[j + n] = ip[j];
        }
        for byte in &mut ip[at..at + n] {
            *byte = 0;
        }
    } else if ellipsis.is_some() {
        return Err(addr_error(
            input,
            "the :: must expand to at least one field of zeros",
            "",
        ));
    }
    Ok(Ip::V6(ip))
}

/// Go's `netip.ParsePrefix`: the address and prefix length, with its error texts.
pub fn parse_prefix(s: &str) -> Result<(Ip, u8), String> {
    let context = format!("netip.ParsePrefix({})", super::quote_string(s));
    let Some(slash) = s.rfind('/') else {
        return Err(format!("{context}: no '/'"));
    };
    let ip = parse_addr(&s[..slash]).map_err(|e| format!("{context}: {e}"))?;
    if matches!(ip, Ip::V6(_)) && s[..slash].contains('%') {
        return Err(format!(
            "{context}: IPv6 zones cannot be present in a prefix"
        ));
    }
    let bits_text = &s[slash + 1..];
    let bad_bits = || {
        format!(
            "{context}: bad bits after slash: {}",
            super::quote_string(bits_text)
        )
    };
    if bits_text.len() > 1 && !bits_text.starts_with(|c: char| ('1'..='9').contains(&c)) {
        return Err(bad_bits());
    }
    let bits: u32 = bits_text.parse().map_err(|_| bad_bits())?;
    let max = if matches!(ip, Ip::V4(_)) { 32 } else { 128 };
    if bits > max {
        return Err(format!("{context}: prefix length out of range"));
    }
    Ok((ip, bits as u8))
}

/// A fully qualified domain name as Go CUE checks it: ASCII only (RFC 1034), then the IDNA
/// lookup rules with strict domain names and DNS lengths: labels of letters, digits and inner
/// hyphens, 1 to 63 bytes each, an optional final dot, at most 253 bytes in all.
fn is_fqdn(s: &str) -> bool {
    if !s.is_ascii() {
        return false;
    }
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// The checks of Go's `url.Parse` that reject input: control characters, bad `%` escapes, a
/// missing scheme before `:`, a colon in the first segment of a relative path. Returns
/// whether the URL has a scheme (is absolute).
fn parse_url(raw: &str) -> Result<bool, String> {
    let quoted = super::quote_string(raw);
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(format!(
            "parse {quoted}: net/url: invalid control character in URL"
        ));
    }
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let valid = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !valid {
                let end = (i + 3).min(bytes.len());
                let escape = String::from_utf8_lossy(&bytes[i..end]);
                return Err(format!(
                    "parse {quoted}: invalid URL escape {}",
                    super::quote_string(&escape)
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    // Go's getScheme: letters first, then letters, digits, `+`, `-`, `.`, up to `:`.
    let without_fragment = raw.split('#').next().unwrap_or(raw);
    for (i, c) in without_fragment.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err(format!("parse {quoted}: missing protocol scheme")),
            ':' => return Ok(true),
            _ => break,
        }
    }
    let path = without_fragment.split('?').next().unwrap_or("");
    if !path.starts_with('/') && path.split('/').next().is_some_and(|seg| seg.contains(':')) {
        return Err(format!(
            "parse {quoted}: first path segment in URL cannot contain colon"
        ));
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn ip_validators() {
        check(
            P,
            "IP",
            &[
                (vec![s("23.23.23.23")], Ok(b(true))),
                (vec![s("2001:db8::1")], Ok(b(true))),
                (vec![s("0:0:0:0:0:0:23.23.23.23")], Ok(b(true))),
                (vec![s("fe80::1%eth0")], Ok(b(true))),
                (vec![l(vec![i(192), i(30), i(4), i(2)])], Ok(b(true))),
                (vec![l(vec![i(192), i(30), i(4)])], Ok(b(false))),
                (vec![i(123)], Err("invalid type int for IP address")),
                (
                    vec![s("invalid ip")],
                    Err(r#"ParseAddr("invalid ip"): unable to parse IP"#),
                ),
                (vec![s("")], Err(r#"ParseAddr(""): unable to parse IP"#)),
                (
                    vec![s("1.2.3")],
                    Err(r#"ParseAddr("1.2.3"): IPv4 address too short"#),
                ),
                (
                    vec![s("1.2.3.4.5")],
                    Err(r#"ParseAddr("1.2.3.4.5"): IPv4 address too long"#),
                ),
                (
                    vec![s("01.2.3.4")],
                    Err(r#"ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero"#),
                ),
                (
                    vec![s("1..3.4")],
                    Err(
                        r#"ParseAddr("1..3.4"): IPv4 field must have at least one digit (at ".3.4")"#,
                    ),
                ),
                (
                    vec![s("1.2.3.x")],
                    Err(r#"ParseAddr("1.2.3.x"): unexpected character (at "x")"#),
                ),
                (
                    vec![s("1:2")],
                    Err(r#"ParseAddr("1:2"): address string too short"#),
                ),
                (
                    vec![s("1::2::3")],
                    Err(r#"ParseAddr("1::2::3"): multiple :: in address (at ":3")"#),
                ),
                (
                    vec![s("1:2:3:4:5:6:7:8:9")],
                    Err(
                        r#"ParseAddr("1:2:3:4:5:6:7:8:9"): trailing garbage after address (at "9")"#,
                    ),
                ),
            ],
        );
        check(
            P,
            "IPv4",
            &[
                (vec![s("23.23.23.23")], Ok(b(true))),
                (vec![s("2001:db8::1")], Ok(b(false))),
                (vec![s("ff02::1:3")], Ok(b(false))),
                (
                    vec![s("23.23.23.2333")],
                    Err(r#"ParseAddr("23.23.23.2333"): IPv4 field has value >255"#),
                ),
                (vec![i(123)], Err("invalid type int for IP address")),
            ],
        );
        check(
            P,
            "IPv6",
            &[
                (vec![s("2001:db8::1")], Ok(b(true))),
                (vec![s("::")], Ok(b(true))),
                (vec![s("::ffff:1.2.3.4")], Ok(b(true))),
                (vec![s("23.23.23.23")], Ok(b(false))),
                (
                    vec![s("2001:db8::1234567")],
                    Err(
                        r#"ParseAddr("2001:db8::1234567"): each group must have 4 or less digits (at "1234567")"#,
                    ),
                ),
            ],
        );
    }

    #[test]
    fn cidr_and_conversions() {
        check(
            P,
            "IPCIDR",
            &[
                (vec![s("192.168.1.0/24")], Ok(b(true))),
                (vec![s("2001:db8:a0b:12f0::1/32")], Ok(b(true))),
                (
                    vec![s("172.16.12.3")],
                    Err(r#"netip.ParsePrefix("172.16.12.3"): no '/'"#),
                ),
                (
                    vec![s("1.2.3.4/33")],
                    Err(r#"netip.ParsePrefix("1.2.3.4/33"): prefix length out of range"#),
                ),
                (
                    vec![s("1.2.3.4/01")],
                    Err(r#"netip.ParsePrefix("1.2.3.4/01"): bad bits after slash: "01""#),
                ),
                (vec![i(123)], Err("invalid type int for IP CIDR")),
            ],
        );
        check(
            P,
            "ToIP4",
            &[(vec![s("127.0.0.1")], Ok(l(vec![i(127), i(0), i(0), i(1)])))],
        );
        let mut v16: Vec<Concrete> = vec![i(0); 10];
        v16.extend([i(255), i(255), i(127), i(0), i(0), i(1)]);
        check(P, "ToIP16", &[(vec![s("127.0.0.1")], Ok(l(v16)))]);
        check(
            P,
            "LoopbackIP",
            &[
                (vec![s("127.0.0.1")], Ok(b(true))),
                (vec![l(vec![i(127), i(0), i(0), i(1)])], Ok(b(true))),
                (vec![s("::1")], Ok(b(true))),
                (vec![s("10.0.0.1")], Ok(b(false))),
            ],
        );
    }

    #[test]
    fn domain_names() {
        let long = format!("foo.{}", "ar".repeat(34));
        check(
            P,
            "FQDN",
            &[
                (vec![s("foo.bar.")], Ok(b(true))),
                (vec![s("valid.example.com.")], Ok(b(true))),
                (vec![s(&long)], Ok(b(false))),
                (vec![s("hello world")], Ok(b(false))),
                (vec![s("foo bar.")], Ok(b(false))),
                (vec![s("under_score.example.com.")], Ok(b(false))),
                (vec![s("-a.com")], Ok(b(false))),
                (vec![s("bücher.example")], Ok(b(false))), // ASCII only, as Go CUE's FQDN says
                (vec![s("xn--bcher-kva.example.")], Ok(b(true))),
                (vec![s("")], Ok(b(false))),
            ],
        );
    }

    #[test]
    fn urls() {
        check(
            P,
            "URL",
            &[
                (vec![s("/foo/bar")], Ok(b(true))),
                (vec![s("https://foo.com/bar")], Ok(b(true))),
                (vec![s("%")], Err(r#"parse "%": invalid URL escape "%""#)),
                (
                    vec![s("a%zzb")],
                    Err(r#"parse "a%zzb": invalid URL escape "%zz""#),
                ),
                (
                    vec![s(":foo")],
                    Err(r#"parse ":foo": missing protocol scheme"#),
                ),
                (
                    vec![s("a b\n")],
                    Err("parse \"a b\\n\": net/url: invalid control character in URL"),
                ),
                (
                    vec![s("1a:b")],
                    Err(r#"parse "1a:b": first path segment in URL cannot contain colon"#),
                ),
            ],
        );
        check(
            P,
            "AbsURL",
            &[
                (vec![s("https://foo.com/bar")], Ok(b(true))),
                (vec![s("mailto:a@b.c")], Ok(b(true))),
                (vec![s("/foo/bar")], Err("URL is not absolute")),
                (vec![s("%")], Err(r#"parse "%": invalid URL escape "%""#)),
            ],
        );
    }
}
