//! The `path` package: Go's `path/filepath` for a named operating system rather than the host's.
//! `unix` (and every Unix-like name Go knows) uses `/` and `:`, `plan9` uses `/` and NUL and
//! reads `#` as a root, `windows` accepts `\` and `/`, knows volume names (`c:`, `\\host\share`)
//! and compares names without regard to case. Paths are handled as bytes, as in Go; every cut
//! falls on an ASCII separator, so results stay valid UTF-8.

use super::{list, str_arg, string, string_list_arg, Builtin, BuiltinError, Concrete};

const P: &str = "path";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Split", [String; String] -> List, |a| {
        let (path, os) = (str_arg(a, 0)?, os_arg(a, 1, true)?);
        let (dir, file) = split(path, os);
        Ok(list(vec![string(dir), string(file)]))
    }),
    builtin!(P, "SplitList", [String, String] -> List, |a| {
        let (path, os) = (str_arg(a, 0)?, os_arg(a, 1, false)?);
        Ok(list(split_list(path, os).into_iter().map(string).collect()))
    }),
    builtin!(P, "Join", [List; String] -> String, |a| {
        let (elements, os) = (string_list_arg(a, 0)?, os_arg(a, 1, true)?);
        Ok(string(join(&elements, os)))
    }),
    builtin!(P, "Match", [String, String; String] -> Bool, |a| {
        let (pattern, name, os) = (str_arg(a, 0)?, str_arg(a, 1)?, os_arg(a, 2, true)?);
        Ok(Concrete::Bool(matches(pattern.as_bytes(), name.as_bytes(), os)?))
    }),
    builtin!(P, "Clean", [String; String] -> String, |a| {
        Ok(string(clean(str_arg(a, 0)?, os_arg(a, 1, true)?)))
    }),
    builtin!(P, "ToSlash", [String, String] -> String, |a| {
        let (path, os) = (str_arg(a, 0)?, os_arg(a, 1, false)?);
        Ok(string(path.replace(os.separator() as char, "/")))
    }),
    builtin!(P, "FromSlash", [String, String] -> String, |a| {
        let (path, os) = (str_arg(a, 0)?, os_arg(a, 1, false)?);
        Ok(string(from_slash(path, os)))
    }),
    builtin!(P, "Ext", [String; String] -> String, |a| {
        let (path, os) = (str_arg(a, 0)?, os_arg(a, 1, true)?);
        Ok(string(ext(path, os)))
    }),
    builtin!(P, "Resolve", [String, String; String] -> String, |a| {
        let (dir, sub, os) = (str_arg(a, 0)?, str_arg(a, 1)?, os_arg(a, 2, true)?);
        Ok(string(resolve(dir, sub, os)))
    }),
    builtin!(P, "Rel", [String, String; String] -> String, |a| {
        let (base, target, os) = (str_arg(a, 0)?, str_arg(a, 1)?, os_arg(a, 2, true)?);
        Ok(string(rel(base, target, os)?))
    }),
    builtin!(P, "Base", [String; String] -> String, |a| {
        Ok(string(base(str_arg(a, 0)?, os_arg(a, 1, true)?)))
    }),
    builtin!(P, "Dir", [String; String] -> String, |a| {
        Ok(string(dir(str_arg(a, 0)?, os_arg(a, 1, true)?)))
    }),
    builtin!(P, "IsAbs", [String; String] -> Bool, |a| {
        let (path, os) = (str_arg(a, 0)?, os_arg(a, 1, true)?);
        Ok(Concrete::Bool(is_abs(path, os)))
    }),
    builtin!(P, "VolumeName", [String; String] -> String, |a| {
        let path = str_arg(a, 0)?;
        // Unlike the others, `VolumeName` defaults to Windows: elsewhere it is always "".
        let os = if a.len() > 1 { os_arg(a, 1, false)? } else { Os::Windows };
        Ok(string(&path[..volume_name_len(path.as_bytes(), os)]))
    }),
];

/// The package's constants: the names of the three kinds of system.
pub(super) fn constant(name: &str) -> Option<Concrete> {
    match name {
        "Unix" => Some(string("unix")),
        "Windows" => Some(string("windows")),
        "Plan9" => Some(string("plan9")),
        _ => None,
    }
}

