//! The verdict alone: whether a document is valid and complete against a compiled [`Node`],
//! decided without building any diagnostic ([`is_valid`]) or even a tree ([`stream_valid`]).
//! Most documents are valid; only the others go on to the walk that says why.

use super::{
    array_concrete, find_member, json_atom, json_concrete, object_concrete, Node, StructNode,
};
use crate::eval::ArcType;
use crate::json::{JsonKind, JsonValue};
use crate::value::Kinds;

/// Decides whether a document is valid and complete while reading it, without building a
/// tree: the common case (a valid document) costs one pass over the text and no allocation
/// but for strings with escapes. `Some(true)` means valid; anything else (invalid, malformed,
/// or a case it does not model) sends the caller to the tree walk, which says why.
pub(crate) fn stream_valid(node: &Node, text: &str) -> Option<bool> {
    let mut reader = crate::json::Decoder::new(crate::FileId(0), text);
    let valid = stream(node, &mut reader, 0)?;
    (valid && reader.at_end() && !reader.repeated_keys).then_some(true)
}

fn stream(node: &Node, r: &mut crate::json::Decoder<'_>, depth: usize) -> Option<bool> {
    if depth > crate::json::MAX_DEPTH {
        return None;
    }
    match node {
        Node::Top => {
            r.peek()?;
            r.value().ok()?;
            Some(true)
        }
        Node::Error(_) => Some(false),
        Node::Scalar(scalar) => match r.peek()? {
            b'{' | b'[' => {
                let kinds = if r.peek()? == b'{' {
                    Kinds::STRUCT
                } else {
                    Kinds::LIST
                };
                if !(scalar.kinds.contains(kinds) && scalar.value.is_none()) {
                    return Some(false);
                }
                if !scalar.checks.is_empty() {
                    return None; // validators such as list.MinItems need the whole value
                }
                r.value().ok()?;
                Some(true)
            }
            b'"' => Some(scalar.satisfied_by_str(&r.string().ok()?)),
            _ => {
                let value = r.value().ok()?;
                Some(json_atom(&value).is_ok_and(|atom| scalar.satisfied_by(&atom)))
            }
        },
        Node::Struct(node) => {
            if !r.eat(b'{') || !node.scalar.checks.is_empty() {
                return if r.peek()? == b'{' { None } else { Some(false) };
            }
            let mut seen = Seen::new(node.fields.len());
            // Keys the schema does not declare, to notice one repeated (which unifies); made
            // when the first one comes, as closed schemas' documents seldom have any.
            let mut extra: Option<ExtraKeys> = None;
            let mut cursor = 0;
            if !r.eat(b'}') {
                loop {
                    if r.peek()? != b'"' {
                        return None;
                    }
                    let key = r.string().ok()?;
                    if !r.eat(b':') {
                        return None;
                    }
                    match field_index(node, &key, &mut cursor) {
                        Some(i) => {
                            if !seen.insert(i) {
                                return None; // a repeated key unifies: leave it to the walk
                            }
                            if !stream(&node.fields[i].node, r, depth + 1)? {
                                return Some(false);
                            }
                        }
                        None => {
                            if !extra
                                .get_or_insert_with(ExtraKeys::default)
                                .insert(key.clone())
                            {
                                return None;
                            }
                            for group in &node.closed {
                                let allowed = group.open
                                    || group.labels.contains(key.as_ref())
                                    || group.patterns.iter().any(|&p| {
                                        node.patterns.get(p).is_some_and(|(m, _)| m.matches(&key))
                                    });
                                if !allowed {
                                    return Some(false);
                                }
                            }
                            let mut matching =
                                node.patterns.iter().filter(|(m, _)| m.matches(&key));
                            match (matching.next(), matching.next()) {
                                (None, _) => {
                                    r.peek()?;
                                    r.value().ok()?;
                                }
                                (Some((_, pattern)), None) => {
                                    if !stream(pattern, r, depth + 1)? {
                                        return Some(false);
                                    }
                                }
                                (Some(_), Some(_)) => return None,
                            }
                        }
                    }
                    if r.eat(b',') {
                        continue;
                    }
                    if r.eat(b'}') {
                        break;
                    }
                    return None;
                }
            }
            for (i, field) in node.fields.iter().enumerate() {
                if seen.contains(i) {
                    continue;
                }
                match field.arc_type {
                    ArcType::Optional => {}
                    ArcType::Required => return Some(false),
                    ArcType::Regular => {
                        if !is_valid(&field.node, None)? {
                            return Some(false);
                        }
                    }
                }
            }
            Some(true)
        }
        Node::List(node) => {
            if !r.eat(b'[') || !node.scalar.checks.is_empty() {
                return if r.peek()? == b'[' { None } else { Some(false) };
            }
            let mut count = 0;
            if !r.eat(b']') {
                loop {
                    let element = match node.prefix.get(count) {
                        Some(element) => element,
                        None if node.closed => return Some(false),
                        None => node.rest.as_ref().unwrap_or(&Node::Top),
                    };
                    if !stream(element, r, depth + 1)? {
                        return Some(false);
                    }
                    count += 1;
                    if r.eat(b',') {
                        continue;
                    }
                    if r.eat(b']') {
                        break;
                    }
                    return None;
                }
            }
            let length_ok = if node.closed {
                count == node.prefix.len()
            } else {
                count >= node.prefix.len()
            };
            Some(length_ok)
        }
        Node::Disj(options) => {
            // A string (an enum's usual datum) is read once for every alternative.
            if r.peek()? == b'"' {
                return string_verdict(node, &r.string().ok()?);
            }
            // Try each alternative on the same text. One accepting it decides; several are
            // one value only if equal (or one is a default), which the walk decides.
            let start = r.pos;
            let mut accepted = 0;
            let mut default_accepted = false;
            let mut end = start;
            for (option, default) in options {
                r.pos = start;
                if stream(option, r, depth + 1) == Some(true) {
                    accepted += 1;
                    default_accepted |= *default;
                    end = r.pos;
                }
            }
            r.pos = end;
            disjunction_verdict(accepted, default_accepted)
        }
    }
}

