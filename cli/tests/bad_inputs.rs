//! The bad-inputs table: every input an attacker or a careless user sends, against the real
//! components (the registry service over a real socket, `cuemesh vet`, `cuemesh lint` on a
//! real governance repository), each with the clear error it must get. Nothing may panic or
//! hang: every case is bounded in time, and a crash (a signal, a `panicked` line) fails it.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one case may take.
const BOUND: Duration = Duration::from_secs(30);

const VALIDATE: &str = "/v1/sources/MySource/types/MySource:newPerson/versions/1/validate";

/// One HTTP case: what is sent, and the status, error code and message fragment expected
/// (of the `error` body, or of the first violation of a `{"valid": false}` answer).
struct HttpCase {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    message: &'static str,
}

fn deep_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn http_cases() -> Vec<HttpCase> {
    let case = |name, path, content_type, body: Vec<u8>, status, code, message| HttpCase {
        name,
        method: "POST",
        path,
        content_type,
        body,
        status,
        code,
        message,
    };
    let json = Some("application/json");
    let ten_megabytes = format!("{{\"first\": \"{}\"}}", "A".repeat(10 * 1024 * 1024));
    vec![
        case(
            "malformed JSON",
            VALIDATE,
            json,
            b"{\"first\": ".to_vec(),
            422,
            "invalid_json",
            "the body is not JSON: EOF while parsing",
        ),
        case(
            "10 MB body",
            VALIDATE,
            json,
            ten_megabytes.into_bytes(),
            413,
            "payload_too_large",
            "the body is larger than 1048576 bytes",
        ),
        // Well-formed JSON the validator's decoder refuses: a violation, not `invalid_json`.
        case(
            "10,000-deep nesting",
            VALIDATE,
            json,
            deep_json(10_000).into_bytes(),
            422,
            "JSON",
            "invalid JSON: nesting deeper than 512 levels",
        ),
        case(
            "invalid UTF-8",
            VALIDATE,
            json,
            b"{\"first\": \"\xff\xfe\"}".to_vec(),
            422,
            "invalid_json",
            "the body is not UTF-8",
        ),
        case(
            "wrong content type",
            VALIDATE,
            Some("text/plain"),
            b"{\"first\": \"Ada\"}".to_vec(),
            415,
            "unsupported_media_type",
            "found Content-Type: text/plain",
        ),
        case(
            "a form, as curl -d sends without -H",
            VALIDATE,
            Some("application/x-www-form-urlencoded"),
            b"{\"first\": \"Ada\"}".to_vec(),
            415,
            "unsupported_media_type",
            "Content-Type: application/json",
        ),
        case(
            "path traversal: a .. source",
            "/v1/sources/../types/MySource:newPerson/versions/1/validate",
            json,
            b"{}".to_vec(),
            404,
            "source_not_found",
            "..",
        ),
        case(
            "path traversal: an encoded slash in the type",
            "/v1/sources/MySource/types/..%2F..%2Fetc%2Fpasswd/versions/1/validate",
            json,
            b"{}".to_vec(),
            404,
            "type_not_found",
            "../../etc/passwd",
        ),
        case(
            "path traversal: a NUL in the source",
            "/v1/sources/MySource%00/types/MySource:newPerson/versions/1/validate",
            json,
            b"{}".to_vec(),
            404,
            "source_not_found",
            "MySource",
        ),
        case(
            "a source name that is not UTF-8",
            "/v1/sources/%FF/types/MySource:newPerson/versions/1/validate",
            json,
            b"{}".to_vec(),
            400,
            "bad_path",
            "UTF-8",
        ),
        case(
            "a version that is a path",
            "/v1/sources/MySource/types/MySource:newPerson/versions/..%2F1/validate",
            json,
            b"{}".to_vec(),
            400,
            "bad_version",
            "../1",
        ),
    ]
}

/// Sends one request on a fresh connection (the body written by another thread, so that an
/// early answer such as 413 is read even when the server stops reading) and returns the
/// status and the JSON body.
fn exchange(address: &str, case: &HttpCase) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(BOUND)).expect("read timeout");
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        case.method,
        case.path,
        case.body.len()
    );
    if let Some(content_type) = case.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = stream.try_clone().expect("clone the stream");
    let body = case.body.clone();
    let sender = std::thread::spawn(move || {
        // The server may answer and close before reading everything: not an error here.
        let _ = writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&body));
    });
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let _ = sender.join();
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{}: no complete answer: {text:?}", case.name));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("{}: no status in {head:?}", case.name));
    let body = serde_json::from_str(body)
        .unwrap_or_else(|error| panic!("{}: body is not JSON ({error}): {body}", case.name));
    (status, body)
}

