//! A direct matcher for the shape most validation patterns have: anchored at the start, then a
//! sequence of characters or classes, each repeated (`^[a-z0-9][a-z0-9-]{2,63}$`,
//! `^[^@ ]+@[^@ ]+$`, `^ord_[a-z0-9]{12}$`), optionally anchored at the end.
//!
//! Such a pattern matches by reading each item greedily, provided no choice is ever left: an
//! item of variable length is followed by an item that takes at least one character, none of
//! which the variable one could take (or by the end of the pattern). Then the characters an
//! item takes are exactly those of its class up to its maximum, so one left-to-right pass
//! decides the match, with no backtracking and no automaton. Patterns of any other shape, or
//! with syntax this reader does not know, are left to the `regex` crate.
//!
//! The reader takes the pattern as [`super::translate`] prints it for the crate (every
//! punctuation character in a class escaped, Go's escapes resolved), in the crate's semantics:
//! Unicode characters, `.` is anything but `\n`, `$` is the end of the text.

/// The largest code point.
const MAX_CHAR: u32 = 0x10FFFF;

/// A set of characters: sorted, disjoint, non-adjacent ranges, with the ASCII part also as a
/// table for the common case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    ranges: Vec<(u32, u32)>,
    ascii: [bool; 128],
}

impl Class {
    fn new(mut ranges: Vec<(u32, u32)>, negated: bool) -> Class {
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        if negated {
            let mut complement = Vec::with_capacity(merged.len() + 1);
            let mut next = 0;
            for &(lo, hi) in &merged {
                if lo > next {
                    complement.push((next, lo - 1));
                }
                next = hi + 1;
            }
            if next <= MAX_CHAR {
                complement.push((next, MAX_CHAR));
            }
            merged = complement;
        }
        let mut ascii = [false; 128];
        for &(lo, hi) in &merged {
            for c in lo..=hi.min(127) {
                ascii[c as usize] = true;
            }
        }
        Class {
            ranges: merged,
            ascii,
        }
    }

    fn contains(&self, c: char) -> bool {
        let c = c as u32;
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
    }

    fn is_disjoint(&self, other: &Class) -> bool {
        let (mut a, mut b) = (
            self.ranges.iter().peekable(),
            other.ranges.iter().peekable(),
        );
        while let (Some(&&(alo, ahi)), Some(&&(blo, bhi))) = (a.peek(), b.peek()) {
            if ahi < blo {
                a.next();
            } else if bhi < alo {
                b.next();
            } else {
                return false;
            }
        }
        true
    }

    /// The length of the character at `at` of `text` if this class has it.
    #[inline]
    fn take(&self, text: &str, at: usize) -> Option<usize> {
        let &b = text.as_bytes().get(at)?;
        if let Some(&ascii) = self.ascii.get(usize::from(b)) {
            return ascii.then_some(1);
        }
        let c = text.get(at..)?.chars().next()?;
        self.contains(c).then(|| c.len_utf8())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    class: Class,
    min: u32,
    max: u32,
}

/// A pattern `^item…` or `^item…$` that reads deterministically (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Anchored {
    items: Vec<Item>,
    to_end: bool,
}

impl Anchored {
    /// The matcher for a translated pattern of this shape, or `None`.
    pub(crate) fn new(translated: &str) -> Option<Anchored> {
        let mut chars = translated.chars().peekable();
        if chars.next()? != '^' {
            return None;
        }
        let mut items = Vec::new();
        let mut to_end = false;
        while let Some(c) = chars.next() {
            let class = match c {
                '$' => {
                    if chars.next().is_some() {
                        return None;
                    }
                    to_end = true;
                    break;
                }
                '.' => Class::new(vec![('\n' as u32, '\n' as u32)], true),
                '[' => class(&mut chars)?,
                '\\' => {
                    let c = escaped(&mut chars)? as u32;
                    Class::new(vec![(c, c)], false)
                }
                _ if r"\.+*?()|[]{}^$#&-~".contains(c) => return None,
                _ => Class::new(vec![(c as u32, c as u32)], false),
            };
            let (min, max) = repetition(&mut chars)?;
            // A lazy or doubled repetition: not this shape.
            if matches!(chars.peek(), Some('?' | '*' | '+' | '{')) {
                return None;
            }
            items.push(Item { class, min, max });
        }
        // Greedy reading is exact when no variable-length item can give characters back.
        for (i, item) in items.iter().enumerate() {
            if item.min == item.max {
                continue;
            }
            if let Some(next) = items.get(i + 1) {
                if next.min == 0 || !item.class.is_disjoint(&next.class) {
                    return None;
                }
            }
        }
        Some(Anchored { items, to_end })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        let mut at = 0;
        for item in &self.items {
            let mut count = 0;
            while count < item.max {
                match item.class.take(text, at) {
                    Some(len) => {
                        at += len;
                        count += 1;
                    }
                    None => break,
                }
            }
            if count < item.min {
                return false;
            }
        }
        !self.to_end || at == text.len()
    }
}

