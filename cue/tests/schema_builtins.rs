//! The builtins that take schemas (`list.Sort`, `list.IsSorted`, `json.Validate`,
//! `yaml.Validate`), members written in CUE (`list.Ascending`, `openapi.#Config`) and
//! `encoding/yaml`, through the public API: a package is loaded and a value exported.

use cue::{NoImports, Package, PackageFiles, SourceMap};
use serde_json::json;

fn load(source: &str) -> Package {
    Package::load(
        PackageFiles {
            files: vec![("in.cue".to_string(), source.to_string())],
        },
        &NoImports,
    )
}

fn export(source: &str, expression: &str) -> serde_json::Value {
    load(source)
        .export_json(Some(expression))
        .unwrap_or_else(|e| panic!("{expression}: {:?}", e))
}

/// The first error exporting `expression`, rendered with its positions.
fn error(source: &str, expression: &str) -> String {
    let package = load(source);
    let errors = match package.export_json(Some(expression)) {
        Ok(value) => panic!("{expression} exported as {value}"),
        Err(errors) => errors,
    };
    let sources: &SourceMap = package.sources();
    errors[0].render_plain(sources)
}

#[test]
fn list_sort_orders_by_a_comparator() {
    let source = r#"
import "list"
a: list.Sort(["c", "b", "a"], list.Ascending)
d: list.Sort([2, 3, 1, 4], list.Descending)
own: list.Sort([2, 3, 1, 4], {x: _, y: _, less: x < y})
stable: list.SortStable([{a: 2, v: 1}, {a: 1, v: 2}, {a: 1, v: 3}], {x: _, y: _, less: x.a < y.a})
sorted: list.IsSorted(a, list.Ascending)
unsorted: list.IsSorted(["b", "a"], list.Ascending)
empty: list.Sort([], list.Ascending)
"#;
    assert_eq!(export(source, "a"), json!(["a", "b", "c"]));
    assert_eq!(export(source, "d"), json!([4, 3, 2, 1]));
    assert_eq!(export(source, "own"), json!([1, 2, 3, 4]));
    assert_eq!(
        export(source, "stable"),
        json!([{"a": 1, "v": 2}, {"a": 1, "v": 3}, {"a": 2, "v": 1}])
    );
    assert_eq!(export(source, "sorted"), json!(true));
    assert_eq!(export(source, "unsorted"), json!(false));
    assert_eq!(export(source, "empty"), json!([]));
}

#[test]
fn bad_sort_arguments_name_the_call_and_its_position() {
    let source = r#"import "list"
x: list.Sort([{a: 1}, {b: 2}], list.Ascending)
y: list.Sort(1, list.Ascending)
z: list.Sort([1])
"#;
    let x = error(source, "x");
    assert!(x.starts_with("error in call to list.Sort: "), "{x}");
    assert!(x.contains("in.cue:2:4"), "{x}");
    let y = error(source, "y");
    assert!(
        y.starts_with("cannot use 1 (type int) as list in argument 1 to list.Sort"),
        "{y}"
    );
    assert!(y.contains("in.cue:3:14"), "{y}");
    let z = error(source, "z");
    assert!(
        z.starts_with("wrong number of arguments in call to list.Sort: expected 2, got 1"),
        "{z}"
    );
}

#[test]
fn json_and_yaml_validate_unify_the_decoded_text_with_a_schema() {
    let source = r#"import ("encoding/json", "encoding/yaml")
ok: json.Validate("{\"a\": 10}", {a: int})
bad: json.Validate("{\"a\": 10}", {a: <3})
incomplete: json.Validate("{}", {x!: int})
// json.Validate asks for no conflict and the required fields, not for concrete values.
open: json.Validate("{\"a\": 10}", {b: string})
y: yaml.Validate("a: 2\n---\na: 4", {a: <5})
yBad: yaml.Validate("a: 2\n---\na: 4", {a: <3})
partial: yaml.ValidatePartial("a: 2\n", {a: <5, b: int})
full: yaml.Validate("a: 2\n", {a: <5, b: int})
"#;
    assert_eq!(export(source, "ok"), json!(true));
    assert_eq!(export(source, "open"), json!(true));
    assert_eq!(export(source, "y"), json!(true));
    assert_eq!(export(source, "partial"), json!(true));
    let bad = error(source, "bad");
    assert!(
        bad.starts_with(
            "error in call to encoding/json.Validate: a: invalid value 10 (out of bound <3)"
        ),
        "{bad}"
    );
    assert!(bad.contains("in.cue:3:6"), "{bad}");
    let y_bad = error(source, "yBad");
    assert!(
        y_bad.contains("invalid value 4 (out of bound <3)"),
        "{y_bad}"
    );
    let incomplete = error(source, "incomplete");
    assert!(
        incomplete.contains("encoding/json.Validate"),
        "{incomplete}"
    );
    let full = error(source, "full");
    assert!(full.contains("encoding/yaml.Validate"), "{full}");
    let not_yaml = error(
        r#"import "encoding/yaml"
v: yaml.Validate("a: [1", {a: _})
"#,
        "v",
    );
    assert!(
        not_yaml.starts_with("error in call to encoding/yaml.Validate: invalid YAML"),
        "{not_yaml}"
    );
}