/// What [`stream`] says of `node` for a string datum, already read as `s`. (Where `stream`
/// would say `Some(false)` this may say `None` and the other way round: only `Some(true)`
/// means anything to [`stream_valid`].)
fn string_verdict(node: &Node, s: &str) -> Option<bool> {
    match node {
        Node::Top => Some(true),
        Node::Error(_) | Node::Struct(_) | Node::List(_) => Some(false),
        Node::Scalar(scalar) => Some(scalar.satisfied_by_str(s)),
        Node::Disj(options) => {
            let mut accepted = 0;
            let mut default_accepted = false;
            for (option, default) in options {
                if string_verdict(option, s) == Some(true) {
                    accepted += 1;
                    default_accepted |= *default;
                }
            }
            disjunction_verdict(accepted, default_accepted)
        }
    }
}

/// A disjunction's verdict from how many alternatives accept the datum: one decides, or a
/// default among several; several without a default may be one value, which the walk decides.
fn disjunction_verdict(accepted: usize, default_accepted: bool) -> Option<bool> {
    match accepted {
        0 => Some(false),
        1 => Some(true),
        _ if default_accepted => Some(true),
        _ => None,
    }
}

/// Which of a struct's declared fields the document has given, without allocating for
/// structs of up to 128 fields.
enum Seen {
    Small(u128),
    Large(Vec<bool>),
}

impl Seen {
    fn new(fields: usize) -> Seen {
        if fields <= 128 {
            Seen::Small(0)
        } else {
            Seen::Large(vec![false; fields])
        }
    }

    /// Records field `i`; false if it was already there.
    fn insert(&mut self, i: usize) -> bool {
        match self {
            Seen::Small(bits) => {
                let was = *bits & (1 << i) != 0;
                *bits |= 1 << i;
                !was
            }
            Seen::Large(seen) => !std::mem::replace(&mut seen[i], true),
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            Seen::Small(bits) => *bits & (1 << i) != 0,
            Seen::Large(seen) => seen[i],
        }
    }
}

/// The keys of a document's object that its schema does not declare, to notice one repeated:
/// the first few on the stack, the rest in a vector.
#[derive(Default)]
struct ExtraKeys<'t> {
    inline: [&'t str; 8],
    count: usize,
    more: Vec<std::borrow::Cow<'t, str>>,
}

impl<'t> ExtraKeys<'t> {
    /// Records `key`; false if the object already had it.
    fn insert(&mut self, key: std::borrow::Cow<'t, str>) -> bool {
        if self.inline[..self.count].contains(&key.as_ref()) || self.more.contains(&key) {
            return false;
        }
        match key {
            std::borrow::Cow::Borrowed(k) if self.count < self.inline.len() => {
                self.inline[self.count] = k;
                self.count += 1;
            }
            key => self.more.push(key),
        }
        true
    }
}

fn field_index(node: &StructNode, key: &str, cursor: &mut usize) -> Option<usize> {
    let n = node.fields.len();
    if n > 24 {
        return node.index.get(key).copied();
    }
    for step in 0..n {
        let i = (*cursor + step) % n;
        if &*node.fields[i].name == key {
            *cursor = i + 1;
            return Some(i);
        }
    }
    None
}

