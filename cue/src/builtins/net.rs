//! The `net` package: IP address, CIDR, domain name and URL validators, with Go's
//! `net/netip` parsing rules and error texts.

use super::{
    format_concrete, int_arg, kind_name, list, str_arg, string, Builtin, BuiltinError, Concrete,
};
use std::sync::Arc;

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
    builtin!(P, "MulticastIP", [Any] -> Bool, |a| ip_test(a, Ip::is_multicast)),
    builtin!(P, "InterfaceLocalMulticastIP", [Any] -> Bool, |a| {
        ip_test(a, |ip| matches!(ip, Ip::V6(b) if b[0] == 0xff && b[1] & 0x0f == 0x01))
    }),
    builtin!(P, "LinkLocalMulticastIP", [Any] -> Bool, |a| ip_test(a, |ip| match ip.unmap() {
        Ip::V4(b) => b[..3] == [224, 0, 0],
        Ip::V6(b) => b[0] == 0xff && b[1] & 0x0f == 0x02,
    })),
    builtin!(P, "LinkLocalUnicastIP", [Any] -> Bool, |a| ip_test(a, Ip::is_link_local_unicast)),
    builtin!(P, "GlobalUnicastIP", [Any] -> Bool, |a| ip_test(a, |ip| {
        let ip = ip.unmap();
        if ip == Ip::V4([0; 4]) || ip == Ip::V4([255; 4]) || ip == Ip::V6([0; 16]) {
            return false;
        }
        !ip.is_loopback() && !ip.is_multicast() && !ip.is_link_local_unicast()
    })),
    builtin!(P, "UnspecifiedIP", [Any] -> Bool, |a| {
        ip_test(a, |ip| ip == Ip::V4([0; 4]) || ip == Ip::V6([0; 16]))
    }),
    builtin!(P, "ParseIP", [String] -> List, |a| {
        let text = str_arg(a, 0)?;
        match parse_addr(text) {
            Ok(Ip::V4(b)) => Ok(byte_list(&b)),
            Ok(Ip::V6(b)) => Ok(byte_list(&b)),
            Err(_) => Err(BuiltinError::new(format!(
                "invalid IP address {}",
                super::quote_string(text)
            ))),
        }
    }),
    builtin!(P, "IPString", [Any] -> String, |a| Ok(string(some_ip(a, 0)?.to_string()))),
    builtin!(P, "CompareIP", [Any, Any] -> Int, |a| {
        let (x, y) = (some_ip(a, 0)?, some_ip(a, 1)?);
        Ok(Concrete::Int(x.cmp(&y) as i128))
    }),
    builtin!(P, "InCIDR", [Any, Any] -> Bool, |a| {
        let ip = some_ip(a, 0)?;
        let (network, bits) = prefix_arg(a, 1)?;
        Ok(Concrete::Bool(network.contains(bits, ip)))
    }),
    builtin!(P, "ParseCIDR", [String] -> Struct, |a| parse_cidr(str_arg(a, 0)?)),
    builtin!(P, "AddIP", [Any, Int] -> String, |a| {
        let offset = int_arg(a, 1)?;
        if let Ok((ip, bits)) = prefix_arg(a, 0) {
            return Ok(string(format!("{}/{bits}", ip.add(offset)?)));
        }
        Ok(string(some_ip(a, 0)?.add(offset)?.to_string()))
    }),
    builtin!(P, "AddIPCIDR", [Any, Int] -> String, |a| {
        let (ip, bits) = prefix_arg(a, 0)?;
        let shift = u32::from(ip.bit_len() - bits);
        let offset = int_arg(a, 1)?;
        // A shift past 128 bits (or one that loses bits) is out of range either way.
        let shifted = offset
            .checked_shl(shift)
            .filter(|s| s >> shift == offset)
            .ok_or_else(|| arithmetic_error(offset < 0))?;
        Ok(string(format!("{}/{bits}", ip.add(shifted)?)))
    }),
    builtin!(P, "SplitHostPort", [String] -> List, |a| {
        let (host, port) = split_host_port(str_arg(a, 0)?).map_err(BuiltinError::new)?;
        Ok(list(vec![string(host), string(port)]))
    }),
    builtin!(P, "JoinHostPort", [Any, Any] -> String, join_host_port),
    builtin!(P, "PathEscape", [String] -> String, |a| Ok(string(escape(str_arg(a, 0)?, false)))),
    builtin!(P, "PathUnescape", [String] -> String, |a| {
        unescape(str_arg(a, 0)?, false).map(string)
    }),
    builtin!(P, "QueryEscape", [String] -> String, |a| Ok(string(escape(str_arg(a, 0)?, true)))),
    builtin!(P, "QueryUnescape", [String] -> String, |a| {
        unescape(str_arg(a, 0)?, true).map(string)
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
/// Addresses order as Go's `netip.Addr.Compare`: every IPv4 address before every IPv6 one,
/// then by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

    fn bit_len(self) -> u8 {
        match self {
            Ip::V4(_) => 32,
            Ip::V6(_) => 128,
        }
    }

    fn to_bits(self) -> u128 {
        match self {
            Ip::V4(b) => u128::from(u32::from_be_bytes(b)),
            Ip::V6(b) => u128::from_be_bytes(b),
        }
    }

    /// An address of the same family from its numeric value (which must fit).
    fn with_bits(self, value: u128) -> Ip {
        match self {
            Ip::V4(_) => Ip::V4((value as u32).to_be_bytes()),
            Ip::V6(_) => Ip::V6(value.to_be_bytes()),
        }
    }

    /// An IPv4-mapped IPv6 address as the IPv4 address, as Go's predicates see it.
    fn unmap(self) -> Ip {
        match self.to_v4() {
            Some(v4) => Ip::V4(v4),
            None => self,
        }
    }

    fn is_multicast(self) -> bool {
        match self.unmap() {
            Ip::V4(b) => b[0] & 0xf0 == 0xe0,
            Ip::V6(b) => b[0] == 0xff,
        }
    }

    fn is_link_local_unicast(self) -> bool {
        match self.unmap() {
            Ip::V4(b) => b[0] == 169 && b[1] == 254,
            Ip::V6(b) => b[0] == 0xfe && b[1] & 0xc0 == 0x80,
        }
    }

    /// The address `offset` further on, in the same family.
    fn add(self, offset: i128) -> Result<Ip, BuiltinError> {
        let value = self.to_bits();
        let sum = if offset >= 0 {
            value.checked_add(offset.unsigned_abs())
        } else {
            value.checked_sub(offset.unsigned_abs())
        };
        let limit = if self.bit_len() == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        match sum {
            Some(sum) if sum <= limit => Ok(self.with_bits(sum)),
            _ => Err(arithmetic_error(offset < 0)),
        }
    }

    /// Whether `ip` is in the network of `self`'s first `bits` bits (same family only).
    fn contains(self, bits: u8, ip: Ip) -> bool {
        if self.bit_len() != ip.bit_len() {
            return false;
        }
        let mask = network_mask(self.bit_len(), bits);
        self.to_bits() & mask == ip.to_bits() & mask
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

/// Go's text for an address (`netip.Addr.String`): dotted IPv4; IPv6 in hex groups with
/// the longest run of two or more zero groups written `::`, and IPv4-mapped addresses as
/// `::ffff:1.2.3.4`.
impl std::fmt::Display for Ip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = match self {
            Ip::V4([a, b, c, d]) => return write!(f, "{a}.{b}.{c}.{d}"),
            Ip::V6(bytes) => bytes,
        };
        if let Some([a, b, c, d]) = self.to_v4() {
            return write!(f, "::ffff:{a}.{b}.{c}.{d}");
        }
        let groups: Vec<u16> = bytes
            .chunks(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        // The first longest run of zero groups, if at least two long.
        let (mut best, mut run_start) = ((0, 0), None);
        for (i, &group) in groups.iter().enumerate() {
            match (group, run_start) {
                (0, None) => run_start = Some(i),
                (0, Some(_)) => {}
                (_, Some(start)) => {
                    if i - start > best.1 - best.0 {
                        best = (start, i);
                    }
                    run_start = None;
                }
                (_, None) => {}
            }
        }
        if let Some(start) = run_start {
            if groups.len() - start > best.1 - best.0 {
                best = (start, groups.len());
            }
        }
        if best.1 - best.0 < 2 {
            best = (usize::MAX, usize::MAX);
        }
        let mut i = 0;
        while i < groups.len() {
            if i == best.0 {
                f.write_str("::")?;
                i = best.1;
                continue;
            }
            if i > 0 && i != best.1 {
                f.write_str(":")?;
            }
            write!(f, "{:x}", groups[i])?;
            i += 1;
        }
        Ok(())
    }
}

/// The mask of the first `bits` of an address of `bit_len` bits, as a number.
fn network_mask(bit_len: u8, bits: u8) -> u128 {
    let host_bits = u32::from(bit_len - bits);
    let all = if bit_len == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    all.checked_shr(host_bits).map_or(0, |m| m << host_bits) & all
}

fn arithmetic_error(underflow: bool) -> BuiltinError {
    BuiltinError::new(format!(
        "IP address arithmetic resulted in out-of-range address ({})",
        if underflow { "underflow" } else { "overflow" }
    ))
}

/// Runs an address predicate on the first argument.
fn ip_test(args: &[Concrete], test: fn(Ip) -> bool) -> Result<Concrete, BuiltinError> {
    Ok(Concrete::Bool(ip_arg(args)?.is_some_and(test)))
}

/// The address at `index`, which must be one (a list of the wrong length is an error here).
fn some_ip(args: &[Concrete], index: usize) -> Result<Ip, BuiltinError> {
    match ip_arg(args.get(index..).unwrap_or_default())? {
        Some(ip) => Ok(ip),
        None => Err(BuiltinError::new(format!(
            "invalid IP address {}",
            args.get(index).map(format_concrete).unwrap_or_default()
        ))),
    }
}

/// The CIDR prefix at `index` (a string or bytes), as Go's `netGetIPCIDR`.
fn prefix_arg(args: &[Concrete], index: usize) -> Result<(Ip, u8), BuiltinError> {
    let text = match args.get(index) {
        Some(Concrete::String(s)) => s.to_string(),
        Some(Concrete::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(other) => {
            return Err(BuiltinError::new(format!(
                "invalid type {} for IP CIDR",
                kind_name(other)
            )))
        }
        None => return Err(BuiltinError::new("missing argument")),
    };
    parse_prefix(&text).map_err(BuiltinError::new)
}

/// `net.ParseCIDR`: the mask, length and network address of a prefix, and for IPv4 its
/// broadcast address.
fn parse_cidr(text: &str) -> Result<Concrete, BuiltinError> {
    let (ip, bits) = parse_prefix(text).map_err(BuiltinError::new)?;
    let mask = network_mask(ip.bit_len(), bits);
    let network = ip.with_bits(ip.to_bits() & mask);
    let mut fields: Vec<(Arc<str>, Concrete)> = vec![
        ("prefix_mask".into(), string(ip.with_bits(mask).to_string())),
        ("prefix_len".into(), Concrete::Int(bits.into())),
        ("prefix_addr".into(), string(network.to_string())),
    ];
    if let Ip::V4(_) = ip {
        let all = u128::from(u32::MAX);
        let broadcast = ip.with_bits(network.to_bits() | (!mask & all));
        fields.push(("broadcast_addr".into(), string(broadcast.to_string())));
    }
    Ok(Concrete::Struct(fields.into()))
}

/// Go's `net.SplitHostPort`, with its error texts.
fn split_host_port(hostport: &str) -> Result<(&str, &str), String> {
    let error = |message: &str| format!("address {hostport}: {message}");
    let Some(last_colon) = hostport.rfind(':') else {
        return Err(error("missing port in address"));
    };
    let (host, host_start, host_end);
    if hostport.starts_with('[') {
        let Some(end) = hostport.find(']') else {
            return Err(error("missing ']' in address"));
        };
        if end + 1 == hostport.len() {
            return Err(error("missing port in address"));
        }
        if end + 1 != last_colon {
            return Err(if hostport.as_bytes()[end + 1] == b':' {
                error("too many colons in address")
            } else {
                error("missing port in address")
            });
        }
        host = &hostport[1..end];
        (host_start, host_end) = (1, end + 1);
    } else {
        host = &hostport[..last_colon];
        if host.contains(':') {
            return Err(error("too many colons in address"));
        }
        (host_start, host_end) = (0, 0);
    }
    if hostport[host_start..].contains('[') {
        return Err(error("unexpected '[' in address"));
    }
    if hostport[host_end..].contains(']') {
        return Err(error("unexpected ']' in address"));
    }
    Ok((host, &hostport[last_colon + 1..]))
}

/// `net.JoinHostPort`: the host a string, bytes or address bytes; the port a string, bytes
/// or int. A host with a colon is bracketed.
fn join_host_port(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let text = |value: Option<&Concrete>| match value {
        Some(Concrete::String(s)) => Some(s.to_string()),
        Some(Concrete::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    };
    let host = match args.first() {
        Some(value @ Concrete::List(_)) => match ip_arg(args)? {
            Some(ip) => ip.to_string(),
            None => {
                return Err(BuiltinError::new(format!(
                    "invalid host {}",
                    super::format_concrete(value).replace(',', ", ")
                )))
            }
        },
        other => text(other).ok_or_else(|| super::wrong_kind(args, 0, "string"))?,
    };
    let port = match args.get(1) {
        Some(Concrete::Int(i)) => i.to_string(),
        other => text(other).ok_or_else(|| super::wrong_kind(args, 1, "string or int"))?,
    };
    if host.contains(':') {
        Ok(string(format!("[{host}]:{port}")))
    } else {
        Ok(string(format!("{host}:{port}")))
    }
}

/// Go's `url.PathEscape` (`query` false: a path segment, keeping `$&+:=@`) and
/// `url.QueryEscape` (`query` true: a space becomes `+`): other bytes but letters, digits and
/// `-_.~` become `%XX`.
fn escape(s: &str, query: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (!query && matches!(b, b'$' | b'&' | b'+' | b':' | b'=' | b'@'));
        if keep {
            out.push(b as char);
        } else if query && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `url.PathUnescape` and `url.QueryUnescape` (which also reads `+` as a space).
fn unescape(s: &str, query: bool) -> Result<String, BuiltinError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(value) = hex.filter(|_| bytes[i + 1].is_ascii_hexdigit()) else {
                    let end = (i + 3).min(bytes.len());
                    return Err(BuiltinError::new(format!(
                        "invalid URL escape {}",
                        super::quote_string(&String::from_utf8_lossy(&bytes[i..end]))
                    )));
                };
                out.push(value);
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
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

    #[test]
    fn addresses_print_compare_and_add_as_go_does() {
        let text = |ip: &str| parse_addr(ip).expect(ip).to_string();
        assert_eq!(text("2001:0db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(text("0:0:0:0:0:0:0:0"), "::");
        assert_eq!(text("1:0:2:0:3:0:4:0"), "1:0:2:0:3:0:4:0");
        assert_eq!(text("::ffff:127.0.0.1"), "::ffff:127.0.0.1");
        assert_eq!(text("fe80::"), "fe80::");
        check(
            P,
            "CompareIP",
            &[
                (vec![s("10.0.0.1"), s("192.168.0.1")], Ok(i(-1))),
                (vec![s("2001:db8::1"), s("192.168.1.1")], Ok(i(1))),
                (
                    vec![l(vec![i(10), i(0), i(0), i(1)]), s("10.0.0.1")],
                    Ok(i(0)),
                ),
                (
                    vec![s("invalid"), s("1.2.3.4")],
                    Err(r#"ParseAddr("invalid"): unable to parse IP"#),
                ),
            ],
        );
        check(
            P,
            "AddIP",
            &[
                (vec![s("127.0.0.1/8"), i(2)], Ok(s("127.0.0.3/8"))),
                (vec![s("::ffff:127.0.0.1"), i(1)], Ok(s("::ffff:127.0.0.2"))),
                (
                    vec![s("0.0.0.0"), i(-1)],
                    Err("IP address arithmetic resulted in out-of-range address (underflow)"),
                ),
                (
                    vec![s("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), i(1)],
                    Err("IP address arithmetic resulted in out-of-range address (overflow)"),
                ),
            ],
        );
        check(
            P,
            "AddIPCIDR",
            &[
                (vec![s("192.168.0.0/23"), i(1)], Ok(s("192.168.2.0/23"))),
                (
                    vec![s("::/0"), i(1)],
                    Err("IP address arithmetic resulted in out-of-range address (overflow)"),
                ),
                (
                    vec![s("10.0.0.0/8"), i(-11)],
                    Err("IP address arithmetic resulted in out-of-range address (underflow)"),
                ),
                (vec![i(1), i(1)], Err("invalid type int for IP CIDR")),
            ],
        );
    }

    #[test]
    fn cidr_membership_and_parts() {
        check(
            P,
            "InCIDR",
            &[
                (vec![s("192.168.1.255"), s("192.168.1.0/24")], Ok(b(true))),
                (vec![s("192.168.2.0"), s("192.168.1.0/24")], Ok(b(false))),
                (vec![s("255.255.255.255"), s("0.0.0.0/0")], Ok(b(true))),
                (vec![s("::1"), s("0.0.0.0/0")], Ok(b(false))),
                (
                    vec![s("1.2.3.4"), s("1.2.3.4")],
                    Err(r#"netip.ParsePrefix("1.2.3.4"): no '/'"#),
                ),
            ],
        );
        check(
            P,
            "ParseCIDR",
            &[
                (
                    vec![s("192.168.1.130/25")],
                    Ok(st(vec![
                        ("prefix_mask", s("255.255.255.128")),
                        ("prefix_len", i(25)),
                        ("prefix_addr", s("192.168.1.128")),
                        ("broadcast_addr", s("192.168.1.255")),
                    ])),
                ),
                (
                    vec![s("fe80::1/10")],
                    Ok(st(vec![
                        ("prefix_mask", s("ffc0::")),
                        ("prefix_len", i(10)),
                        ("prefix_addr", s("fe80::")),
                    ])),
                ),
            ],
        );
        check(
            P,
            "MulticastIP",
            &[
                (vec![s("224.0.0.1")], Ok(b(true))),
                (vec![s("10.0.0.1")], Ok(b(false))),
            ],
        );
        check(
            P,
            "GlobalUnicastIP",
            &[
                (vec![s("8.8.8.8")], Ok(b(true))),
                (vec![s("169.254.0.1")], Ok(b(false))),
                (vec![s("255.255.255.255")], Ok(b(false))),
            ],
        );
        check(P, "UnspecifiedIP", &[(vec![s("::")], Ok(b(true)))]);
        check(
            P,
            "IPString",
            &[(vec![l(vec![i(1), i(2), i(3), i(4)])], Ok(s("1.2.3.4")))],
        );
        check(
            P,
            "ParseIP",
            &[
                (vec![s("1.2.3.4")], Ok(l(vec![i(1), i(2), i(3), i(4)]))),
                (vec![s("x")], Err(r#"invalid IP address "x""#)),
            ],
        );
    }

    #[test]
    fn hosts_ports_and_escaping() {
        check(
            P,
            "SplitHostPort",
            &[
                (vec![s("[::%lo0]:80")], Ok(l(vec![s("::%lo0"), s("80")]))),
                (vec![s("host:http")], Ok(l(vec![s("host"), s("http")]))),
                (
                    vec![s("host")],
                    Err("address host: missing port in address"),
                ),
                (
                    vec![s("a:b:c")],
                    Err("address a:b:c: too many colons in address"),
                ),
                (
                    vec![s("[::1]x:1")],
                    Err("address [::1]x:1: missing port in address"),
                ),
                (vec![s("[::1")], Err("address [::1: missing ']' in address")),
            ],
        );
        check(
            P,
            "JoinHostPort",
            &[
                (vec![s("2001:db8::1"), i(80)], Ok(s("[2001:db8::1]:80"))),
                (
                    vec![l(vec![i(192), i(30), i(4), i(2)]), s("80")],
                    Ok(s("192.30.4.2:80")),
                ),
                (
                    vec![l(vec![i(192), i(30), i(4)]), i(80)],
                    Err("invalid host [192, 30, 4]"),
                ),
            ],
        );
        check(P, "PathEscape", &[(vec![s("a b/c$")], Ok(s("a%20b%2Fc$")))]);
        check(P, "QueryEscape", &[(vec![s("a b&c")], Ok(s("a+b%26c")))]);
        check(
            P,
            "PathUnescape",
            &[
                (vec![s("a%2Fb+c")], Ok(s("a/b+c"))),
                (vec![s("a%zz")], Err(r#"invalid URL escape "%zz""#)),
                (vec![s("a%2")], Err(r#"invalid URL escape "%2""#)),
            ],
        );
        check(P, "QueryUnescape", &[(vec![s("a+b%26c")], Ok(s("a b&c")))]);
    }
}