/// Every name the `os` argument accepts, in the order CUE lists them (`unix` is the default).
const OS_NAMES: &[&str] = &[
    "unix",
    "windows",
    "plan9",
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "solaris",
    "zos",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Unix,
    Windows,
    Plan9,
}

impl Os {
    fn separator(self) -> u8 {
        match self {
            Os::Windows => b'\\',
            Os::Unix | Os::Plan9 => b'/',
        }
    }

    fn is_separator(self, b: u8) -> bool {
        match self {
            Os::Windows => b == b'\\' || b == b'/',
            Os::Unix | Os::Plan9 => b == b'/',
        }
    }

    fn same_word(self, a: &str, b: &str) -> bool {
        match self {
            Os::Windows => a.to_lowercase() == b.to_lowercase(),
            Os::Unix | Os::Plan9 => a == b,
        }
    }
}

/// The `os` argument at `index`; when it may be left out (`defaulted`), a missing one is Unix.
fn os_arg(args: &[Concrete], index: usize, defaulted: bool) -> Result<Os, BuiltinError> {
    if defaulted && args.len() <= index {
        return Ok(Os::Unix);
    }
    let name = str_arg(args, index)?;
    match name {
        "windows" => Ok(Os::Windows),
        "plan9" => Ok(Os::Plan9),
        _ if OS_NAMES.contains(&name) => Ok(Os::Unix),
        _ => {
            let mut choices: Vec<String> = OS_NAMES.iter().map(|n| format!("{n:?}")).collect();
            if defaulted {
                choices[0].insert(0, '*');
            }
            Err(BuiltinError::new(format!(
                "cannot use {name:?} as {} in argument {}",
                choices.join(" | "),
                index + 1
            )))
        }
    }
}

/// The length of the volume name at the start of `path`: `c:` or a UNC `\\host\share` on
/// Windows, nothing elsewhere.
fn volume_name_len(path: &[u8], os: Os) -> usize {
    if os != Os::Windows || path.len() < 2 {
        return 0;
    }
    if path[1] == b':' && path[0].is_ascii_alphabetic() {
        return 2;
    }
    let slash = |b: u8| os.is_separator(b);
    let n = path.len();
    // `\\host\share`: two separators, a host name (not starting with `.`), a separator and a
    // share name up to the next separator.
    if n >= 5 && slash(path[0]) && slash(path[1]) && !slash(path[2]) && path[2] != b'.' {
        let mut i = 3;
        while i < n - 1 {
            if slash(path[i]) {
                i += 1;
                if slash(path[i]) || path[i] == b'.' {
                    return 0;
                }
                while i < n && !slash(path[i]) {
                    i += 1;
                }
                return i;
            }
            i += 1;
        }
    }
    0
}

fn is_unc(path: &str) -> bool {
    volume_name_len(path.as_bytes(), Os::Windows) > 2
}

fn is_abs(path: &str, os: Os) -> bool {
    match os {
        Os::Unix => path.starts_with('/'),
        Os::Plan9 => path.starts_with('/') || path.starts_with('#'),
        Os::Windows => {
            const RESERVED: &[&str] = &[
                "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
                "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8",
                "LPT9",
            ];
            if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(path)) {
                return true;
            }
            let volume = volume_name_len(path.as_bytes(), os);
            volume > 0
                && path
                    .as_bytes()
                    .get(volume)
                    .is_some_and(|&b| os.is_separator(b))
        }
    }
}

fn from_slash(path: &str, os: Os) -> String {
    match os {
        Os::Windows => path.replace('/', "\\"),
        Os::Unix | Os::Plan9 => path.to_string(),
    }
}

