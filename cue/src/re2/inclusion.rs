//! Inclusion of the string sets CUE's string constraints describe, decided with automata.
//!
//! RE2 has no back-references, so every pattern denotes a regular language, and "does every
//! string one constraint accepts satisfy the other?" is decidable. Each pattern is compiled
//! (after [`super::translate`], so Go's ASCII `\d \w \s \b` keep their meaning) into a
//! deterministic automaton over bytes with `regex-automata`; the question becomes a
//! breadth-first search of the product of those automata for a string that the first set
//! accepts and the second rejects. The search visits each product state once, so it ends,
//! and the first string it completes is a shortest witness, built from the most readable
//! bytes first (`a`-`z`, digits, capitals, then the rest).
//!
//! CUE matches `=~` unanchored (Go's `regexp.MatchString`): a pattern matches a string when it
//! matches anywhere in it. An automaton is therefore started unanchored and a string counts
//! as matched once any prefix of it reached a match. Every witness is also held to be valid
//! UTF-8 by one more automaton (`(?s:.)*`, anchored at both ends), and lengths are counted in
//! characters (runes), as `strings.MinRunes` and `strings.MaxRunes` count them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};

/// A dense automaton that owns its tables.
type Dfa = dense::DFA<Vec<u32>>;

/// A set of strings as CUE states one: every `matching` pattern matches (`=~`), no
/// `not_matching` pattern does (`!~`), and the number of characters lies within `min_runes`
/// and `max_runes`. Patterns are Go RE2 text, matched unanchored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringSet {
    pub matching: Vec<String>,
    pub not_matching: Vec<String>,
    pub min_runes: Option<u64>,
    pub max_runes: Option<u64>,
}

/// The outcome of looking for a string that one set holds and another does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// There is none: the first set is included in the second.
    Empty,
    /// A shortest such string.
    Witness(String),
    /// Not decided, and why (an automaton outgrew its budget, a pattern does not compile).
    Unknown(String),
}

/// A string in `accepted` that is not in `rejected`, or [`Difference::Empty`] when `accepted`
/// is included in `rejected`.
pub fn difference(accepted: &StringSet, rejected: &StringSet) -> Difference {
    // A string is outside `rejected` when it breaks one of its constraints: one search per
    // constraint, the shortest witness wins.
    let mut violations: Vec<Violation> = Vec::new();
    for pattern in &rejected.matching {
        if !accepted.matching.contains(pattern) {
            violations.push(Violation::Matches(pattern, false));
        }
    }
    for pattern in &rejected.not_matching {
        if !accepted.not_matching.contains(pattern) {
            violations.push(Violation::Matches(pattern, true));
        }
    }
    if let Some(min) = rejected.min_runes.filter(|&m| m > 0) {
        violations.push(Violation::Length(Length::Below(min)));
    }
    if let Some(max) = rejected.max_runes {
        violations.push(Violation::Length(Length::Above(max)));
    }
    let mut best: Option<String> = None;
    let mut unknown = None;
    for violation in violations {
        match search(accepted, Some(violation)) {
            Difference::Witness(found) => {
                let shorter = best
                    .as_ref()
                    .is_none_or(|b| (found.len(), &found) < (b.len(), b));
                if shorter {
                    best = Some(found);
                }
            }
            Difference::Unknown(why) => unknown = Some(why),
            Difference::Empty => {}
        }
    }
    match (best, unknown) {
        (Some(found), _) => Difference::Witness(found),
        (None, Some(why)) => Difference::Unknown(why),
        (None, None) => Difference::Empty,
    }
}

/// A shortest string of `set` ([`Difference::Witness`]), or [`Difference::Empty`] when the
/// set has none.
pub fn member(set: &StringSet) -> Difference {
    search(set, None)
}

/// How many product states one search may visit before it gives up.
const MAX_STATES: usize = 200_000;

/// How large one automaton may grow (bytes of transition table, and while determinizing).
const DFA_SIZE_LIMIT: usize = 16 << 20;

/// The one constraint of the other set that a witness must break.
#[derive(Clone, Copy)]
enum Violation<'p> {
    /// The pattern must match (`true`: it is a `!~` of the other set) or must not (`false`).
    Matches(&'p str, bool),
    Length(Length),
}

