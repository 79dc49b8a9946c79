//! One test per mapping rule: a small schema, the exported schema object.

use serde_json::{json, Value as Json};

use crate::{NoImports, Package, PackageFiles};

fn package(source: &str) -> Package {
    Package::load(
        PackageFiles {
            files: vec![("schema.cue".into(), source.into())],
        },
        &NoImports,
    )
}

/// The OpenAPI schema object of `#A`.
fn openapi(source: &str) -> Json {
    let document = package(source).openapi(None).expect("exports");
    document["components"]["schemas"]["A"].clone()
}

/// The JSON Schema of `#A` (under `$defs`).
fn json_schema(source: &str) -> Json {
    let document = package(source).json_schema(Some("#A")).expect("exports");
    assert_eq!(document["$ref"], json!("#/$defs/A"));
    document["$defs"]["A"].clone()
}

fn property(schema: &Json, name: &str) -> Json {
    schema["properties"][name].clone()
}

#[test]
fn kinds_map_to_types_and_formats() {
    let a = openapi("#A: {i: int, n: number, s: string, b: bool, y: bytes, t: int32, u: int64}");
    assert_eq!(property(&a, "i"), json!({"type": "integer"}));
    assert_eq!(property(&a, "n"), json!({"type": "number"}));
    assert_eq!(property(&a, "s"), json!({"type": "string"}));
    assert_eq!(property(&a, "b"), json!({"type": "boolean"}));
    assert_eq!(
        property(&a, "y"),
        json!({"type": "string", "format": "binary"})
    );
    assert_eq!(
        property(&a, "t"),
        json!({"type": "integer", "format": "int32"})
    );
    assert_eq!(
        property(&a, "u"),
        json!({"type": "integer", "format": "int64"})
    );
    // JSON Schema states sized integers by their bounds.
    let a = json_schema("#A: {t: int32}");
    assert_eq!(
        property(&a, "t"),
        json!({"type": "integer", "minimum": -2147483648i64, "maximum": 2147483647})
    );
}

#[test]
fn bounds_are_minimum_and_maximum() {
    let a = openapi("#A: {q: int & >0 & <=10}");
    assert_eq!(
        property(&a, "q"),
        json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 10})
    );
    let a = json_schema("#A: {q: int & >0 & <=10 & >=-5}");
    assert_eq!(
        property(&a, "q"),
        json!({"type": "integer", "exclusiveMinimum": 0, "maximum": 10})
    );
}

#[test]
fn counts_and_multiples_are_spelled_alike_in_both_encodings() {
    // Two counts on one side keep the tighter; a second `multipleOf` must hold as well.
    let source = r#"
import ("list", "math", "strings")
#A: {
    s: strings.MinRunes(2) & strings.MinRunes(4) & strings.MaxRunes(9) & strings.MaxRunes(7)
    l: list.MinItems(3) & list.MinItems(1) & list.UniqueItems()
    n: int & math.MultipleOf(3) & math.MultipleOf(5)
}"#;
    for a in [openapi(source), json_schema(source)] {
        assert_eq!(property(&a, "s")["minLength"], json!(4));
        assert_eq!(property(&a, "s")["maxLength"], json!(7));
        assert_eq!(property(&a, "l")["minItems"], json!(3));
        assert_eq!(property(&a, "l")["uniqueItems"], json!(true));
        let n = property(&a, "n");
        let mut multiples = vec![n["multipleOf"].clone(), n["allOf"][0]["multipleOf"].clone()];
        multiples.sort_by_key(|m| m.as_u64());
        assert_eq!(multiples, [json!(3), json!(5)]);
        assert_eq!(n["allOf"].as_array().map(Vec::len), Some(1));
    }
}

#[test]
fn open_api_keeps_the_tighter_of_two_bounds_on_each_side() {
    let a = openapi("#A: {q: int & >=1 & >3 & <=20 & <10}");
    assert_eq!(
        property(&a, "q"),
        json!({"type": "integer", "minimum": 3, "exclusiveMinimum": true,
               "maximum": 10, "exclusiveMaximum": true})
    );
}

