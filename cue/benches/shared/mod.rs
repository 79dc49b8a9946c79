//! What the `validate` bench and the `validate_loop` bench share: loading a schema, and the
//! template's `com.acme.orders.placed` v1 schema with a valid event
//! (`schemas-repo-template/sources/{common,orders}`, inlined as one package).

/// Loads `definition` from a one-file package; panics (this is a bench) if it does not load.
pub(crate) fn load_schema(source: &str, definition: &str) -> cue::Schema {
    let package = cue::Package::load(
        cue::PackageFiles {
            files: vec![("schema.cue".into(), source.into())],
        },
        &cue::NoImports,
    );
    assert!(
        package.diagnostics().is_empty(),
        "{:?}",
        package.diagnostics()
    );
    package
        .schema(Some(definition))
        .unwrap_or_else(|e| panic!("schema: {e:?}"))
}

/// The template's `#OrderPlaced` with `common`'s definitions inlined.
pub(crate) const ORDER_PLACED_CUE: &str = r#"
import "time"

#Id: =~"^[a-z0-9][a-z0-9-]{2,63}$"
#Email: =~"^[^@ ]+@[^@ ]+$"
#Money: {
	amount:   int & >=0
	currency: "EUR" | "USD" | "GBP"
}
#OrderPlaced: {
	orderId:  #Id
	customer: #Email
	lines: [#Line, ...#Line]
	total:    #Money
	placedAt: time.Time
}
#Line: {
	sku:      =~"^[A-Z0-9-]{4,32}$"
	quantity: int & >=1
}
"#;

/// A valid `com.acme.orders.placed` event.
pub(crate) const ORDER_PLACED_JSON: &str = r#"{"orderId": "order-1042", "customer": "ada@example.com",
 "lines": [{"sku": "BOOK-0001", "quantity": 1}], "total": {"amount": 4250, "currency": "EUR"},
 "placedAt": "2024-05-01T14:30:00Z"}"#;