/// A class after its `[`, up to and including its `]`: single characters and ranges only.
fn class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<Class> {
    let negated = chars.peek() == Some(&'^');
    if negated {
        chars.next();
    }
    let mut ranges = Vec::new();
    loop {
        let lo = match chars.next()? {
            ']' if !ranges.is_empty() => return Some(Class::new(ranges, negated)),
            '\\' => escaped(chars)?,
            '[' | ']' | '&' | '~' | '-' => return None,
            c => c,
        };
        let hi = if chars.peek() == Some(&'-') {
            chars.next();
            match chars.next()? {
                '\\' => escaped(chars)?,
                '[' | ']' | '&' | '~' | '-' => return None,
                c => c,
            }
        } else {
            lo
        };
        if hi < lo {
            return None;
        }
        ranges.push((lo as u32, hi as u32));
    }
}

/// The character an escape after its `\` stands for: punctuation, or `\x{…}`.
fn escaped(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    match chars.next()? {
        'x' => {
            if chars.next()? != '{' {
                return None;
            }
            let mut value = 0u32;
            let mut digits = 0;
            loop {
                match chars.next()? {
                    '}' if digits > 0 => return char::from_u32(value),
                    c => {
                        value = value.checked_mul(16)?.checked_add(c.to_digit(16)?)?;
                        digits += 1;
                    }
                }
            }
        }
        c if c.is_ascii_punctuation() => Some(c),
        _ => None,
    }
}