#[test]
fn regexes_are_patterns() {
    let a = openapi(r#"#A: {a: =~"^x", b: !~"y"}"#);
    assert_eq!(
        property(&a, "a"),
        json!({"type": "string", "pattern": "^x"})
    );
    assert_eq!(
        property(&a, "b"),
        json!({"type": "string", "not": {"pattern": "y"}})
    );
}

#[test]
fn required_differs_between_encodings() {
    let source = r#"#A: {a: int, b?: int, c!: int, d: *1 | int, e: "x"}"#;
    // OpenAPI lists every regular field, as CUE does.
    assert_eq!(openapi(source)["required"], json!(["a", "c", "d", "e"]));
    // JSON Schema lists what data must supply: defaults and concrete values fill in.
    assert_eq!(json_schema(source)["required"], json!(["a", "c"]));
}

#[test]
fn literal_disjunctions_are_enums_with_defaults() {
    let a = openapi(r#"#A: {k: *"a" | "b"}"#);
    assert_eq!(
        property(&a, "k"),
        json!({"type": "string", "enum": ["a", "b"], "default": "a"})
    );
    let a = json_schema(r#"#A: {k: *"a" | "b"}"#);
    assert_eq!(
        property(&a, "k"),
        json!({"enum": ["a", "b"], "default": "a"})
    );
}

#[test]
fn a_default_that_another_alternative_accepts_is_only_a_default() {
    let a = openapi("#A: {n: *3 | int}");
    assert_eq!(property(&a, "n"), json!({"type": "integer", "default": 3}));
    let a = json_schema("#A: {n: *3 | int}");
    assert_eq!(property(&a, "n"), json!({"type": "integer", "default": 3}));
}

#[test]
fn null_alternatives_are_nullable() {
    let a = openapi("#A: {n: null | string}");
    assert_eq!(
        property(&a, "n"),
        json!({"type": "string", "nullable": true})
    );
    let a = json_schema("#A: {n: null | string}");
    assert_eq!(property(&a, "n"), json!({"type": ["null", "string"]}));
}

#[test]
fn other_disjunctions_are_one_of_and_any_of() {
    let a = openapi(r#"#A: {x: int | =~"^a"}"#);
    assert_eq!(
        property(&a, "x"),
        json!({"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^a"}]})
    );
    let a = json_schema(r#"#A: {x: int | =~"^a"}"#);
    assert_eq!(
        property(&a, "x"),
        json!({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^a"}]})
    );
}

#[test]
fn references_to_definitions_are_refs() {
    let source = "#B: {x: int}\n#A: {b: #B, c?: #B | null}\n#Unused: string";
    let a = openapi(source);
    assert_eq!(property(&a, "b"), json!({"$ref": "#/components/schemas/B"}));
    let document = package(source).json_schema(Some("#A")).expect("exports");
    assert_eq!(
        property(&document["$defs"]["A"], "b"),
        json!({"$ref": "#/$defs/B"})
    );
    // Only the definition and what it uses, in declaration order.
    let names: Vec<&String> = document["$defs"]
        .as_object()
        .expect("defs")
        .keys()
        .collect();
    assert_eq!(names, ["B", "A"]);
}

#[test]
fn doc_comments_are_descriptions() {
    let a = openapi("// An A.\n#A: {\n\t// The x.\n\tx: int\n}");
    assert_eq!(a["description"], json!("An A."));
    assert_eq!(property(&a, "x")["description"], json!("The x."));
}

#[test]
fn string_patterns_are_additional_properties() {
    let a = openapi("#A: {m: [string]: int}");
    assert_eq!(
        property(&a, "m"),
        json!({"type": "object", "additionalProperties": {"type": "integer"}})
    );
    let a = json_schema(r#"#A: {[=~"^x-"]: int, a?: string}"#);
    assert_eq!(a["patternProperties"], json!({"^x-": {"type": "integer"}}));
    assert_eq!(a["additionalProperties"], json!(false));
}

#[test]
fn closed_definitions_forbid_other_fields_in_json_schema_only() {
    assert_eq!(
        json_schema("#A: {a?: int}")["additionalProperties"],
        json!(false)
    );
    assert_eq!(
        json_schema("#A: {a?: int, ...}").get("additionalProperties"),
        None
    );
    assert_eq!(openapi("#A: {a?: int}").get("additionalProperties"), None);
}

#[test]
fn lists_are_arrays() {
    let a = openapi("#A: {l: [...string]}");
    assert_eq!(
        property(&a, "l"),
        json!({"type": "array", "items": {"type": "string"}})
    );
    let a = json_schema("#A: {t: [int, string], u: [int, ...string]}");
    assert_eq!(
        property(&a, "t"),
        json!({"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}],
               "minItems": 2, "items": false})
    );
    assert_eq!(
        property(&a, "u"),
        json!({"type": "array", "prefixItems": [{"type": "integer"}], "minItems": 1,
               "items": {"type": "string"}})
    );
}

#[test]
fn builtin_validators_map_to_keywords() {
    let a = openapi(
        "import (\"strings\"\n\"list\"\n\"time\"\n\"math\"\n\"uuid\")\n\
         #A: {s: strings.MinRunes(1) & strings.MaxRunes(3), l: list.MinItems(1) & \
         list.MaxItems(2) & list.UniqueItems(), t: time.Time, m: math.MultipleOf(5), \
         u: uuid.Valid, p: strings.HasPrefix(\"a.\")}",
    );
    assert_eq!(
        property(&a, "s"),
        json!({"type": "string", "minLength": 1, "maxLength": 3})
    );
    assert_eq!(
        property(&a, "l"),
        json!({"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true})
    );
    assert_eq!(
        property(&a, "t"),
        json!({"type": "string", "format": "date-time"})
    );
    assert_eq!(property(&a, "m")["multipleOf"], json!(5));
    assert_eq!(property(&a, "u")["format"], json!("uuid"));
    assert_eq!(property(&a, "p")["pattern"], json!("^a\\."));
}

#[test]
fn constraints_without_a_mapping_are_listed_not_dropped() {
    let a = openapi("import \"strings\"\n#A: {s: strings.ContainsAny(\"xy\"), t: >\"m\"}");
    assert_eq!(
        property(&a, "s")[crate::UNSUPPORTED_EXTENSION],
        json!(["strings.ContainsAny(\"xy\")"])
    );
    assert_eq!(
        property(&a, "t")[crate::UNSUPPORTED_EXTENSION],
        json!([">\"m\""])
    );
    // A constraint that depends on the data is named too.
    let a = json_schema("#A: {a: int, b: a + 1}");
    let note = property(&a, "b")[crate::UNSUPPORTED_EXTENSION][0].clone();
    assert!(note.as_str().is_some_and(|n| n.contains("a + 1")), "{note}");
}

#[test]
fn not_equal_is_not_enum_and_not_const() {
    let a = openapi("#A: {a: int & !=3, s: string & !=\"x\"}");
    assert_eq!(
        property(&a, "a"),
        json!({"type": "integer", "not": {"allOf": [{"minimum": 3}, {"maximum": 3}]}})
    );
    assert_eq!(
        property(&a, "s"),
        json!({"type": "string", "not": {"enum": ["x"]}})
    );
    let a = json_schema("#A: {a: int & !=3}");
    assert_eq!(
        property(&a, "a"),
        json!({"type": "integer", "not": {"const": 3}})
    );
}

#[test]
fn info_comes_from_the_package() {
    let document = package("info: {title: \"T\", version: \"v2\"}\n#A: int")
        .openapi(None)
        .expect("exports");
    assert_eq!(document["info"], json!({"title": "T", "version": "v2"}));
    let document = package("#A: int").openapi(None).expect("exports");
    assert_eq!(
        document["info"],
        json!({"title": "Generated by cue.", "version": "no version"})
    );
}

#[test]
fn nested_definitions_are_dotted() {
    let document = package("#A: {#B: {x: int}, b: #B}")
        .openapi(None)
        .expect("exports");
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["A"]["properties"]["b"],
        json!({"$ref": "#/components/schemas/A.B"})
    );
    assert_eq!(schemas["A.B"]["required"], json!(["x"]));
}

#[test]
fn errors_and_unknown_names_are_diagnostics() {
    let errors = package("#A: {a: int & string}").openapi(None).unwrap_err();
    assert!(!errors.is_empty());
    let errors = package("#A: int").json_schema(Some("#B")).unwrap_err();
    assert_eq!(errors[0].code, "EXPORT");
    let errors = package("#A: int").json_schema(Some("A")).unwrap_err();
    assert_eq!(errors[0].code, "EXPORT");
}

#[test]
fn recursive_definitions_stop_at_their_refs() {
    let document = package("#A: {v: int, next?: #A}")
        .json_schema(Some("#A"))
        .expect("exports");
    assert_eq!(
        document["$defs"]["A"]["properties"]["next"],
        json!({"$ref": "#/$defs/A"})
    );
}

/// The package's top-level value as the root schema.
fn package_schema(source: &str) -> Json {
    package(source).json_schema_package().expect("exports")
}

#[test]
fn the_package_root_is_a_schema_with_the_definitions_it_uses() {
    let document = package_schema(
        "// The root.\npackage p\n#D: {x!: int}\n#Unused: string\na?: int\nb!: string\nc: int\nd: 1\ne?: #D\n",
    );
    assert_eq!(document["description"], json!("The root."));
    assert_eq!(document["type"], json!("object"));
    assert_eq!(document["required"], json!(["b", "c"]));
    assert_eq!(property(&document, "e"), json!({"$ref": "#/$defs/D"}));
    // Only what the root refers to; the root itself is open, as `cue vet` treats it.
    assert_eq!(
        document["$defs"].as_object().map(|d| d.len()),
        Some(1),
        "{document}"
    );
    assert!(document.get("additionalProperties").is_none());
    let closed = package_schema("close({a?: int})");
    assert_eq!(closed["additionalProperties"], json!(false), "{closed}");
}

#[test]
fn openapi_states_object_once_for_a_disjunction_of_a_struct_reference_and_a_struct() {
    let a = openapi("#A: #P | *{p: 1}\n#P: {p: int, q: [...int]}\n");
    assert_eq!(a["type"], json!("object"), "{a}");
    assert_eq!(a["default"], json!({"p": 1}), "{a}");
    assert_eq!(
        a["oneOf"],
        json!([
            {"$ref": "#/components/schemas/P"},
            {"required": ["p"], "properties": {"p": {"type": "integer", "enum": [1]}}}
        ]),
        "{a}"
    );
    // A reference to a definition that is not a struct keeps the types in the alternatives.
    let b = openapi("#A: #S | {p: 1}\n#S: string\n");
    assert!(b.get("type").is_none(), "{b}");
    // References alone (here beside null) state no type of their own.
    let c = openapi("#A: *null | #P\n#P: {p: int}\n");
    assert!(c.get("type").is_none(), "{c}");
}

#[test]
fn a_definition_as_the_root_is_written_out_and_closed_at_every_level() {
    let source = "package p\n#S: {a?: string, b?: {b2?: string}, c?: #T}\n#T: {x!: int}\n";
    let document = package(source)
        .json_schema_package_at("#S")
        .expect("exports");
    // In place, not a `$ref`; the struct inside the definition is closed as well.
    assert!(document.get("$ref").is_none(), "{document}");
    assert_eq!(document["type"], json!("object"));
    assert_eq!(document["additionalProperties"], json!(false), "{document}");
    assert_eq!(
        property(&document, "b")["additionalProperties"],
        json!(false),
        "{document}"
    );
    assert_eq!(property(&document, "c"), json!({"$ref": "#/$defs/T"}));
    assert_eq!(
        document["$defs"]
            .as_object()
            .map(|d| d.keys().collect::<Vec<_>>()),
        Some(vec![&"T".to_string()]),
        "{document}"
    );
    for bad in ["S", "#Missing"] {
        let errors = package(source)
            .json_schema_package_at(bad)
            .expect_err("not a definition of the package");
        assert!(
            errors[0].message.contains(bad),
            "{bad}: {}",
            errors[0].message
        );
    }
}

#[test]
fn floats_exclude_integers_and_integral_float_constants_are_noted() {
    let a = json_schema("#A: {f: float, g: float & >1, h: 2.0, n: number}");
    assert_eq!(
        property(&a, "f"),
        json!({"type": "number", "not": {"type": "integer"}})
    );
    assert_eq!(
        property(&a, "g"),
        json!({"type": "number", "exclusiveMinimum": 1, "not": {"type": "integer"}})
    );
    // `const: 2.0` also accepts the integer 2, which CUE rejects: looser, so noted.
    assert_eq!(property(&a, "h")["const"], json!(2.0));
    assert!(property(&a, "h")[crate::UNSUPPORTED_EXTENSION].is_array());
    assert_eq!(property(&a, "n"), json!({"type": "number"}));
    // OpenAPI keeps CUE's own mapping.
    assert_eq!(
        property(&openapi("#A: {f: float}"), "f"),
        json!({"type": "number"})
    );
}

#[test]
fn bytes_are_base64_strings_that_json_data_cannot_supply() {
    let a = json_schema("#A: {y: bytes, s: bytes | string}");
    let y = property(&a, "y");
    assert_eq!(y["type"], json!("string"));
    assert_eq!(y["contentEncoding"], json!("base64"));
    assert!(y[crate::UNSUPPORTED_EXTENSION].is_array());
    assert_eq!(property(&a, "s"), json!({"type": "string"}));
}

#[test]
fn values_computed_from_the_data_are_not_stated_as_constants() {
    // Without data `count` is 0 and `b` is only `int`: neither is what the data makes them.
    let document = package_schema("items: [...int]\ncount: len(items)\na: int\nb: a\n");
    let count = property(&document, "count");
    assert!(count.get("const").is_none(), "{count}");
    assert!(count[crate::UNSUPPORTED_EXTENSION].is_array());
    assert_eq!(document["required"], json!(["a"]), "{document}");
    // A comprehension that adds fields from the data opens a closed definition.
    let a = json_schema("#A: {m: [string]: int, for k, v in m {\"\\(k)_copy\": v}}");
    assert!(a.get("additionalProperties").is_none(), "{a}");
    assert!(a[crate::UNSUPPORTED_EXTENSION].is_array(), "{a}");
}

/// A bound referring to a concrete field of the same definition cannot change (data can only
/// repeat `max`), so it is exported, not dropped as depending on the data.
#[test]
fn a_bound_on_a_concrete_sibling_field_is_kept() {
    let source = "#A: {\n\tmax: 10 * 2\n\tn: int & <max\n\tlimit: int\n\tm: int & <limit\n}";
    let a = openapi(source);
    assert_eq!(
        property(&a, "n"),
        json!({"type": "integer", "maximum": 20, "exclusiveMaximum": true})
    );
    let a = json_schema(source);
    assert_eq!(
        property(&a, "n"),
        json!({"type": "integer", "exclusiveMaximum": 20})
    );
    // `m` reads a field the data sets: whether data must supply it cannot be told without
    // the data, so it is not required (the looser verdict).
    assert_eq!(a["required"], json!(["n", "limit"]));
    // A bound on a field the data sets still depends on the data, and says so.
    let m = property(&a, "m");
    assert!(
        m["x-cue-unsupported"][0]
            .as_str()
            .is_some_and(|note| note.starts_with("depends on the data")),
        "{m}"
    );
}

/// A field computed only from other fields is filled in by CUE: data that `cue vet` accepts
/// leaves it out, so neither encoding lists it as required.
#[test]
fn a_field_computed_from_others_is_not_required() {
    let source = "#A: {\n\tfirst: string\n\tlast: string\n\tdisplay: \"\\(first) \\(last)\"\n}";
    let a = openapi(source);
    assert_eq!(a["required"], json!(["first", "last"]));
    let a = json_schema(source);
    assert_eq!(a["required"], json!(["first", "last"]));
}

/// `matchN`, `matchIf` and `list.MatchN` are validators taking schemas: each becomes the
/// combinator JSON Schema has for it, not a value computed from the data.
#[test]
fn validators_taking_schemas_are_combinators() {
    let source = r#"import "list"
#A: {
	one?: matchN(1, [int, string, >5])
	none?: matchN(0, [int])
	some?: matchN(>=1, [int, string])
	all?: matchN(2, [int, >5])
	never?: matchN(1, [int, error("no")])
	odd?: matchN(2, [int, string, bool])
	cond?: matchIf({a!: int, ...}, {b!: int, ...}, _)
	items?: list.MatchN(>=2 & <=5, string)
	any?: list.MatchN(>=1, _)
}"#;
    let a = json_schema(source);
    assert_eq!(
        property(&a, "one"),
        json!({"oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "number", "exclusiveMinimum": 5}]})
    );
    assert_eq!(property(&a, "none"), json!({"not": {"type": "integer"}}));
    assert_eq!(
        property(&a, "some"),
        json!({"anyOf": [{"type": "integer"}, {"type": "string"}]})
    );
    assert_eq!(
        property(&a, "all"),
        json!({"allOf": [{"type": "integer"}, {"type": "number", "exclusiveMinimum": 5}]})
    );
    assert_eq!(
        property(&a, "never"),
        json!({"oneOf": [{"type": "integer"}, false]})
    );
    // A count that no combinator states is noted, not dropped.
    assert!(property(&a, "odd")[crate::UNSUPPORTED_EXTENSION].is_array());
    let cond = property(&a, "cond");
    assert_eq!(cond["if"]["required"], json!(["a"]), "{cond}");
    assert_eq!(cond["then"]["required"], json!(["b"]), "{cond}");
    assert!(cond.get("else").is_none(), "{cond}");
    assert_eq!(
        property(&a, "items"),
        json!({"type": "array", "contains": {"type": "string"}, "minContains": 2, "maxContains": 5})
    );
    assert_eq!(
        property(&a, "any"),
        json!({"type": "array", "contains": true, "minContains": 1})
    );
    // OpenAPI 3.0 has the same combinators but no `if` or `contains`.
    let a = openapi(source);
    assert_eq!(
        property(&a, "never"),
        json!({"oneOf": [{"type": "integer"}, {"not": {}}]})
    );
    assert!(property(&a, "cond")[crate::UNSUPPORTED_EXTENSION].is_array());
    assert!(property(&a, "items")[crate::UNSUPPORTED_EXTENSION].is_array());
}

/// A package that is one definition (`#T` embedded beside it) is a `$ref` to it: the
/// definition's closedness applies to the fields it declares, which `additionalProperties`
/// at the root could not see.
#[test]
fn a_package_that_embeds_one_definition_refers_to_it() {
    let document = package_schema("#T\n#T: {a?: int, b!: string}\n");
    assert_eq!(document["$ref"], json!("#/$defs/T"), "{document}");
    assert_eq!(document["type"], json!("object"), "{document}");
    assert!(document.get("additionalProperties").is_none(), "{document}");
    assert_eq!(document["$defs"]["T"]["additionalProperties"], json!(false));
    assert_eq!(document["$defs"]["T"]["required"], json!(["b"]));
    // With a regular field beside it, the package is a struct of its own.
    let document = package_schema("#T\nc?: int\n#T: {a?: int, ...}\n");
    assert!(document.get("$ref").is_none(), "{document}");
}

/// As CUE does, OpenAPI leaves out definitions named `*_value` (Protocol Buffers' enum value
/// tables) and the definitions inside the alternatives of a disjunction.
#[test]
fn value_tables_and_definitions_inside_disjunctions_are_not_schemas() {
    let source =
        "#D: {\n\ta: int\n\t#b: int\n\t#b_value: int\n}\n#M: {\"A\", #n: 0} | {\"B\", #n: 1}\n";
    let document = package(source).openapi(None).expect("exports");
    let schemas = &document["components"]["schemas"];
    assert!(schemas.get("D.b").is_some(), "{schemas}");
    assert!(schemas.get("D.b_value").is_none(), "{schemas}");
    assert!(schemas.get("M.n").is_none(), "{schemas}");
    assert_eq!(schemas["M"]["enum"], json!(["A", "B"]), "{schemas}");
}

/// `int64 | null` is stated by its bounds, as CUE does beside `null`.
#[test]
fn a_nullable_sized_integer_has_bounds_not_a_format() {
    let a = openapi("#A: {n: int32 | null, m: int64}");
    assert_eq!(
        property(&a, "n"),
        json!({"type": "integer", "minimum": i32::MIN, "maximum": i32::MAX, "nullable": true})
    );
    assert_eq!(
        property(&a, "m"),
        json!({"type": "integer", "format": "int64"})
    );
}

/// The OpenAPI document of `source` with `config`.
fn openapi_with(source: &str, config: &crate::OpenApiConfig) -> Json {
    package(source).openapi_with(None, config).expect("exports")
}

#[test]
fn expanded_references_write_the_definition_in_place() {
    let config = crate::OpenApiConfig {
        expand_references: true,
        ..Default::default()
    };
    let document = openapi_with(
        "#A: {b: #B, list: [...#B]}\n#B: {n: int & >0, #Inner: {s: string}}",
        &config,
    );
    let b = json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}});
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["A"]["properties"]["b"], b);
    assert_eq!(schemas["A"]["properties"]["list"]["items"], b);
    // The definitions nested in an expanded one are listed again where they were expanded.
    let inner =
        json!({"type": "object", "required": ["s"], "properties": {"s": {"type": "string"}}});
    assert_eq!(schemas["A.b.Inner"], inner);
    assert_eq!(schemas["A.list.*.Inner"], inner);
    assert_eq!(schemas["B.Inner"], inner);
    // Without the option, references stay.
    let document = openapi_with("#A: {b: #B}\n#B: int", &Default::default());
    assert_eq!(
        document["components"]["schemas"]["A"]["properties"]["b"],
        json!({"$ref": "#/components/schemas/B"})
    );
}

#[test]
fn a_definition_that_refers_to_itself_cannot_be_expanded() {
    let config = crate::OpenApiConfig {
        expand_references: true,
        ..Default::default()
    };
    let errors = package("#Foo: [string]: #Foo")
        .openapi_with(None, &config)
        .expect_err("a cycle");
    assert!(
        errors[0].message.contains("cycle in reference at #Foo"),
        "{}",
        errors[0].message
    );
    // The same definition exports by reference.
    let document = openapi_with("#Foo: [string]: #Foo", &Default::default());
    assert_eq!(
        document["components"]["schemas"]["Foo"]["additionalProperties"],
        json!({"$ref": "#/components/schemas/Foo"})
    );
}

#[test]
fn a_field_filter_removes_matching_keywords_but_not_properties() {
    let mut config = crate::OpenApiConfig::default();
    config
        .set_field_filter("min.*|max.*")
        .expect("a valid pattern");
    let document = openapi_with(
        "#A: {small: int8, minimum: string & =~\"^a\", max: [...int] & [_, ...]}",
        &config,
    );
    let a = &document["components"]["schemas"]["A"];
    assert_eq!(property(a, "small"), json!({"type": "integer"}));
    // A property named like a keyword stays; its own keywords are filtered.
    assert_eq!(
        property(a, "minimum"),
        json!({"type": "string", "pattern": "^a"})
    );
    assert_eq!(
        property(a, "max"),
        json!({"type": "array", "items": {"type": "integer"}})
    );
    // The pattern matches whole keywords only: `pattern` is not `max.*`.
    let mut config = crate::OpenApiConfig::default();
    config.set_field_filter("pat").expect("a valid pattern");
    let document = openapi_with("#A: =~\"x\"", &config);
    assert_eq!(
        document["components"]["schemas"]["A"],
        json!({"type": "string", "pattern": "x"})
    );
    assert!(crate::OpenApiConfig::default()
        .set_field_filter("(")
        .is_err());
}

#[test]
fn openapi_3_1_states_exclusive_bounds_as_numbers() {
    let config = crate::OpenApiConfig {
        version: crate::OpenApiVersion::V3_1,
        ..Default::default()
    };
    let document = openapi_with("#A: >5 & <=6", &config);
    assert_eq!(document["openapi"], json!("3.1.0"));
    assert_eq!(
        document["components"]["schemas"]["A"],
        json!({"type": "number", "exclusiveMinimum": 5, "maximum": 6})
    );
    assert_eq!(
        crate::OpenApiVersion::parse("3.1.0"),
        Some(crate::OpenApiVersion::V3_1)
    );
    assert_eq!(crate::OpenApiVersion::parse("2.0"), None);
}

#[test]
fn a_field_marked_deprecated_by_its_protobuf_attribute_is_deprecated() {
    let a = openapi(
        "#A: {old: string @protobuf(5,deprecated), named: int @protobuf(6,name=deprecated)}",
    );
    assert_eq!(
        property(&a, "old"),
        json!({"type": "string", "deprecated": true})
    );
    assert_eq!(property(&a, "named"), json!({"type": "integer"}));
}

#[test]
fn alternatives_that_are_structs_state_shared_properties_once_and_the_empty_one_as_none() {
    let document =
        package("#A: {\n\tshared: int\n\t{} | {b: string, c?: int}\n\t#Inner: {} | {x: string}\n}")
            .openapi(None)
            .expect("exports");
    let schemas = &document["components"]["schemas"];
    let only_b = json!({"properties": {"b": {"type": "string"}, "c": {"type": "integer"}}, "required": ["b"]});
    assert_eq!(
        schemas["A"],
        json!({
            "type": "object",
            "properties": {"shared": {"type": "integer"}},
            "required": ["shared"],
            "oneOf": [{"not": {"anyOf": [only_b]}}, only_b],
        })
    );
    // A definition declared beside the embedded disjunction belongs to the struct.
    let x = json!({"properties": {"x": {"type": "string"}}, "required": ["x"]});
    assert_eq!(
        schemas["A.Inner"],
        json!({"type": "object", "oneOf": [{"not": {"anyOf": [x]}}, x]})
    );
    // Alternatives that declare different definitions have none of their own.
    let document = package("#E: {\"A\", #v: 0} | {\"B\", #v: 1}")
        .openapi(None)
        .expect("exports");
    assert!(document["components"]["schemas"].get("E.v").is_none());
}

#[test]
fn expanded_alternatives_are_structural() {
    let config = crate::OpenApiConfig {
        expand_references: true,
        ..Default::default()
    };
    let document = openapi_with("#A: {a: int} | {b: #B}\n#B: {} | {x: string}", &config);
    let b_inside =
        json!({"oneOf": [{"not": {"anyOf": [{"required": ["x"]}]}}, {"required": ["x"]}]});
    assert_eq!(
        document["components"]["schemas"]["A"],
        json!({
            "type": "object",
            "properties": {
                "a": {"type": "integer"},
                "b": {"type": "object", "properties": {"x": {"type": "string"}}},
            },
            "oneOf": [
                {"required": ["a"]},
                {"required": ["b"], "properties": {"b": b_inside}},
            ],
        })
    );
}

#[test]
fn an_alternative_another_one_widens_is_stated_as_none_of_the_wider_ones() {
    let document = package("#A: {s: int} | {s: int, x: int} | {s: int, x: int} | {t: string}")
        .openapi(None)
        .expect("exports");
    let x = json!({"properties": {"s": {"type": "integer"}, "x": {"type": "integer"}}, "required": ["s", "x"]});
    let s = json!({"properties": {"s": {"type": "integer"}}, "required": ["s"]});
    let t = json!({"properties": {"t": {"type": "string"}}, "required": ["t"]});
    // The repeated alternative is stated once: `oneOf` would reject what both accept.
    assert_eq!(
        document["components"]["schemas"]["A"],
        json!({
            "type": "object",
            "oneOf": [{"allOf": [s, {"not": {"anyOf": [x]}}]}, x, t],
        })
    );
}

#[test]
fn an_explicit_error_where_a_value_may_be_absent_accepts_nothing() {
    let source = r#"#A: {
	// Never set.
	gone?: _|_
	never?: _|_
	[=~"^x-"]: _|_
	...
}"#;
    let a = json_schema(source);
    assert_eq!(property(&a, "never"), json!(false));
    assert_eq!(
        property(&a, "gone"),
        json!({"description": "Never set.", "not": {}})
    );
    assert_eq!(a["patternProperties"]["^x-"], json!(false));
    let a = openapi(source);
    assert_eq!(property(&a, "never"), json!({"not": {}}));
    // Any other error in a definition still fails the export.
    assert!(package("#A: {a?: int & string}").json_schema(None).is_err());
}

#[test]
fn labels_outside_some_regexes_are_property_names_or_additional_properties() {
    // Every other label forbidden: the labels must match.
    let a = json_schema(r#"#A: {[!~"^[a-z]+$"]: _|_, ...}"#);
    assert_eq!(a["propertyNames"], json!({"pattern": "^[a-z]+$"}));
    let a = json_schema(r#"#A: {[!~"^a" & !~"^b"]: _|_, ...}"#);
    assert_eq!(a["propertyNames"], json!({"pattern": "(?:^a)|(?:^b)"}));
    // Excluding exactly the declared fields and the patterns: `additionalProperties`.
    let a = json_schema(
        r#"#A: {a?: string, "b.c"?: int, [=~"^x-"]: bool, [!~"^x-" & !~"^(a|b\\.c)$"]: int}"#,
    );
    assert_eq!(a["additionalProperties"], json!({"type": "integer"}));
    assert_eq!(a["patternProperties"], json!({"^x-": {"type": "boolean"}}));
    // Not exactly them (`b` is declared but not excluded): stated nowhere, but noted.
    let a = json_schema(r#"#A: {a?: string, b?: int, [!~"^(a)$"]: int}"#);
    assert!(a
        .get("additionalProperties")
        .is_none_or(|x| x == &json!(false)));
    assert!(a[crate::export::UNSUPPORTED_EXTENSION][0]
        .as_str()
        .is_some_and(|n| n.contains("none of")));
    let o = openapi(r#"#A: {[!~"^[a-z]+$"]: _|_, ...}"#);
    assert!(o[crate::export::UNSUPPORTED_EXTENSION][0]
        .as_str()
        .is_some_and(|n| n.contains("cannot state")));
}

#[test]
fn the_formats_the_importer_reads_are_exported_back() {
    let a = json_schema(
        "import (\"net\", \"regexp\")\n#A: {u: net.AbsURL, r: net.URL, h: net.FQDN, x: regexp.Valid}",
    );
    assert_eq!(
        property(&a, "u"),
        json!({"type": "string", "format": "uri"})
    );
    assert_eq!(
        property(&a, "r"),
        json!({"type": "string", "format": "uri-reference"})
    );
    assert_eq!(
        property(&a, "h"),
        json!({"type": "string", "format": "hostname"})
    );
    assert_eq!(
        property(&a, "x"),
        json!({"type": "string", "format": "regex"})
    );
}

#[test]
fn the_package_names_the_hidden_fields_it_refers_to_as_schemas() {
    // A value outside the definitions that only refers to a hidden field is a `$ref` to it;
    // a definition whose name the field takes keeps its `#`.
    let document = package_schema("a?: #_Bar\nb?: _Bar\n#_Bar: x?: int\n_Bar: y?: int\n");
    assert_eq!(
        document["properties"]["a"],
        json!({"$ref": "#/$defs/%23_Bar"})
    );
    assert_eq!(document["properties"]["b"], json!({"$ref": "#/$defs/_Bar"}));
    assert_eq!(
        document["$defs"]["_Bar"],
        json!({"type": "object", "properties": {"y": {"type": "integer"}}})
    );
    assert_eq!(
        document["$defs"]["#_Bar"]["additionalProperties"],
        json!(false)
    );
    // A regular field is not named: data can set it.
    let document = package_schema("b?: Bar\nBar: y?: int\n");
    assert!(document.get("$defs").is_none(), "{document}");
}

#[test]
fn a_recursion_through_a_hidden_field_is_a_ref() {
    // Inside the definition the recursion is closed like the definition: a `$ref` to it;
    // outside, to the hidden field, which is open.
    let document = package_schema(
        "t04?: _node\nt05?: #WrapsNode\n_node: {value?: int, next?: _node}\n#WrapsNode: _node\n",
    );
    assert_eq!(
        document["$defs"]["WrapsNode"]["properties"]["next"],
        json!({"$ref": "#/$defs/WrapsNode"})
    );
    assert_eq!(
        document["$defs"]["WrapsNode"]["additionalProperties"],
        json!(false)
    );
    assert_eq!(
        document["$defs"]["_node"]["properties"]["next"],
        json!({"$ref": "#/$defs/_node"})
    );
    assert!(document["$defs"]["_node"]
        .get("additionalProperties")
        .is_none());
    assert_eq!(
        document["properties"]["t04"],
        json!({"$ref": "#/$defs/_node"})
    );
}

#[test]
fn an_optional_field_a_closed_struct_refuses_accepts_nothing() {
    // `#B` does not allow `b`: in `#A` it may not be present, so data setting it is invalid.
    let source = "#B: {a?: int}\n#A: #B & {b?: string}";
    assert_eq!(property(&openapi(source), "b"), json!({"not": {}}));
    assert_eq!(property(&json_schema(source), "b"), json!(false));
    assert_eq!(
        property(&json_schema(source), "a"),
        json!({"type": "integer"})
    );
}

/// The package document of `source`, with or without explicit openness.
fn package_document(source: &str, explicit_open: bool) -> Json {
    let config = crate::JsonSchemaConfig { explicit_open };
    package(source)
        .json_schema_package_with(&config)
        .expect("exports")
}

#[test]
fn the_package_document_states_an_ellipsis_as_any_other_field() {
    let source = "#S: {a?: int, ...}\nt?: #S\nu?: {b?: int, ...}\nv?: {c?: int}";
    let document = package_document(source, false);
    assert_eq!(document["$defs"]["S"]["additionalProperties"], json!(true));
    assert_eq!(
        property(&document, "u")["additionalProperties"],
        json!(true)
    );
    assert_eq!(property(&document, "v").get("additionalProperties"), None);
    // The definitions' document (the registry's canonical form) is unchanged by it.
    let definitions = package(source).json_schema(None).expect("exports");
    assert_eq!(definitions["$defs"]["S"].get("additionalProperties"), None);
}

#[test]
fn explicit_openness_states_no_struct_closed() {
    let source = "#S: {a?: int}\nt?: #S\nu?: close(_foo)\n_foo: a?: int";
    let closed = package_document(source, false);
    assert_eq!(closed["$defs"]["S"]["additionalProperties"], json!(false));
    assert_eq!(property(&closed, "u")["additionalProperties"], json!(false));
    let open = package_document(source, true);
    assert_eq!(open["$defs"]["S"].get("additionalProperties"), None);
    // `close(_foo)` closes nothing here: it is the field it closes.
    assert_eq!(property(&open, "u"), json!({"$ref": "#/$defs/_foo"}));
    assert_eq!(
        open["$defs"]["_foo"],
        json!({"type": "object", "properties": {"a": {"type": "integer"}}})
    );
}

#[test]
fn openapi_info_takes_title_and_version_from_the_package_when_it_sets_none() {
    let source =
        "// The API.\npackage api\n\n$version: \"v2\"\ninfo: contact: name: \"Ops\"\n#A: {a: int}";
    let document = package(source).openapi(None).expect("exports");
    assert_eq!(
        document["info"],
        json!({"contact": {"name": "Ops"}, "title": "The API.", "version": "v2"})
    );
    // What `info` sets wins.
    let source = "// The API.\npackage api\n\n$version: \"v2\"\ninfo: {title: \"T\", version: \"1\"}\n#A: {a: int}";
    let document = package(source).openapi(None).expect("exports");
    assert_eq!(document["info"], json!({"title": "T", "version": "1"}));
    let document = package("#A: {a: int}").openapi(None).expect("exports");
    assert_eq!(
        document["info"],
        json!({"title": "Generated by cue.", "version": "no version"})
    );
}

/// A value that is an imported builtin validator with no OpenAPI keyword, written as a
/// reference (`time.Duration`), is a `$ref` to a schema named after it, listed once beside
/// the definitions with what can be stated and a note of the rest; called
/// (`time.Duration()`) or beside other constraints it stays in place, and expanded
/// references write it in place too.
#[test]
fn openapi_lists_an_imported_validator_referred_to_as_a_schema_of_its_name() {
    let source = "import \"time\"\n\
                  #A: {\n\
                  \t// How long to wait.\n\
                  \ttimeout?: time.Duration\n\
                  \tagain: time.Duration\n\
                  \tcalled?: time.Duration()\n\
                  \tpattern?: time.Duration & =~\"s$\"\n\
                  }";
    let document = package(source).openapi(None).expect("exports");
    let schemas = &document["components"]["schemas"];
    let reference = json!({"$ref": "#/components/schemas/Duration"});
    // Beside a `$ref`, OpenAPI 3.0 reads nothing: no description either.
    assert_eq!(schemas["A"]["properties"]["timeout"], reference);
    assert_eq!(schemas["A"]["properties"]["again"], reference);
    assert_eq!(
        schemas["Duration"],
        json!({"type": "string", "x-cue-unsupported": ["time.Duration"]})
    );
    assert_eq!(
        schemas["A"]["properties"]["called"],
        json!({"type": "string", "x-cue-unsupported": ["time.Duration"]})
    );
    assert_eq!(
        schemas["A"]["properties"]["pattern"],
        json!({"type": "string", "pattern": "s$", "x-cue-unsupported": ["time.Duration"]})
    );
    // A validator with a format is that format, in place.
    let a = openapi("import \"time\"\n#A: {t: time.Time}");
    assert_eq!(
        property(&a, "t"),
        json!({"type": "string", "format": "date-time"})
    );
    // Expanded, the field states it in place, with its own description.
    let config = crate::OpenApiConfig {
        expand_references: true,
        ..Default::default()
    };
    let document = openapi_with(source, &config);
    let schemas = &document["components"]["schemas"];
    assert!(schemas.get("Duration").is_none(), "{document}");
    assert_eq!(
        schemas["A"]["properties"]["timeout"],
        json!({"description": "How long to wait.", "type": "string", "x-cue-unsupported": ["time.Duration"]})
    );
    // A definition of the same name keeps its name: the validator is then written in place.
    let document = package("import \"time\"\n#Duration: int\n#A: {d: time.Duration}")
        .openapi(None)
        .expect("exports");
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["Duration"], json!({"type": "integer"}));
    assert_eq!(
        schemas["A"]["properties"]["d"],
        json!({"type": "string", "x-cue-unsupported": ["time.Duration"]})
    );
    // JSON Schema states the validator in place.
    let a = json_schema(source);
    assert!(property(&a, "timeout").get("$ref").is_none(), "{a}");
}

/// OpenAPI 3.0 ignores what stands beside a `$ref`: a field's doc comment is not written
/// there (CUE writes none); OpenAPI 3.1 keeps it.
#[test]
fn openapi_3_0_writes_no_description_beside_a_reference() {
    let source = "#B: {x: int}\n#A: {\n\t// The b.\n\tb: #B\n\t// The s.\n\ts: string\n}";
    let a = openapi(source);
    assert_eq!(property(&a, "b"), json!({"$ref": "#/components/schemas/B"}));
    assert_eq!(
        property(&a, "s"),
        json!({"description": "The s.", "type": "string"})
    );
    let config = crate::OpenApiConfig {
        version: crate::OpenApiVersion::V3_1,
        ..Default::default()
    };
    let document = openapi_with(source, &config);
    assert_eq!(
        document["components"]["schemas"]["A"]["properties"]["b"],
        json!({"description": "The b.", "$ref": "#/components/schemas/B"})
    );
}
