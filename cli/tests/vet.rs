//! End-to-end tests of `cuemesh vet`: the built binary on fixture files in a temporary
//! directory. Expected outputs are those of `cue vet` (the reference binary, and the upstream
//! `cmd/cue/cmd/testdata/script/vet*.txtar` scripts where current CUE prints differently).

mod common;
use common::{cuemesh, cuemesh_with_stdin, workspace};

use std::path::Path;

const ORDER_SCHEMA: &str = "#Order: {
\tid: string
\ttotal: {
\t\tamount: >=0
\t\tcurrency: \"EUR\" | \"USD\"
\t}
\tqty: int
}
";

const GOOD_ORDER: &str =
    "{\"id\": \"a\", \"total\": {\"amount\": 3, \"currency\": \"EUR\"}, \"qty\": 1}\n";

const NEGATIVE_AMOUNT: &str = "{
  \"id\": \"a\",
  \"total\": {
    \"amount\": -1,
    \"currency\": \"EUR\"
  },
  \"qty\": 1
}
";

const NEGATIVE_AMOUNT_ERROR: &str = "total.amount: invalid value -1 (out of bound >=0):
    ./schema.cue:4:11
    ./bad.json:4:15
";

const FLOAT_QUANTITY: &str = "{
  \"id\": \"b\",
  \"total\": {\"amount\": 1, \"currency\": \"USD\"},
  \"qty\": 1.5
}
";

const FLOAT_QUANTITY_ERROR: &str =
    "qty: conflicting values 1.5 and int (mismatched types float and int):
    ./float.json:4:10
    ./schema.cue:7:7
";

fn order_workspace() -> tempfile::TempDir {
    workspace(&[
        ("schema.cue", ORDER_SCHEMA),
        ("good.json", GOOD_ORDER),
        ("bad.json", NEGATIVE_AMOUNT),
        ("float.json", FLOAT_QUANTITY),
    ])
}

#[test]
fn valid_data_exits_zero_and_prints_nothing() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "good.json", "-d", "#Order"],
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(run.stdout, "");
}

#[test]
fn an_out_of_bound_value_is_reported_like_cue() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "bad.json", "-d", "#Order"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, NEGATIVE_AMOUNT_ERROR);
}

#[test]
fn files_may_come_in_any_order_and_with_a_long_flag() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &["vet", "bad.json", "--schema", "#Order", "schema.cue"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, NEGATIVE_AMOUNT_ERROR);
}