/// The bounds of the repetition operator at the cursor, if any: `(1, 1)` for none.
fn repetition(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<(u32, u32)> {
    let bounds = match chars.peek() {
        Some('?') => (0, 1),
        Some('*') => (0, u32::MAX),
        Some('+') => (1, u32::MAX),
        Some('{') => {
            chars.next();
            let min = number(chars)?;
            let max = match chars.next()? {
                '}' => return Some((min, min)),
                ',' if chars.peek() == Some(&'}') => u32::MAX,
                ',' => number(chars)?,
                _ => return None,
            };
            (chars.peek() == Some(&'}') && min <= max).then_some((min, max))?
        }
        _ => return Some((1, 1)),
    };
    chars.next();
    Some(bounds)
}

fn number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<u32> {
    let mut value: Option<u32> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        value = Some(value.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::Anchored;

    /// Whether the pattern (Go syntax) takes the direct reader.
    fn direct(pattern: &str) -> bool {
        let translated = super::super::translate(pattern).expect("valid pattern");
        Anchored::new(&translated).is_some()
    }

    #[test]
    fn validation_patterns_take_the_direct_reader() {
        for pattern in [
            "^[a-z0-9][a-z0-9-]{2,63}$",
            "^[^@ ]+@[^@ ]+$",
            "^[A-Z0-9-]{4,32}$",
            "^ord_[a-z0-9]{12}$",
            r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            r"^\d{4,5}$",
            "^[A-Z].*",
            "^[A-Z]{2}$",
            "^$",
            "^",
        ] {
            assert!(direct(pattern), "{pattern}");
        }
        for pattern in [
            "[a-z]+",        // not anchored at the start
            "^a*a$",         // `a*` could give back a character
            "^[a-z]+[a-c]$", // likewise
            "^x?y?$",        // `x?` followed by an item that may be empty
            "^(a|b)$",       // groups and alternations
            "^(?i)a$",       // flags
            r"^\pL+$",       // Unicode classes
            "^a+?b$",        // lazy repetition
            r"^a\b",         // assertions
            "^a$b",          // `$` before the end
            "^[[:alpha:]]$", // classes in classes
        ] {
            assert!(!direct(pattern), "{pattern}");
        }
    }

    /// Generated patterns of the direct reader's shape and near it, on generated texts that
    /// follow each pattern with mistakes: the reader, where it takes a pattern, says what the
    /// `regex` crate says.
    #[test]
    fn the_direct_reader_agrees_with_the_regex_crate() {
        // Go syntax, and characters each atom may match.
        let atoms: [(&str, &str); 24] = [
            ("a", "a"),
            ("b", "b"),
            ("-", "-"),
            ("@", "@"),
            (r"\.", "."),
            (".", "a\n.é"),
            ("[a-z]", "az"),
            ("[^@ ]", "a@ é"),
            ("[A-Z0-9-]", "A9-"),
            ("[0-9]", "05"),
            ("[^a-c]", "bd\n"),
            ("[é-ü]", "éü"),
            (r"\d", "7"),
            (r"[\x{1F600}-\x{1F64F}]", "😀"),
            ("é", "é"),
            (" ", " "),
            ("[-a]", "-a"),
            ("[a-]", "-a"),
            (r"\x41", "A"),
            (r"[\]\[]", "[]"),
            (r"[^\n]", "\nx"),
            (r"\$", "$"),
            ("[.]", ".a"),
            (r"\n", "\n"),
        ];
        let repeats = [
            "", "", "?", "*", "+", "{2}", "{1,3}", "{2,}", "{0}", "{0,1}", "*?", "{3}",
        ];
        let noise: Vec<char> = "ab-@.zAZ09 é\n😀[]$ü".chars().collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut patterns, mut taken, mut texts, mut matched) = (0, 0, 0, 0);
        for _ in 0..3_000 {
            let mut pattern = String::from(if next(10) == 0 { "" } else { "^" });
            let mut plan = Vec::new();
            for _ in 0..next(5) {
                let (atom, samples) = atoms[next(atoms.len())];
                let repeat = repeats[next(repeats.len())];
                pattern.push_str(atom);
                pattern.push_str(repeat);
                let (min, max) = match repeat {
                    "?" | "{0,1}" => (0, 1),
                    "*" | "*?" => (0, 4),
                    "+" => (1, 4),
                    "{2}" => (2, 2),
                    "{3}" => (3, 3),
                    "{1,3}" => (1, 3),
                    "{2,}" => (2, 5),
                    "{0}" => (0, 0),
                    _ => (1, 1),
                };
                plan.push((samples.chars().collect::<Vec<_>>(), min, max));
            }
            if next(2) == 0 {
                pattern.push('$');
            }
            let Ok(matcher) = super::super::compile_matcher(&pattern) else {
                continue;
            };
            patterns += 1;
            let Some(anchored) = &matcher.anchored else {
                continue;
            };
            taken += 1;
            for _ in 0..60 {
                let mut text = String::new();
                for (samples, min, max) in &plan {
                    // A count in or just outside the item's bounds, its characters mostly
                    // ones the atom matches.
                    let count = (min + next(max - min + 2)).saturating_sub(next(3) / 2);
                    for _ in 0..count {
                        text.push(if next(6) == 0 {
                            noise[next(noise.len())]
                        } else {
                            samples[next(samples.len())]
                        });
                    }
                }
                if next(4) == 0 {
                    text.push(noise[next(noise.len())]);
                }
                let want = matcher.regex.is_match(&text);
                assert_eq!(anchored.is_match(&text), want, "{pattern:?} on {text:?}");
                texts += 1;
                matched += usize::from(want);
            }
        }
        assert!(
            taken > 600 && patterns - taken > 600,
            "{taken} of {patterns}"
        );
        assert!(
            matched > texts / 5 && matched < texts * 4 / 5,
            "{matched} of {texts}"
        );
    }
}
