use cue::{NoImports, Package, PackageFiles};
#[test]
fn probe() {
    let Ok(dir) = std::env::var("PROBE") else { return };
    let text = std::fs::read_to_string(format!("{dir}/s.cue")).unwrap();
    let data = std::fs::read_to_string(format!("{dir}/d.jsonl")).unwrap();
    let pkg = Package::load(PackageFiles { files: vec![("s.cue".into(), text)] }, &NoImports);
    for d in pkg.diagnostics() { println!("DIAG {}", d.message); }
    for line in data.lines() {
        let (expr, doc) = line.split_once(' ').unwrap();
        match pkg.schema(Some(expr)) {
            Err(e) => println!("{expr} SCHEMA ERR {:?}", e.iter().map(|d| d.message.clone()).collect::<Vec<_>>()),
            Ok(s) => { let v = s.validate_json("d.json", doc); println!("{expr} {doc} => {} {:?}", v.is_valid(), v.errors.iter().map(|d| d.message.clone()).collect::<Vec<_>>()); }
        }
    }
}