#[test]
fn absolute_paths_are_printed_relative_to_the_working_directory() {
    let dir = order_workspace();
    let schema = dir.path().join("schema.cue");
    let data = dir.path().join("bad.json");
    let run = cuemesh(
        dir.path(),
        &[
            "vet",
            schema.to_str().expect("UTF-8 path"),
            data.to_str().expect("UTF-8 path"),
            "-d",
            "#Order",
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, NEGATIVE_AMOUNT_ERROR);
}

#[test]
fn files_in_a_subdirectory_keep_their_directory_in_positions() {
    let dir = workspace(&[
        ("schemas/schema.cue", ORDER_SCHEMA),
        ("data/bad.json", NEGATIVE_AMOUNT),
    ]);
    let run = cuemesh(
        dir.path(),
        &[
            "vet",
            "schemas/schema.cue",
            "./data/bad.json",
            "-d",
            "#Order",
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "total.amount: invalid value -1 (out of bound >=0):
    ./schemas/schema.cue:4:11
    ./data/bad.json:4:15
"
    );
}

/// As upstream `vet_file.txtar`'s `cue vet . ./data.yaml`.
#[test]
fn a_directory_argument_stands_for_its_package() {
    let dir = order_workspace();
    let run = cuemesh(dir.path(), &["vet", ".", "./bad.json", "-d", "#Order"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, NEGATIVE_AMOUNT_ERROR);
}

/// From upstream `vet_altdata.txtar`.
#[test]
fn a_qualifier_reads_a_file_of_any_name_as_a_json_stream() {
    let dir = workspace(&[
        ("schema.cue", "[string]: string\n"),
        ("foo.data", "{ \"a\": \"b\" }\n{ \"c\": \"d\" }\n"),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "jsonl:", "foo.data"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "json:", "foo.data"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("after top-level value"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_qualified_dash_reads_standard_input() {
    let dir = order_workspace();
    let args = ["vet", "schema.cue", "-d", "#Order", "json:", "-"];
    let run = cuemesh_with_stdin(dir.path(), &args, GOOD_ORDER);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = cuemesh_with_stdin(dir.path(), &args, NEGATIVE_AMOUNT);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "total.amount: invalid value -1 (out of bound >=0):\n    ./schema.cue:4:11\n    -:4:15\n"
    );
    // Without a qualifier the type of standard input is unknown: a usage error.
    let run = cuemesh_with_stdin(dir.path(), &["vet", "schema.cue", "-"], GOOD_ORDER);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("file type qualifier"), "{}", run.stderr);
}

#[test]
fn a_float_for_an_int_is_a_conflict_listing_the_data_first() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "float.json", "-d", "#Order"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, FLOAT_QUANTITY_ERROR);
}

#[test]
fn every_data_file_is_validated_and_every_error_reported() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &[
            "vet",
            "schema.cue",
            "bad.json",
            "good.json",
            "float.json",
            "-d",
            "#Order",
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!("{NEGATIVE_AMOUNT_ERROR}{FLOAT_QUANTITY_ERROR}")
    );
}

#[test]
fn a_closed_definition_refuses_extra_fields() {
    let dir = workspace(&[
        ("schema.cue", ORDER_SCHEMA),
        (
            "extra.json",
            "{\"id\": \"a\", \"total\": {\"amount\": 3, \"currency\": \"EUR\"}, \"qty\": 1, \"note\": \"x\"}\n",
        ),
    ]);
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "extra.json", "-d", "#Order"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("note: field not allowed:\n    ./extra.json:1:66\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_definition_embedding_a_definition_that_embeds_one_allows_every_level() {
    // An envelope embedding a header that embeds its base, as event schemas are written. The
    // second schema reads its own field in a comprehension, so it validates by unification
    // rather than compiled: both say the same.
    let nested = "#A: {a: int}\n#B: {#A, b: int}\n#C: {#B, c: int}\n";
    let unified = "#A: {a: int}\n#B: {#A, b: int}\n#C: {#B, c: int, if c > 100 {big: true}}\n";
    for schema in [nested, unified] {
        let dir = workspace(&[
            ("schema.cue", schema),
            ("good.json", "{\"a\": 1, \"b\": 2, \"c\": 3}\n"),
            ("extra.json", "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}\n"),
        ]);
        let run = cuemesh(dir.path(), &["vet", "-d", "#C", "schema.cue", "good.json"]);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{schema}");
        let run = cuemesh(dir.path(), &["vet", "-d", "#C", "schema.cue", "extra.json"]);
        assert_eq!(run.code, 1, "{schema}");
        assert_eq!(
            run.stderr, "d: field not allowed:\n    ./extra.json:1:26\n",
            "{schema}"
        );
    }
}

#[test]
fn a_failed_disjunction_lists_each_alternative() {
    let dir = workspace(&[
        ("schema.cue", ORDER_SCHEMA),
        (
            "currency.json",
            "{\"id\": \"a\", \"total\": {\"amount\": 3, \"currency\": \"GBP\"}, \"qty\": 1}\n",
        ),
    ]);
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "currency.json", "-d", "#Order"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("total.currency: 2 errors in empty disjunction:\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(
        "total.currency: conflicting values \"EUR\" and \"GBP\":\n    ./currency.json:1:48\n    ./schema.cue:5:13\n"
    ));
    assert!(run.stderr.contains(
        "total.currency: conflicting values \"USD\" and \"GBP\":\n    ./currency.json:1:48\n    ./schema.cue:5:21\n"
    ));
}

#[test]
fn a_missing_regular_field_is_incomplete() {
    let dir = workspace(&[
        (
            "schema.cue",
            "#Person: {\n\tfirst: string\n\tlast:  string\n}\n",
        ),
        ("person.json", "{\"first\": \"Ada\"}\n"),
    ]);
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "person.json", "-d", "#Person"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "last: incomplete value string:\n    ./schema.cue:3:9\n"
    );
}

/// From upstream `vet_req.txtar`.
#[test]
fn a_missing_required_field_is_reported_at_its_declaration() {
    let dir = workspace(&[("in.cue", "x!: string\n"), ("data.json", "{}\n")]);
    let run = cuemesh(dir.path(), &["vet", "data.json", "in.cue"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "x: field is required but not present:\n    ./in.cue:1:1\n"
    );
}

/// From upstream `vet_data.txtar`, with the data as JSON.
#[test]
fn without_an_expression_the_whole_package_is_the_schema() {
    let dir = workspace(&[
        (
            "schema.cue",
            "#Language: {\n\ttag:  string\n\tname: =~\"^\\\\p{Lu}\" // Must start with an uppercase letter.\n}\nlanguages: [...#Language]\n",
        ),
        (
            "data.json",
            "{\n  \"languages\": [\n    {\"tag\": \"en\", \"name\": \"English\"},\n    {\"tag\": \"nl\", \"name\": \"dutch\"}\n  ]\n}\n",
        ),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "data.json"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "languages.1.name: invalid value \"dutch\" (out of bound =~\"^\\\\p{Lu}\"):\n    ./schema.cue:3:8\n    ./data.json:4:27\n"
    );
}

#[test]
fn each_value_of_a_jsonl_stream_is_validated_at_its_own_line() {
    let dir = workspace(&[
        ("schema.cue", ORDER_SCHEMA),
        (
            "orders.jsonl",
            "{\"id\": \"a\", \"total\": {\"amount\": 3, \"currency\": \"EUR\"}, \"qty\": 1}\n\
             {\"id\": \"b\", \"total\": {\"amount\": -2, \"currency\": \"EUR\"}, \"qty\": 1}\n",
        ),
    ]);
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "orders.jsonl", "-d", "#Order"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "total.amount: invalid value -2 (out of bound >=0):\n    ./schema.cue:4:11\n    ./orders.jsonl:2:33\n"
    );
}

/// From upstream `vet_trailing.txtar`: a `.json` file holds exactly one value.
#[test]
fn a_json_file_with_two_values_is_invalid_json() {
    let dir = workspace(&[
        ("schema.cue", "foo: int\n"),
        (
            "two.json",
            "{\n\t\"foo\": 123\n}\n{\n\t\"foo\": \"789\"\n}\n",
        ),
        (
            "two.jsonl",
            "{\n\t\"foo\": 123\n}\n{\n\t\"foo\": \"789\"\n}\n",
        ),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "two.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("invalid JSON"), "{}", run.stderr);
    assert!(
        run.stderr.contains("after top-level value"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("two.json"), "{}", run.stderr);

    let run = cuemesh(dir.path(), &["vet", "schema.cue", "two.jsonl"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("foo: conflicting values \"789\" and int"),
        "{}",
        run.stderr
    );
}

/// From upstream `vet_data.txtar`: YAML 1.2 reads `no` as a string, and positions are those of
/// the YAML text.
#[test]
fn yaml_data_is_validated_with_positions_in_the_yaml_file() {
    let dir = workspace(&[
        (
            "schema.cue",
            "#Language: {\n\ttag:  string\n\tname: =~\"^\\\\p{Lu}\" // Must start with an uppercase letter.\n}\nlanguages: [...#Language]\n",
        ),
        (
            "data.yaml",
            "languages:\n  - tag: en\n    name: English\n  - tag: nl\n    name: dutch\n  - tag: no\n    name: Norwegian\n",
        ),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "data.yaml"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "languages.1.name: invalid value \"dutch\" (out of bound =~\"^\\\\p{Lu}\"):\n    ./schema.cue:3:8\n    ./data.yaml:5:11\n"
    );
}

/// From upstream `vet_embed.txtar`: every document of a YAML stream is validated on its own.
#[test]
fn each_document_of_a_yaml_stream_is_validated() {
    let dir = workspace(&[
        ("schema.cue", "#Foo: {\n    a: int\n    b?: int\n}\n#Foo\n"),
        ("stream.yml", "a: 1\nd: 2\n---\na: 1\nb: 2\n"),
        ("good", "a: 1\n---\nb: 3\na: 2\n"),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "stream.yml"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "d: field not allowed:\n    ./stream.yml:2:1\n");
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "yaml:", "good"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

/// From upstream `vet_data.txtar`: TOML data, with positions in the TOML text; arrays of
/// tables are lists of structs.
#[test]
fn toml_data_is_validated_with_positions_in_the_toml_file() {
    let dir = workspace(&[
        (
            "schema.cue",
            "#Language: {\n\ttag:  string\n\tname: =~\"^\\\\p{Lu}\" // Must start with an uppercase letter.\n}\nlanguages: [...#Language]\n",
        ),
        (
            "data.toml",
            "[[languages]]\nname = 'English'\ntag = 'en'\n[[languages]]\nname = 'dutch'\ntag = 'nl'\n[[languages]]\nname = 'Norwegian'\ntag = 'no'\n",
        ),
        (
            "good",
            "[[languages]]\nname = \"English\" # a comment\ntag = 'en'\n",
        ),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "data.toml"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "languages.1.name: invalid value \"dutch\" (out of bound =~\"^\\\\p{Lu}\"):\n    ./schema.cue:3:8\n    ./data.toml:5:8\n"
    );
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "toml:", "good"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

/// TOML that does not parse is reported at the position where reading failed, and TOML's
/// values CUE has no number for (`inf`) are an error at the value, not a crash.
#[test]
fn malformed_toml_is_a_finding_naming_the_position() {
    let dir = workspace(&[
        ("schema.cue", "a: number\nb?: number\n"),
        ("broken.toml", "a = 1\na = 2\n"),
        ("infinite.toml", "a = 1\nb = inf\n"),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "broken.toml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("invalid TOML: duplicate key: a:\n    ./broken.toml:2:1"),
        "{}",
        run.stderr
    );
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "infinite.toml"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("./infinite.toml:2:5"), "{}", run.stderr);
}

/// From upstream `vet_path.txtar`: `-l` places each document of a stream at the path its
/// expressions compute, and errors name that path; the file's documents are one value, so two
/// documents placed at the same path must agree.
#[test]
fn documents_are_placed_at_the_paths_their_labels_compute() {
    let dir = workspace(&[
        (
            "services.cue",
            "deployment: [string]: name: !~\"^[A-Z]\"\nservice: [string]: name: !~\"^[A-Z]\"\n",
        ),
        (
            "services.jsonl",
            "{\n    \"kind\": \"Service\",\n    \"name\": \"booster\"\n}\n{\n    \"kind\": \"Deployment\",\n    \"name\": \"Booster\",\n    \"replicas\": 1\n}\n{\n    \"kind\": \"Service\",\n    \"name\": \"Supplement\\nfoo\"\n}\n",
        ),
        (
            "same.yaml",
            "kind: Service\nname: a\nport: 1\n---\nkind: Service\nname: a\nport: 2\n",
        ),
        ("numbers.json", "{\"kind\": 3}"),
    ]);
    let run = cuemesh(
        dir.path(),
        &[
            "vet",
            "-l",
            "strings.ToLower(kind)",
            "-l",
            "name",
            "services.jsonl",
            "services.cue",
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "deployment.Booster.name: invalid value \"Booster\" (out of bound !~\"^[A-Z]\"):\n    ./services.cue:1:29\n    ./services.jsonl:7:13\nservice.\"Supplement\\nfoo\".name: invalid value \"Supplement\\nfoo\" (out of bound !~\"^[A-Z]\"):\n    ./services.cue:2:26\n    ./services.jsonl:12:13\n"
    );

    let run = cuemesh(
        dir.path(),
        &[
            "vet",
            "--path",
            "strings.ToLower(kind)",
            "--path",
            "name",
            "services.cue",
            "same.yaml",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("service.a.port: conflicting values 1 and 2:\n    ./same.yaml:3:7\n    ./same.yaml:7:7\n"),
        "{}",
        run.stderr
    );

    let run = cuemesh(
        dir.path(),
        &["vet", "-l", "kind", "services.cue", "numbers.json"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "invalid path -l 'kind': a label must be a string, not 3:\n    ./numbers.json:1:1\n"
    );
}

#[test]
fn malformed_yaml_is_a_finding_naming_the_position() {
    let dir = workspace(&[
        ("schema.cue", "a: int\n"),
        ("broken.yaml", "a: 1\nb: [1, 2\n"),
    ]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "broken.yaml"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("invalid YAML"), "{}", run.stderr);
    assert!(run.stderr.contains("./broken.yaml:3:1"), "{}", run.stderr);
}

/// From upstream `vet_issue2273.txtar`: a package may be named by import path, in any place
/// among the data files; an argument without extension that is no package is an error.
#[test]
fn a_package_may_be_named_by_import_path() {
    let dir = workspace(&[
        (
            "cue.mod/module.cue",
            "module: \"cue.test\"\nlanguage: version: \"v0.9.0\"\n",
        ),
        ("schema.cue", "package schema\n\na: int\nb: string\n"),
        ("other.cue", "package other\n\na: string\n"),
        ("pass.yml", "a: 123\nb: \"a string\"\n"),
        ("fail.yml", "a: x\nb: \"a string\"\n"),
        ("noext", "a: 123\n"),
    ]);
    let run = cuemesh(
        dir.path(),
        &["vet", "pass.yml", "cue.test:schema", "pass.yml"],
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = cuemesh(dir.path(), &["vet", "cue.test:schema", "fail.yml"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "a: conflicting values \"x\" and int (mismatched types string and int):\n    ./fail.yml:1:4\n    ./schema.cue:3:4\n"
    );
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "noext"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("noext: cannot be imported as a CUE package"),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_json_is_a_finding_naming_the_file() {
    let dir = workspace(&[
        ("schema.cue", ORDER_SCHEMA),
        ("broken.json", "{\"id\": \"a\",\n"),
    ]);
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "broken.json", "-d", "#Order"],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("./broken.json"), "{}", run.stderr);
}

#[test]
fn a_missing_data_file_is_an_input_error_but_the_others_are_still_checked() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &[
            "vet",
            "schema.cue",
            "missing.json",
            "bad.json",
            "-d",
            "#Order",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("./missing.json"), "{}", run.stderr);
    assert!(run.stderr.contains(NEGATIVE_AMOUNT_ERROR), "{}", run.stderr);
}

#[test]
fn a_missing_schema_file_is_an_input_error() {
    let dir = order_workspace();
    let run = cuemesh(dir.path(), &["vet", "missing.cue", "good.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("./missing.cue"), "{}", run.stderr);
}

#[test]
fn data_without_a_schema_is_a_usage_error() {
    let dir = order_workspace();
    let run = cuemesh(dir.path(), &["vet", "good.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no .cue file"), "{}", run.stderr);
}

#[test]
fn an_unsupported_file_type_is_a_usage_error() {
    let dir = workspace(&[("schema.cue", ORDER_SCHEMA), ("data.xml", "<id>a</id>\n")]);
    let run = cuemesh(dir.path(), &["vet", "schema.cue", "data.xml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("./data.xml"), "{}", run.stderr);
}

#[test]
fn no_arguments_vets_the_package_in_the_working_directory() {
    let dir = order_workspace();
    let run = cuemesh(dir.path(), &["vet"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let empty = workspace(&[("notes.txt", "no package here\n")]);
    let run = cuemesh(empty.path(), &["vet"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no .cue files in directory ."),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_schema_expression_is_a_usage_error() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &["vet", "schema.cue", "good.json", "-d", "#Nope"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("#Nope"), "{}", run.stderr);
}

#[test]
fn without_data_a_valid_package_passes() {
    let dir = order_workspace();
    let run = cuemesh(dir.path(), &["vet", "schema.cue"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn without_data_the_package_errors_are_reported() {
    let dir = workspace(&[("conflict.cue", "a: int & \"x\"\n")]);
    let run = cuemesh(dir.path(), &["vet", "conflict.cue"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "a: conflicting values int and \"x\" (mismatched types int and string):\n    ./conflict.cue:1:4\n    ./conflict.cue:1:10\n"
    );
}

#[test]
fn a_schema_syntax_error_is_reported_and_stops_validation() {
    let dir = workspace(&[("bad.cue", "a: int\nb: {\n"), ("good.json", "{\"a\": 1}\n")]);
    let run = cuemesh(dir.path(), &["vet", "bad.cue", "good.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("expected '}', found 'EOF':\n    ./bad.cue:"),
        "{}",
        run.stderr
    );
}

#[test]
fn github_format_prints_workflow_commands_on_stdout() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &[
            "vet",
            "--format",
            "github",
            "schema.cue",
            "bad.json",
            "-d",
            "#Order",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("::error file=schema.cue,line=4,col=11,endLine=4,endColumn=14,title="),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("::total.amount: invalid value -1 (out of bound >=0)%0A    ./bad.json:4:15\n"));
}

#[test]
fn json_format_prints_one_object_per_diagnostic() {
    let dir = order_workspace();
    let run = cuemesh(
        dir.path(),
        &[
            "--format",
            "json",
            "vet",
            "schema.cue",
            "bad.json",
            "float.json",
            "-d",
            "#Order",
        ],
    );
    assert_eq!(run.code, 1);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(lines[0]["path"], "total.amount");
    assert_eq!(lines[0]["locations"][1]["file"], "./bad.json");
    assert_eq!(lines[0]["locations"][1]["line"], 4);
    assert_eq!(lines[0]["locations"][1]["column"], 15);
    assert_eq!(lines[1]["path"], "qty");
}

/// The example the README runs.
#[test]
fn the_readme_example_behaves_as_documented() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let run = cuemesh(
        &examples,
        &[
            "vet",
            "identity.cue",
            "identity-valid.json",
            "-d",
            "#Identity",
        ],
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = cuemesh(
        &examples,
        &[
            "vet",
            "identity.cue",
            "identity-invalid.json",
            "-d",
            "#Identity",
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "first: invalid value \"ada\" (out of bound =~\"^[A-Z].*\"):\n    ./identity.cue:16:9\n    ./identity-invalid.json:2:12\n"
    );
}

/// The package of CUE's `vet_concrete` script: incomplete values of several kinds.
const PARTIAL_PACKAGE: &str = "package partial

def: *1 | int
sum: 1 | 2

b: {
\tidx: a[str] // should resolve to top-level `a`
\tstr: string
}
b: a: b: 4
a: {
\tb: 3
\tc: 4
}
c: b & {str: \"b\"}
";

#[test]
fn without_data_incomplete_values_fail_with_a_hint_unless_allowed() {
    let dir = workspace(&[("partial.cue", PARTIAL_PACKAGE)]);
    let run = cuemesh(dir.path(), &["vet", "partial.cue"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "some instances are incomplete; use the -c flag to show errors or -c=false to allow incomplete instances"
        ),
        "{}",
        run.stderr
    );
    let run = cuemesh(dir.path(), &["vet", "-c=false", "partial.cue"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = cuemesh(dir.path(), &["vet", "--concrete=false", "partial.cue"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn concrete_flag_reports_every_incomplete_value_like_cue() {
    let dir = workspace(&[("partial.cue", PARTIAL_PACKAGE)]);
    // No file argument: the package in the current directory, as `cue vet -c`.
    let run = cuemesh(dir.path(), &["vet", "-c"]);
    assert_eq!(run.code, 1);
    // `cue vet -c` words the last one `b.idx: invalid non-ground value string (must be
    // concrete string)` and lists it last; the evaluator reports it as an incomplete value.
    for expected in [
        "b.str: incomplete value string:\n    ./partial.cue:8:7\n",
        "sum: incomplete value 1 | 2\n",
        "b.idx: ",
    ] {
        assert!(
            run.stderr.contains(expected),
            "{expected:?} in {}",
            run.stderr
        );
    }
    assert_eq!(run.stderr.matches(": ").count(), 3, "{}", run.stderr);
}

#[test]
fn concrete_flag_accepts_a_package_of_data_and_optional_fields() {
    let dir = workspace(&[(
        "vet.cue",
        "#Schema1: {\n  a?: int\n}\ninstance1: #Schema1\nx: 1\n",
    )]);
    let run = cuemesh(dir.path(), &["vet", "-c", "vet.cue"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = cuemesh(dir.path(), &["vet", "vet.cue"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn package_errors_the_data_may_undo_are_judged_with_the_data() {
    let schema = "import \"list\"\n\nports: [...int]\nnewPort: list.Max(ports) + 1\n";
    let dir = workspace(&[
        ("x.cue", schema),
        ("good.json", "{\"ports\": [2, 98, 3], \"newPort\": 99}\n"),
        ("wrong.json", "{\"ports\": [2, 98, 3], \"newPort\": 5}\n"),
        ("empty.json", "{\"ports\": []}\n"),
    ]);
    // With the data, `list.Max` has a list to read: the error of the package alone is gone.
    let run = cuemesh(dir.path(), &["vet", "x.cue", "good.json"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = cuemesh(dir.path(), &["vet", "x.cue", "wrong.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("newPort: conflicting values"),
        "{}",
        run.stderr
    );
    // An error the data leaves in place is still reported.
    let run = cuemesh(dir.path(), &["vet", "x.cue", "empty.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("list.Max: empty list"),
        "{}",
        run.stderr
    );
    // Without data, the package is judged alone.
    let run = cuemesh(dir.path(), &["vet", "x.cue"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("list.Max: empty list"),
        "{}",
        run.stderr
    );
}