#[derive(Clone, Copy)]
enum Length {
    Below(u64),
    Above(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Matched when the pattern matches anywhere: started unanchored, decided at a match.
    Anywhere,
    /// Matched when the pattern matches the whole string.
    Whole,
}

/// One automaton of the product, and whether the witness must be matched by it.
struct Component {
    dfa: Arc<Dfa>,
    reading: Reading,
    must_match: bool,
}

/// One component's state: running, or (read anywhere) matched already.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Cell {
    At(StateID),
    Matched,
}

fn search(accepted: &StringSet, violation: Option<Violation<'_>>) -> Difference {
    let mut components = Vec::new();
    let mut add = |pattern: &str, reading: Reading, must_match: bool| -> Result<(), String> {
        components.push(Component {
            dfa: automaton(pattern, reading)?,
            reading,
            must_match,
        });
        Ok(())
    };
    let mut built = add("(?s:.)*", Reading::Whole, true);
    for pattern in &accepted.matching {
        built = built.and_then(|()| add(pattern, Reading::Anywhere, true));
    }
    for pattern in &accepted.not_matching {
        built = built.and_then(|()| add(pattern, Reading::Anywhere, false));
    }
    let mut length_violation = None;
    match violation {
        Some(Violation::Matches(pattern, must)) => {
            built = built.and_then(|()| add(pattern, Reading::Anywhere, must));
        }
        Some(Violation::Length(length)) => length_violation = Some(length),
        None => {}
    }
    if let Err(why) = built {
        return Difference::Unknown(why);
    }
    let lengths = LengthRule {
        min: accepted.min_runes.unwrap_or(0),
        max: accepted.max_runes,
        violation: length_violation,
    };
    if lengths.max.is_some_and(|max| max < lengths.min) {
        return Difference::Empty;
    }
    Product::new(components, lengths).shortest()
}

/// The length a witness must have, in runes.
struct LengthRule {
    min: u64,
    max: Option<u64>,
    violation: Option<Length>,
}

impl LengthRule {
    /// Counts at or above this one are all alike: every threshold is below it.
    fn cap(&self) -> u64 {
        let violation = match self.violation {
            Some(Length::Below(n) | Length::Above(n)) => n,
            None => 0,
        };
        self.min.max(self.max.unwrap_or(0)).max(violation) + 1
    }

    fn accepts(&self, runes: u64) -> bool {
        runes >= self.min
            && self.max.is_none_or(|max| runes <= max)
            && match self.violation {
                Some(Length::Below(n)) => runes < n,
                Some(Length::Above(n)) => runes > n,
                None => true,
            }
    }

    /// Whether no extension of a string of this length can be accepted.
    fn exceeded(&self, runes: u64) -> bool {
        self.max.is_some_and(|max| runes > max)
            || matches!(self.violation, Some(Length::Below(n)) if runes >= n)
    }
}

struct Product {
    components: Vec<Component>,
    lengths: LengthRule,
    /// One byte per class of bytes no component tells apart, most readable first.
    alphabet: Vec<u8>,
}

/// A node of the search: the components' cells and the rune count (capped).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Node {
    cells: Vec<Cell>,
    runes: u64,
}

impl Product {
    fn new(components: Vec<Component>, lengths: LengthRule) -> Product {
        let mut seen: HashMap<Vec<u8>, ()> = HashMap::new();
        let mut alphabet = Vec::new();
        for byte in readable_order() {
            let mut signature: Vec<u8> = components
                .iter()
                .map(|c| c.dfa.byte_classes().get(byte))
                .collect();
            signature.push(u8::from(is_continuation(byte)));
            if seen.insert(signature, ()).is_none() {
                alphabet.push(byte);
            }
        }
        Product {
            components,
            lengths,
            alphabet,
        }
    }

    fn start(&self) -> Result<Node, String> {
        let mut cells = Vec::with_capacity(self.components.len());
        for component in &self.components {
            let anchored = match component.reading {
                Reading::Anywhere => Anchored::No,
                Reading::Whole => Anchored::Yes,
            };
            let id = component
                .dfa
                .start_state(&start::Config::new().anchored(anchored))
                .map_err(|e| format!("the automaton has no start state: {e}"))?;
            cells.push(Cell::At(id));
        }
        Ok(Node { cells, runes: 0 })
    }