#[test]
fn yaml_marshal_and_unmarshal() {
    let source = r#"import "encoding/yaml"
m: yaml.MarshalStream([{a: 1}, {b: int | *2}])
u: yaml.UnmarshalStream("1\n---\n---\n2")
one: yaml.Unmarshal("a: {b: [1, x]}")
"#;
    assert_eq!(export(source, "m"), json!("a: 1\n---\nb: 2\n"));
    assert_eq!(export(source, "u"), json!([1, null, 2]));
    assert_eq!(export(source, "one"), json!({"a": {"b": [1, "x"]}}));
}

#[test]
fn openapi_config_is_a_definition_with_defaults() {
    let source = r#"import "encoding/openapi"
c: openapi.#Config & {info: {title: "T", version: "1"}}
wrong: openapi.#Config & {version: "2.0"}
"#;
    assert_eq!(
        export(source, "c"),
        json!({"version": "3.0.0", "info": {"title": "T", "version": "1"},
               "selfContained": false, "expandReferences": false})
    );
    let wrong = error(source, "wrong");
    assert!(
        wrong.contains("conflicting values \"2.0\" and \"3.0.0\"")
            || wrong.contains("conflicting values \"3.0.0\" and \"2.0\""),
        "{wrong}"
    );
}

#[test]
fn list_match_n_counts_the_elements_a_schema_accepts() {
    let source = r#"
import "list"
data: [1, 2, 3, "str", [1], {foo: 1}]
one: data & list.MatchN(1, string)
atLeast: data & list.MatchN(>=1, number)
either: data & list.MatchN(1 | 2, 2 | *1)
// A schema with a default keeps its alternatives: 1, 2 and 3 are ints.
ints: data & list.MatchN(3, int | *1)
// Of the alternatives, only the list with two elements that are 1 or 2 remains.
pick: (["xx", 1, 2, 3] | [1]) & list.MatchN(>=2, 1 | *2)
closed: data & list.MatchN(0, #Too)
#Too: {too: int}
called: list.MatchN(data, 3, int)
calledNo: list.MatchN(data, 2, int)
"#;
    let data = json!([1, 2, 3, "str", [1], {"foo": 1}]);
    assert_eq!(export(source, "one"), data);
    assert_eq!(export(source, "atLeast"), data);
    assert_eq!(export(source, "either"), data);
    assert_eq!(export(source, "ints"), data);
    assert_eq!(export(source, "pick"), json!(["xx", 1, 2, 3]));
    assert_eq!(export(source, "closed"), data);
    assert_eq!(export(source, "called"), json!(true));
    assert_eq!(export(source, "calledNo"), json!(false));
}

#[test]
fn a_list_not_matching_list_match_n_is_an_error_naming_the_count() {
    let source = "import \"list\"\nx: [1, \"a\"] & list.MatchN(2, int)\n";
    let message = error(source, "x");
    assert!(
        message.starts_with(
            "invalid value [1,\"a\"] (does not satisfy list.MatchN): number of matched \
             elements is 1"
        ),
        "{message}"
    );
    assert!(message.contains("in.cue:2:15"), "{message}");
    // A bad argument names the call and the argument.
    let source = "import \"list\"\nx: list.MatchN(1, 2, int)\n";
    let message = error(source, "x");
    assert!(
        message.starts_with("cannot use 1 (type int) as list in argument 1 to list.MatchN"),
        "{message}"
    );
    let source = "import \"list\"\nx: [1] & list.MatchN(1)\n";
    let message = error(source, "x");
    assert!(message.contains("list.MatchN"), "{message}");
}

#[test]
fn json_validate_is_a_validator_too() {
    let source = r#"
import "encoding/json"
ok: "{\"name\": \"foo\"}" & json.Validate({name!: string})
bad: "{\"name\": 1}" & json.Validate({name!: string})
"#;
    assert_eq!(export(source, "ok"), json!("{\"name\": \"foo\"}"));
    let message = error(source, "bad");
    assert!(
        message.starts_with(
            "invalid value \"{\\\"name\\\": 1}\" (does not satisfy encoding/json.Validate)"
        ),
        "{message}"
    );
}