/// The shortest path naming the same file by lexical processing alone: separators collapsed,
/// `.` elements dropped, `..` elements cancelling the element before them (and dropped right
/// after a root), `.` for an empty result.
fn clean(path: &str, os: Os) -> String {
    let volume_len = volume_name_len(path.as_bytes(), os);
    let (volume, rest) = path.split_at(volume_len);
    if rest.is_empty() {
        // A bare UNC share keeps its name; a drive letter alone (`c:`) means its current
        // directory.
        if volume_len > 1 && path.as_bytes()[1] != b':' {
            return from_slash(path, os);
        }
        return format!("{path}.");
    }
    let bytes = rest.as_bytes();
    let rooted = os.is_separator(bytes[0]);
    let separator = os.separator();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    // `floor`: the length of `out` below which `..` may not back up (after a root or after
    // leading `..` elements of a relative path).
    let mut floor = 0;
    let mut r = 0;
    if rooted {
        out.push(separator);
        r = 1;
        floor = 1;
    }
    let n = bytes.len();
    let ends_element = |i: usize| i == n || os.is_separator(bytes[i]);
    while r < n {
        if os.is_separator(bytes[r]) || (bytes[r] == b'.' && ends_element(r + 1)) {
            r += 1;
        } else if bytes[r] == b'.' && bytes.get(r + 1) == Some(&b'.') && ends_element(r + 2) {
            r += 2;
            if out.len() > floor {
                // Back up to the separator before the last element (dropping it too).
                let mut w = out.len() - 1;
                while w > floor && !os.is_separator(out[w]) {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                if !out.is_empty() {
                    out.push(separator);
                }
                out.extend_from_slice(b"..");
                floor = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(separator);
            }
            while r < n && !os.is_separator(bytes[r]) {
                out.push(bytes[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        out.push(b'.');
    }
    let cleaned = String::from_utf8_lossy(&out);
    from_slash(&format!("{volume}{cleaned}"), os)
}

/// `path` cut after its last separator: directory (with the separator) and file name.
fn split(path: &str, os: Os) -> (&str, &str) {
    let volume = volume_name_len(path.as_bytes(), os);
    let cut = path.as_bytes()[volume..]
        .iter()
        .rposition(|&b| os.is_separator(b))
        .map_or(volume, |i| volume + i + 1);
    path.split_at(cut)
}

fn split_list(path: &str, os: Os) -> Vec<String> {
    if path.is_empty() {
        return Vec::new();
    }
    match os {
        Os::Unix => path.split(':').map(str::to_string).collect(),
        Os::Plan9 => path.split('\0').map(str::to_string).collect(),
        Os::Windows => {
            // `;` separates, except inside double quotes, which are then removed.
            let mut out = Vec::new();
            let mut current = String::new();
            let mut quoted = false;
            for c in path.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ';' if !quoted => out.push(std::mem::take(&mut current)),
                    c => current.push(c),
                }
            }
            out.push(current);
            out
        }
    }
}

fn join(elements: &[&str], os: Os) -> String {
    let Some(first) = elements.iter().position(|e| !e.is_empty()) else {
        return String::new();
    };
    let elements = &elements[first..];
    let separator = (os.separator() as char).to_string();
    if os != Os::Windows {
        return clean(&elements.join(&separator), os);
    }
    // A drive letter alone is not followed by a separator: `c:` and `a` give `c:a`.
    if elements[0].len() == 2 && elements[0].as_bytes()[1] == b':' {
        let rest: Vec<&str> = elements[1..]
            .iter()
            .copied()
            .skip_while(|e| e.is_empty())
            .collect();
        return clean(&format!("{}{}", elements[0], rest.join(&separator)), os);
    }
    let joined = clean(&elements.join(&separator), os);
    if !is_unc(&joined) {
        return joined;
    }
    // Joining must not make a UNC name out of elements that were not one.
    let head = clean(elements[0], os);
    if is_unc(&head) {
        return joined;
    }
    let tail = clean(&elements[1..].join(&separator), os);
    if head.ends_with('\\') {
        format!("{head}{tail}")
    } else {
        format!("{head}\\{tail}")
    }
}

fn ext(path: &str, os: Os) -> &str {
    for (i, &b) in path.as_bytes().iter().enumerate().rev() {
        if os.is_separator(b) {
            break;
        }
        if b == b'.' {
            return &path[i..];
        }
    }
    ""
}

fn resolve(dir: &str, sub: &str, os: Os) -> String {
    if is_abs(sub, os) {
        return clean(sub, os);
    }
    join(&[&clean(dir, os), sub], os)
}

fn rel(base_path: &str, target_path: &str, os: Os) -> Result<String, BuiltinError> {
    let base_volume = &base_path[..volume_name_len(base_path.as_bytes(), os)];
    let target_volume = &target_path[..volume_name_len(target_path.as_bytes(), os)];
    let base = clean(base_path, os);
    let target = clean(target_path, os);
    if os.same_word(&target, &base) {
        return Ok(".".to_string());
    }
    let mut base = &base[base_volume.len()..];
    let target = &target[target_volume.len()..];
    if base == "." {
        base = "";
    }
    let separator = os.separator();
    let cannot = || {
        BuiltinError::new(format!(
            "Rel: can't make {target_path} relative to {base_path}"
        ))
    };
    let base_rooted = base.as_bytes().first() == Some(&separator);
    let target_rooted = target.as_bytes().first() == Some(&separator);
    if base_rooted != target_rooted || !os.same_word(base_volume, target_volume) {
        return Err(cannot());
    }
    // Walk both paths element by element while they agree.
    let (b, t) = (base.as_bytes(), target.as_bytes());
    let (mut b0, mut bi, mut t0, mut ti) = (0, 0, 0, 0);
    loop {
        while bi < b.len() && b[bi] != separator {
            bi += 1;
        }
        while ti < t.len() && t[ti] != separator {
            ti += 1;
        }
        if !os.same_word(&target[t0..ti], &base[b0..bi]) {
            break;
        }
        if bi < b.len() {
            bi += 1;
        }
        if ti < t.len() {
            ti += 1;
        }
        b0 = bi;
        t0 = ti;
    }
    if &base[b0..bi] == ".." {
        return Err(cannot());
    }
    if b0 == b.len() {
        return Ok(target[t0..].to_string());
    }
    // One `..` per remaining element of the base, then the rest of the target.
    let ups = base[b0..].bytes().filter(|&c| c == separator).count() + 1;
    let sep = (separator as char).to_string();
    let mut out = vec![".."; ups].join(&sep);
    if t0 != t.len() {
        out.push_str(&sep);
        out.push_str(&target[t0..]);
    }
    Ok(out)
}

fn base(path: &str, os: Os) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let trimmed = path.trim_end_matches(|c: char| c.is_ascii() && os.is_separator(c as u8));
    let trimmed = &trimmed[volume_name_len(trimmed.as_bytes(), os)..];
    let name = match trimmed.bytes().rposition(|b| os.is_separator(b)) {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    if name.is_empty() {
        return (os.separator() as char).to_string();
    }
    name.to_string()
}

fn dir(path: &str, os: Os) -> String {
    let volume_len = volume_name_len(path.as_bytes(), os);
    let volume = &path[..volume_len];
    let cut = path.as_bytes()[volume_len..]
        .iter()
        .rposition(|&b| os.is_separator(b))
        .map_or(volume_len, |i| volume_len + i + 1);
    let dir = clean(&path[volume_len..cut], os);
    if dir == "." && volume_len > 2 {
        return volume.to_string();
    }
    format!("{volume}{dir}")
}

/// Shell pattern matching, as Go's `filepath.Match`: `*` any run of non-separators, `?` one
/// non-separator character, `[...]` a class (`^` negates, `a-z` ranges), `\` escapes except on
/// Windows, where it is a separator.
fn matches(mut pattern: &[u8], mut name: &[u8], os: Os) -> Result<bool, BuiltinError> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern, os)?;
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing `*` matches the rest unless it holds a separator.
            return Ok(!name.contains(&os.separator()));
        }
        if let Some(rest) = match_chunk(chunk, name, os)? {
            if rest.is_empty() || !pattern.is_empty() {
                name = rest;
                continue;
            }
        }
        if star {
            // Let the star take one more character each time, never a separator.
            let mut i = 0;
            while i < name.len() && name[i] != os.separator() {
                if let Some(rest) = match_chunk(chunk, &name[i + 1..], os)? {
                    if !pattern.is_empty() || rest.is_empty() {
                        name = rest;
                        continue 'pattern;
                    }
                }
                i += 1;
            }
        }
        // No match; the rest of the pattern must still be well formed.
        while !pattern.is_empty() {
            pattern = scan_chunk(pattern, os)?.2;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn bad_pattern() -> BuiltinError {
    BuiltinError::new("syntax error in pattern")
}

/// The next chunk of `pattern`: whether it starts with `*`, the text up to the next `*`
/// outside a class, and what follows.
fn scan_chunk(pattern: &[u8], os: Os) -> Result<(bool, &[u8], &[u8]), BuiltinError> {
    let mut pattern = pattern;
    let mut star = false;
    if pattern.first() == Some(&b'*') {
        pattern = &pattern[1..];
        star = true;
        if pattern.first() == Some(&b'*') {
            return Err(BuiltinError::new(
                "'**' is not supported in patterns as of yet",
            ));
        }
    }
    let mut in_class = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if os != Os::Windows && i + 1 < pattern.len() => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    Ok((star, &pattern[..i], &pattern[i..]))
}

/// Matches `chunk` (no `*`) at the start of `name`: `Ok(Some(rest))` on a match, `Ok(None)` on
/// none, an error for a malformed chunk.
fn match_chunk<'n>(
    mut chunk: &[u8],
    mut name: &'n [u8],
    os: Os,
) -> Result<Option<&'n [u8]>, BuiltinError> {
    // Once failed, the rest of the chunk is still read to report a malformed pattern.
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && name.is_empty() {
            failed = true;
        }
        match chunk[0] {
            b'[' => {
                let mut c = None;
                if !failed {
                    let (decoded, width) = decode_rune(name);
                    c = Some(decoded);
                    name = &name[width..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = class_char(chunk, os)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = class_char(&chunk[1..], os)?;
                        hi = h;
                        chunk = rest;
                    }
                    if c.is_some_and(|c| lo <= c && c <= hi) {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if name[0] == os.separator() {
                        failed = true;
                    }
                    name = &name[decode_rune(name).1..];
                }
                chunk = &chunk[1..];
            }
            first => {
                let mut literal = first;
                if first == b'\\' && os != Os::Windows {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        Some(&escaped) => literal = escaped,
                        None => return Err(bad_pattern()),
                    }
                }
                if !failed {
                    if literal != name[0] {
                        failed = true;
                    }
                    name = &name[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok((!failed).then_some(name))
}

/// One character of a class, possibly escaped, and the rest of the chunk (which may not end
/// there: a class needs its `]`).
fn class_char(chunk: &[u8], os: Os) -> Result<(u32, &[u8]), BuiltinError> {
    let mut chunk = chunk;
    match chunk.first() {
        None | Some(b'-' | b']') => return Err(bad_pattern()),
        Some(b'\\') if os != Os::Windows => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(bad_pattern());
            }
        }
        _ => {}
    }
    let (c, width) = decode_rune(chunk);
    if c == u32::from(char::REPLACEMENT_CHARACTER) && width == 1 {
        return Err(bad_pattern());
    }
    let rest = &chunk[width..];
    if rest.is_empty() {
        return Err(bad_pattern());
    }
    Ok((c, rest))
}

/// The first UTF-8 character of `bytes` and its width; an invalid byte is U+FFFD of width 1.
fn decode_rune(bytes: &[u8]) -> (u32, usize) {
    let end = bytes.len().min(4);
    for width in 1..=end {
        if let Ok(s) = std::str::from_utf8(&bytes[..width]) {
            if let Some(c) = s.chars().next() {
                return (u32::from(c), width);
            }
        }
    }
    (u32::from(char::REPLACEMENT_CHARACTER), 1)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn clean_per_system() {
        check(
            "path",
            "Clean",
            &[
                (vec![s("abc//def//ghi")], Ok(s("abc/def/ghi"))),
                (vec![s("/../a/./b/..")], Ok(s("/a"))),
                (vec![s("../../a/../b")], Ok(s("../../b"))),
                (vec![s("")], Ok(s("."))),
                (vec![s(r"c:\abc\def\..\.."), s("windows")], Ok(s(r"c:\"))),
                (
                    vec![s(r"c:\abc\def\..\.."), s("unix")],
                    Ok(s(r"c:\abc\def\..\..")),
                ),
                (vec![s("c:"), s("windows")], Ok(s("c:."))),
                (
                    vec![s(r"\\host\share"), s("windows")],
                    Ok(s(r"\\host\share")),
                ),
                (vec![s("a//b"), s("linux")], Ok(s("a/b"))),
            ],
        );
    }

    #[test]
    fn split_join_and_parts() {
        check(
            "path",
            "Split",
            &[
                (
                    vec![s("/foo/bar/baz")],
                    Ok(l(vec![s("/foo/bar/"), s("baz")])),
                ),
                (
                    vec![s("c:foo"), s("windows")],
                    Ok(l(vec![s("c:"), s("foo")])),
                ),
                (vec![s("a")], Ok(l(vec![s(""), s("a")]))),
            ],
        );
        check(
            "path",
            "Join",
            &[
                (vec![l(vec![s("a"), s("b")])], Ok(s("a/b"))),
                (vec![l(vec![s(""), s("")])], Ok(s(""))),
                (vec![l(vec![s("c:"), s("a")]), s("windows")], Ok(s("c:a"))),
                (vec![l(vec![s("a"), s("b")]), s("windows")], Ok(s(r"a\b"))),
                (
                    vec![l(vec![s("/"), s("host/share")]), s("windows")],
                    Ok(s(r"\host\share")),
                ),
            ],
        );
        check(
            "path",
            "Ext",
            &[
                (vec![s("a.dir/b.go")], Ok(s(".go"))),
                (vec![s("a.dir/")], Ok(s(""))),
            ],
        );
        check(
            "path",
            "Base",
            &[
                (vec![s("/a/b/")], Ok(s("b"))),
                (vec![s("///")], Ok(s("/"))),
                (vec![s("")], Ok(s("."))),
            ],
        );
        check(
            "path",
            "Dir",
            &[
                (vec![s("/a/b")], Ok(s("/a"))),
                (
                    vec![s(r"\\host\share\a"), s("windows")],
                    Ok(s(r"\\host\share\")),
                ),
            ],
        );
        check(
            "path",
            "SplitList",
            &[
                (vec![s("a:b"), s("unix")], Ok(l(vec![s("a"), s("b")]))),
                (
                    vec![s(r#"a;"b;c";d"#), s("windows")],
                    Ok(l(vec![s("a"), s("b;c"), s("d")])),
                ),
                (vec![s(""), s("plan9")], Ok(l(vec![]))),
            ],
        );
    }

    #[test]
    fn absolute_volumes_and_relative_paths() {
        check(
            "path",
            "IsAbs",
            &[
                (vec![s("/a")], Ok(b(true))),
                (vec![s("#a"), s("plan9")], Ok(b(true))),
                (vec![s("c:/"), s("windows")], Ok(b(true))),
                (vec![s("c:"), s("windows")], Ok(b(false))),
                (vec![s("nul"), s("windows")], Ok(b(true))),
            ],
        );
        check(
            "path",
            "VolumeName",
            &[
                (vec![s("c:/foo")], Ok(s("c:"))),
                (vec![s(r"\\host\share\x")], Ok(s(r"\\host\share"))),
                (vec![s(r"\\\host")], Ok(s(""))),
                (vec![s("c:/foo"), s("unix")], Ok(s(""))),
            ],
        );
        check(
            "path",
            "Rel",
            &[
                (vec![s("/a/b"), s("/a/b/c/d")], Ok(s("c/d"))),
                (vec![s("/a/b/c"), s("/a/x")], Ok(s("../../x"))),
                (
                    vec![s("a"), s("/b")],
                    Err("Rel: can't make /b relative to a"),
                ),
                (vec![s(r"C:\A"), s(r"c:\a\b"), s("windows")], Ok(s("b"))),
            ],
        );
        check(
            "path",
            "Resolve",
            &[
                (vec![s("a/b/c"), s("d/e")], Ok(s("a/b/c/d/e"))),
                (vec![s("/a/b"), s("/c/d")], Ok(s("/c/d"))),
            ],
        );
    }

    #[test]
    fn shell_patterns() {
        let rows: &[(&str, &str, Result<bool, &str>)] = &[
            ("*c", "abc", Ok(true)),
            ("*.txt", "a/b.txt", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("[a-c]?", "bz", Ok(true)),
            ("[^a-c]", "b", Ok(false)),
            ("a\\*", "a*", Ok(true)),
            ("[", "a", Err("syntax error in pattern")),
            (
                "a**",
                "a",
                Err("'**' is not supported in patterns as of yet"),
            ),
            ("[x-]", "x", Err("syntax error in pattern")),
        ];
        for (pattern, name, want) in rows {
            let want = want.map(b);
            check("path", "Match", &[(vec![s(pattern), s(name)], want)]);
        }
    }

    #[test]
    fn unknown_systems_are_named_in_the_error() {
        let error = call("path", "Join", &[l(vec![s("a")]), s("foo")]).expect_err("bad os");
        assert!(
            error.starts_with(r#"cannot use "foo" as *"unix" | "windows""#),
            "{error}"
        );
        assert!(error.ends_with("in argument 2"), "{error}");
        let error = call("path", "ToSlash", &[s("a"), s("beos")]).expect_err("bad os");
        assert!(
            error.starts_with(r#"cannot use "beos" as "unix""#),
            "{error}"
        );
    }
}