#[test]
fn the_registry_service_answers_every_bad_request_with_a_clear_error() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let repository = common::template_repository(directory.path());
    let server = common::ServeProcess::start(&["--quiet"], &repository);
    for case in http_cases() {
        let started = Instant::now();
        let (status, body) = exchange(&server.address, &case);
        assert!(started.elapsed() < BOUND, "{}: took too long", case.name);
        let error = if body["error"].is_object() {
            &body["error"]
        } else {
            &body["violations"][0]
        };
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(error["code"], case.code, "{}: {body}", case.name);
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(case.message),
            "{}: {message:?} lacks {:?}",
            case.name,
            case.message
        );
    }
    // The service survived all of it and still validates.
    let (status, body) = exchange(
        &server.address,
        &HttpCase {
            name: "a valid body afterwards",
            method: "POST",
            path: VALIDATE,
            content_type: Some("application/json; charset=utf-8"),
            body: b"{\"first\": \"Ada\"}".to_vec(),
            status: 200,
            code: "",
            message: "",
        },
    );
    assert_eq!((status, &body["valid"]), (200, &serde_json::json!(true)));
    let stderr = server.terminate();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// What one bounded run of the binary did.
struct Outcome {
    code: i32,
    output: String,
}

/// Runs `cuemesh ARGS` in `dir`, killing it (and failing) after [`BOUND`]; a signal or a panic
/// message fails too. Stdout and stderr are read together, as a user sees them.
fn run_bounded(dir: &Path, args: &[&str]) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("CLICOLOR_FORCE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cuemesh");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cuemesh {args:?} did not finish within {BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = format!(
        "{}{}",
        stdout.join().expect("stdout"),
        stderr.join().expect("stderr")
    );
    assert!(!output.contains("panicked"), "cuemesh {args:?}: {output}");
    let code = status
        .code()
        .unwrap_or_else(|| panic!("cuemesh {args:?} was killed by a signal: {output}"));
    Outcome { code, output }
}

/// One CLI case: files written into a fresh directory, the arguments, the exit code and
/// fragments the output must contain (the message and its `file:line:col`).
struct CliCase {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &'static [&'static str],
    code: i32,
    expected: &'static [&'static str],
}

const SCHEMA: &str = "#A: {\n\ta: int\n}\n";

fn vet_cases() -> Vec<CliCase> {
    let schema = ("schema.cue", SCHEMA.as_bytes().to_vec());
    let with_data = |name, data: Vec<u8>, code, expected| CliCase {
        name,
        files: vec![schema.clone(), ("data.json", data)],
        args: &["vet", "schema.cue", "data.json", "-d", "#A"],
        code,
        expected,
    };
    let schema_only = |name, text: &str, expected| CliCase {
        name,
        files: vec![("schema.cue", text.as_bytes().to_vec())],
        args: &["vet", "schema.cue"],
        code: 1,
        expected,
    };
    vec![
        with_data(
            "malformed JSON",
            b"{\"a\": ".to_vec(),
            1,
            &["invalid JSON: unexpected end of input", "./data.json:1:7"],
        ),
        with_data(
            "10,000-deep nesting",
            deep_json(10_000).into_bytes(),
            1,
            &["nesting deeper than 512 levels", "./data.json:1:513"],
        ),
        with_data(
            "invalid UTF-8",
            b"{\"a\": \"\xff\"}".to_vec(),
            2,
            &["./data.json:1:8: the data file is not UTF-8 (byte 0xff)"],
        ),
        with_data(
            "a 10 MB document with one error",
            format!("{{\"a\": 1, \"b\": \"{}\"}}", "x".repeat(10 * 1024 * 1024)).into_bytes(),
            1,
            &["b: field not allowed", "./data.json:1:10"],
        ),
        schema_only(
            "CUE that does not parse",
            "#A: {\n\ta: \n",
            &["expected operand, found 'EOF'", "./schema.cue:3:1"],
        ),
        schema_only(
            "CUE with a structural cycle",
            "#List: {\n\tnext: #List\n}\nl: #List\n",
            &["l.next: structural cycle", "./schema.cue:1:8"],
        ),
        schema_only(
            "an exponential disjunction",
            &format!("v: {}\n", exponential_disjunction()),
            &[
                "disjunction too large: 1073741824 combinations",
                "combinations of 30 disjunctions",
                "./schema.cue:1:5",
            ],
        ),
        CliCase {
            name: "path traversal in a file name",
            files: vec![schema],
            args: &["vet", "schema.cue", "../../../../etc/no-such-file.json"],
            code: 2,
            expected: &["cannot read data file", "no-such-file.json"],
        },
    ]
}