    /// The node after `byte`, or `None` when no string through it can be a witness.
    fn step(&self, node: &Node, byte: u8) -> Option<Node> {
        let mut cells = Vec::with_capacity(node.cells.len());
        for (component, cell) in self.components.iter().zip(&node.cells) {
            let next = match *cell {
                Cell::Matched => Cell::Matched,
                Cell::At(id) => {
                    let next = component.dfa.next_state(id, byte);
                    if component.dfa.is_dead_state(next) || component.dfa.is_quit_state(next) {
                        // Read anywhere and not yet matched, a dead state never matches;
                        // read whole, the string can no longer match.
                        if component.must_match {
                            return None;
                        }
                        Cell::At(next)
                    } else if component.reading == Reading::Anywhere
                        && component.dfa.is_match_state(next)
                    {
                        if !component.must_match {
                            return None;
                        }
                        Cell::Matched
                    } else {
                        Cell::At(next)
                    }
                }
            };
            cells.push(next);
        }
        let runes = if is_continuation(byte) {
            node.runes
        } else {
            (node.runes + 1).min(self.lengths.cap())
        };
        if self.lengths.exceeded(runes) {
            return None;
        }
        Some(Node { cells, runes })
    }

    /// Whether the string that reached `node` is a witness.
    fn accepts(&self, node: &Node) -> bool {
        if !self.lengths.accepts(node.runes) {
            return false;
        }
        self.components
            .iter()
            .zip(&node.cells)
            .all(|(component, cell)| {
                let matched = match *cell {
                    Cell::Matched => true,
                    Cell::At(id) => {
                        let dfa = &component.dfa;
                        !dfa.is_dead_state(id) && dfa.is_match_state(dfa.next_eoi_state(id))
                    }
                };
                matched == component.must_match
            })
    }

    fn shortest(&self) -> Difference {
        let start = match self.start() {
            Ok(start) => start,
            Err(why) => return Difference::Unknown(why),
        };
        // Each visited node with the node it was reached from and the byte read.
        let mut nodes: Vec<(Node, usize, u8)> = vec![(start.clone(), usize::MAX, 0)];
        let mut index: HashMap<Node, usize> = HashMap::from([(start, 0)]);
        let mut queue = VecDeque::from([0usize]);
        while let Some(current) = queue.pop_front() {
            if self.accepts(&nodes[current].0) {
                return self.spell(&nodes, current);
            }
            for &byte in &self.alphabet {
                let Some(next) = self.step(&nodes[current].0, byte) else {
                    continue;
                };
                if index.contains_key(&next) {
                    continue;
                }
                if nodes.len() >= MAX_STATES {
                    return Difference::Unknown(format!(
                        "the search visited {MAX_STATES} states of the patterns' product without an answer"
                    ));
                }
                index.insert(next.clone(), nodes.len());
                queue.push_back(nodes.len());
                nodes.push((next, current, byte));
            }
        }
        Difference::Empty
    }

    fn spell(&self, nodes: &[(Node, usize, u8)], mut at: usize) -> Difference {
        let mut bytes = Vec::new();
        while nodes[at].1 != usize::MAX {
            bytes.push(nodes[at].2);
            at = nodes[at].1;
        }
        bytes.reverse();
        match String::from_utf8(bytes) {
            Ok(text) => Difference::Witness(text),
            Err(_) => Difference::Unknown("the witness found is not valid UTF-8".to_string()),
        }
    }
}

fn is_continuation(byte: u8) -> bool {
    (0x80..=0xBF).contains(&byte)
}

/// Every byte, the most readable first: lower-case letters, digits, capitals, common
/// punctuation, the rest of ASCII, then the bytes of longer UTF-8 sequences.
fn readable_order() -> Vec<u8> {
    let mut order: Vec<u8> = Vec::with_capacity(256);
    order.extend(b'a'..=b'z');
    order.extend(b'0'..=b'9');
    order.extend(b'A'..=b'Z');
    order.extend_from_slice(b"-_. @:/");
    order.extend(0x21..=0x7E);
    order.extend(0x00..=0x20);
    order.push(0x7F);
    // Lead bytes of two-byte sequences from U+00E0 (`à`) onwards before the rest.
    order.extend(0xC3..=0xFF);
    order.extend(0x80..=0xC2);
    let mut seen = [false; 256];
    order.retain(|&b| !std::mem::replace(&mut seen[b as usize], true));
    order
}