/// Whether `data` is valid and complete against `node`: the same verdict as
/// [`Checker::validate`] returning no diagnostic, without building any. Most documents are
/// valid, so this runs first and the diagnostic walk only runs for the others.
pub(crate) fn is_valid(node: &Node, data: Option<&JsonValue>) -> Option<bool> {
    Some(match node {
        Node::Top => data.is_some(),
        Node::Error(_) => false,
        Node::Scalar(scalar) => match data {
            None => scalar.value.is_some(),
            Some(d) => match &d.kind {
                JsonKind::Object(_) | JsonKind::Array(_) => {
                    let kinds = if matches!(d.kind, JsonKind::Object(_)) {
                        Kinds::STRUCT
                    } else {
                        Kinds::LIST
                    };
                    scalar.kinds.contains(kinds)
                        && scalar.value.is_none()
                        && scalar.failed_validator(|| json_concrete(d)).is_none()
                }
                JsonKind::String(s) => scalar.satisfied_by_str(s),
                _ => match json_atom(d) {
                    Ok(atom) => scalar.satisfied_by(&atom),
                    Err(_) => false,
                },
            },
        },
        Node::Struct(node) => {
            let members = match data {
                None => None,
                Some(JsonValue {
                    kind: JsonKind::Object(members),
                    ..
                }) => Some(members),
                Some(_) => return Some(false),
            };
            let mut cursor = 0;
            for field in &node.fields {
                let datum = members.and_then(|m| find_member(m, &field.name, &mut cursor));
                match (datum, field.arc_type) {
                    (None, ArcType::Optional) => {}
                    (None, ArcType::Required) => return Some(false),
                    _ => {
                        if !is_valid(&field.node, datum)? {
                            return Some(false);
                        }
                    }
                }
            }
            if let Some(members) = members {
                for (name, _, value) in members.iter() {
                    if node.declares(name) {
                        continue;
                    }
                    for group in &node.closed {
                        let allowed = group.open
                            || group.labels.contains(name.as_ref())
                            || group.patterns.iter().any(|&p| {
                                node.patterns.get(p).is_some_and(|(m, _)| m.matches(name))
                            });
                        if !allowed {
                            return Some(false);
                        }
                    }
                    let mut matching = node.patterns.iter().filter(|(m, _)| m.matches(name));
                    if let Some((_, pattern)) = matching.next() {
                        if matching.next().is_some() {
                            // Several patterns unify into one value: let the full walk decide.
                            return None;
                        }
                        if !is_valid(pattern, Some(value))? {
                            return Some(false);
                        }
                    }
                }
                if node
                    .scalar
                    .failed_validator(|| object_concrete(members))
                    .is_some()
                {
                    return Some(false);
                }
            }
            true
        }
        Node::List(node) => {
            let items = match data {
                None => {
                    return node
                        .prefix
                        .iter()
                        .try_fold(true, |ok, e| Some(ok && is_valid(e, None)?))
                }
                Some(JsonValue {
                    kind: JsonKind::Array(items),
                    ..
                }) => items,
                Some(_) => return Some(false),
            };
            let length_ok = if node.closed {
                items.len() == node.prefix.len()
            } else {
                items.len() >= node.prefix.len()
            };
            if !length_ok {
                return Some(false);
            }
            for (i, item) in items.iter().enumerate() {
                let element = match node.prefix.get(i) {
                    Some(element) => element,
                    None => match &node.rest {
                        Some(rest) => rest,
                        None => continue,
                    },
                };
                if !is_valid(element, Some(item))? {
                    return Some(false);
                }
            }
            if node
                .scalar
                .failed_validator(|| array_concrete(items))
                .is_some()
            {
                return Some(false);
            }
            true
        }
        Node::Disj(options) => {
            // Valid when exactly one alternative is free of errors and complete, or a default
            // is among several; otherwise the walk decides (several equal values are one).
            if data.is_none() {
                // Absent data: only a default decides; anything else is for the walk.
                let mut defaults = options.iter().filter(|(_, d)| *d);
                return match (defaults.next(), defaults.next()) {
                    (Some((option, _)), None) => is_valid(option, None),
                    _ => None,
                };
            }
            let mut accepted = 0;
            let mut default_accepted = false;
            for (option, default) in options {
                if is_valid(option, data)? {
                    accepted += 1;
                    default_accepted |= *default;
                }
            }
            return disjunction_verdict(accepted, default_accepted);
        }
    })
}