/// Thirty disjunctions of two structs each, every combination of them a distinct value: 2^30
/// candidates. (Copies of one disjunction of literals would not do: they are one choice.)
fn exponential_disjunction() -> String {
    (0..30)
        .map(|i| format!("({{a{i}: 1}} | {{b{i}: 1}})"))
        .collect::<Vec<_>>()
        .join(" & ")
}

#[test]
fn vet_reports_every_bad_input_with_its_position() {
    for case in vet_cases() {
        let directory = tempfile::tempdir().expect("temporary directory");
        for (name, bytes) in &case.files {
            std::fs::write(directory.path().join(name), bytes).expect("write fixture");
        }
        run_case(directory.path(), &case);
    }
}

/// Runs one case in `dir` (its files already written) and checks its exit code and output.
fn run_case(dir: &Path, case: &CliCase) {
    let outcome = run_bounded(dir, case.args);
    assert_eq!(outcome.code, case.code, "{}: {}", case.name, outcome.output);
    for fragment in case.expected {
        assert!(
            outcome.output.contains(fragment),
            "{}: no {fragment:?} in {}",
            case.name,
            &outcome.output[..outcome.output.len().min(3000)]
        );
    }
}

fn lint_cases() -> Vec<CliCase> {
    let broken = |name, path, text: &str, expected| CliCase {
        name,
        files: vec![(path, text.as_bytes().to_vec())],
        args: &["lint", "--repo", "schemas"],
        code: 1,
        expected,
    };
    let example = "schemas/sources/identity/examples/MySource%3AnewPerson/bad.json";
    vec![
        broken(
            "CUE that does not parse",
            "schemas/sources/broken/broken.cue",
            "package broken\n\n#A: {\n\ta: \n",
            &["PACKAGE_ERROR", "sources/broken/broken.cue:5:1"],
        ),
        broken(
            "CUE with a structural cycle",
            "schemas/sources/common/cycle.cue",
            "package common\n\n// A list that never ends.\n#List: {\n\t// The rest.\n\tnext: #List\n}\n",
            &["PACKAGE_ERROR", "structural cycle", "sources/common/cycle.cue:4:8"],
        ),
        broken(
            "an exponential disjunction",
            "schemas/sources/common/disjunction.cue",
            &format!("package common\n\nv: {}\n", exponential_disjunction()),
            &["disjunction too large", "sources/common/disjunction.cue:3:5"],
        ),
        CliCase {
            name: "CUE that is not UTF-8",
            files: vec![(
                "schemas/sources/common/latin1.cue",
                b"package common\n\n// caf\xe9\n#Cafe: {}\n".to_vec(),
            )],
            args: &["lint", "--repo", "schemas"],
            code: 1,
            expected: &["PACKAGE_ERROR", "UTF-8", "sources/common/latin1.cue"],
        },
        broken(
            "malformed JSON example",
            example,
            "{\"first\": ",
            &["EXAMPLE_INVALID", "examples/MySource%3AnewPerson/bad.json:1:11"],
        ),
        broken(
            "10,000-deep example",
            example,
            &deep_json(10_000),
            &["EXAMPLE_INVALID", "nesting deeper than 512 levels"],
        ),
        broken(
            "path traversal in an example folder",
            "schemas/sources/identity/examples/..%2F..%2Fetc/a.json",
            "{}",
            &["EXAMPLE_UNKNOWN_EVENT", "../../etc"],
        ),
        broken(
            "settings that do not parse",
            "schemas/cuemesh.cue",
            "package cuemesh\n\nlint: {\n",
            &["CONFIG_INVALID", "cuemesh.cue:4:1"],
        ),
    ]
}

#[test]
fn lint_reports_every_bad_input_in_a_real_repository() {
    for case in lint_cases() {
        let directory = tempfile::tempdir().expect("temporary directory");
        common::template_repository(directory.path());
        for (name, bytes) in &case.files {
            let path = directory.path().join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("create directory");
            std::fs::write(path, bytes).expect("write fixture");
        }
        run_case(directory.path(), &case);
    }
}