/// The automaton of a Go RE2 pattern, read `reading`, once per process per pattern.
fn automaton(pattern: &str, reading: Reading) -> Result<Arc<Dfa>, String> {
    type Cache = Mutex<HashMap<(String, bool), Arc<Dfa>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (pattern.to_string(), reading == Reading::Whole);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|map| map.get(&key).cloned()) {
        return Ok(found);
    }
    let translated = super::translate(pattern).map_err(|e| e.to_string())?;
    let start_kind = match reading {
        Reading::Anywhere => StartKind::Unanchored,
        Reading::Whole => StartKind::Anchored,
    };
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(start_kind)
                .accelerate(false)
                .minimize(false)
                .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                .determinize_size_limit(Some(DFA_SIZE_LIMIT)),
        )
        .syntax(syntax::Config::new().nest_limit(1000))
        .build(&translated)
        .map_err(|e| format!("the automaton of {pattern:?} could not be built: {e}"))?;
    let dfa = Arc::new(dfa);
    // A poisoned lock only loses caching.
    if let Ok(mut map) = cache.lock() {
        if map.len() >= 256 {
            map.clear();
        }
        map.insert(key, dfa.clone());
    }
    Ok(dfa)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(matching: &[&str]) -> StringSet {
        StringSet {
            matching: matching.iter().map(|s| s.to_string()).collect(),
            ..StringSet::default()
        }
    }

    fn witness(a: &StringSet, b: &StringSet) -> Option<String> {
        match difference(a, b) {
            Difference::Witness(w) => {
                // Every witness is checked with the matcher validation uses.
                let holds = |s: &StringSet| {
                    s.matching
                        .iter()
                        .all(|p| crate::re2::compile(p).expect("compiles").is_match(&w))
                        && s.not_matching
                            .iter()
                            .all(|p| !crate::re2::compile(p).expect("compiles").is_match(&w))
                        && s.min_runes.is_none_or(|m| w.chars().count() as u64 >= m)
                        && s.max_runes.is_none_or(|m| w.chars().count() as u64 <= m)
                };
                assert!(holds(a), "{w:?} is not in {a:?}");
                assert!(!holds(b), "{w:?} is in {b:?}");
                Some(w)
            }
            Difference::Empty => None,
            Difference::Unknown(why) => panic!("undecided: {why}"),
        }
    }

    #[test]
    fn a_narrower_class_has_a_witness_and_a_wider_one_none() {
        let (lower, alnum) = (set(&["^[a-z]+$"]), set(&["^[a-z0-9]+$"]));
        assert_eq!(witness(&lower, &alnum), None);
        assert_eq!(witness(&alnum, &lower).as_deref(), Some("0"));
        assert_eq!(witness(&lower, &set(&["^[a-y]+$"])).as_deref(), Some("z"));
    }

    #[test]
    fn matching_is_unanchored() {
        assert_eq!(witness(&set(&["a"]), &set(&["^a"])).as_deref(), Some("ba"));
        assert_eq!(witness(&set(&["^a"]), &set(&["a"])), None);
        assert_eq!(
            witness(&set(&["^ab"]), &set(&["b$"])).as_deref(),
            Some("aba")
        );
        assert_eq!(witness(&set(&[]), &set(&["x"])).as_deref(), Some(""));
    }

    #[test]
    fn perl_classes_and_word_boundaries_are_ascii_as_in_go() {
        assert_eq!(witness(&set(&[r"^\d+$"]), &set(&["^[0-9]+$"])), None);
        assert_eq!(witness(&set(&["^[0-9]+$"]), &set(&[r"^\d+$"])), None);
        assert_eq!(witness(&set(&[r"^\w$"]), &set(&["^[0-9A-Za-z_]$"])), None);
        assert_eq!(
            witness(&set(&["^.$"]), &set(&[r"^\w$"])).as_deref(),
            Some("-")
        );
        assert_eq!(witness(&set(&[r"\bfoo\b"]), &set(&["foo"])), None);
        assert_eq!(
            witness(&set(&["foo"]), &set(&[r"\bfoo\b"])).as_deref(),
            Some("afoo")
        );
        // `é` is not a word character in Go, so `\b` holds between it and `x`.
        assert_eq!(witness(&set(&[r"^é\bx$"]), &set(&["^éx$"])), None);
    }

    #[test]
    fn characters_beyond_ascii_are_whole() {
        assert_eq!(
            witness(&set(&["^.$"]), &set(&["^[ -~]$"])).as_deref(),
            Some("\0")
        );
        let w = witness(&set(&["^[^\\x00-\\x7f]$"]), &set(&["^é$"])).expect("a witness");
        assert_eq!(w.chars().count(), 1);
    }

    #[test]
    fn negated_patterns_and_lengths() {
        let not_x = StringSet {
            not_matching: vec!["x".to_string()],
            ..StringSet::default()
        };
        assert_eq!(witness(&set(&[]), &not_x).as_deref(), Some("x"));
        assert_eq!(witness(&not_x, &set(&[])), None);
        let short = StringSet {
            max_runes: Some(3),
            ..set(&["^a"])
        };
        assert_eq!(witness(&set(&["^a"]), &short).as_deref(), Some("aaaa"));
        let long = StringSet {
            min_runes: Some(2),
            ..StringSet::default()
        };
        assert_eq!(witness(&set(&["^é"]), &long).as_deref(), Some("é"));
        assert_eq!(
            member(&StringSet {
                min_runes: Some(2),
                ..set(&["^[0-9]{3}$"])
            }),
            Difference::Witness("000".to_string())
        );
        assert_eq!(
            member(&StringSet {
                max_runes: Some(2),
                ..set(&["^[0-9]{3}$"])
            }),
            Difference::Empty
        );
    }

    #[test]
    fn an_alternation_against_its_parts() {
        let both = set(&["^(cat|dog)$"]);
        assert_eq!(witness(&both, &set(&["^cat$"])).as_deref(), Some("dog"));
        assert_eq!(witness(&set(&["^dog$"]), &both), None);
        assert_eq!(
            witness(&set(&["^[a-c]{2}$"]), &set(&["^(a|b)(a|b|c)$"])).as_deref(),
            Some("ca")
        );
    }

    /// Random small patterns over `a`, `b`, `c`: every verdict is held to the matcher on
    /// every string of up to four characters of `abc-`.
    #[test]
    fn verdicts_agree_with_the_matcher_on_every_short_string() {
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        fn pattern(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> String {
            let atom = |next: &mut dyn FnMut(u64) -> u64| match next(6) {
                0 => "a".to_string(),
                1 => "b".to_string(),
                2 => "[ab]".to_string(),
                3 => "[^a]".to_string(),
                4 => ".".to_string(),
                _ => "c".to_string(),
            };
            let mut out = String::new();
            for _ in 0..1 + next(3) {
                let mut item = if depth > 0 && next(4) == 0 {
                    format!(
                        "({}|{})",
                        pattern(next, depth - 1),
                        pattern(next, depth - 1)
                    )
                } else {
                    atom(next)
                };
                match next(5) {
                    0 => item.push('*'),
                    1 => item.push('+'),
                    2 => item.push('?'),
                    _ => {}
                }
                out.push_str(&item);
            }
            match next(4) {
                0 => format!("^{out}"),
                1 => format!("{out}$"),
                2 => format!("^{out}$"),
                _ => out,
            }
        }
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = strings
                .iter()
                .filter(|s| s.len() == strings.last().map_or(0, |l| l.len()))
                .flat_map(|s| "abc-".chars().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        for _ in 0..120 {
            let a = set(&[&pattern(&mut next, 1)]);
            let b = set(&[&pattern(&mut next, 1)]);
            let matches = |s: &StringSet, text: &str| {
                crate::re2::compile(&s.matching[0])
                    .expect("compiles")
                    .is_match(text)
            };
            if witness(&a, &b).is_none() {
                for text in &strings {
                    assert!(
                        !matches(&a, text) || matches(&b, text),
                        "{a:?} is said to be within {b:?}, but {text:?} is not"
                    );
                }
            }
        }
    }

    #[test]
    fn a_pattern_go_rejects_is_undecided() {
        assert!(matches!(
            difference(&set(&["(a"]), &set(&["a"])),
            Difference::Unknown(_)
        ));
    }
}
