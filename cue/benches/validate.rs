//! Validation throughput: cuemesh's CUE engine against the `jsonschema` crate, on the same
//! documents and equivalent schemas, JSON parsing included on both sides.
//!
//! Two schemas: the seed's `#Identity` (one regex field, open), and a 30-field order event
//! (nested objects, a list of items, enums, regexes, bounds). Each side validates the same
//! 256 documents per iteration, three quarters valid, and collects every violation.
//! `bench/validate-ratio` prints the ratio of the two from criterion's estimates.
//!
//! A third case, `order_placed`, times cuemesh alone on what the publisher checks per event: the
//! template's `com.acme.orders.placed` v1 schema (regexes, an enum, `time.Time`) and one valid
//! event (`shared/mod.rs`). Wall-clock time on a shared machine wanders; for a
//! repeatable figure count instructions per call with the `validate_loop` bench under
//! callgrind, as its header says.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod shared;

const IDENTITY_CUE: &str = r#"
#Identity: {
	// first name of the person
	first: =~"^[A-Z].*"
	...
}
"#;

const IDENTITY_JSON_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {"first": {"type": "string", "pattern": "^[A-Z].*"}},
  "required": ["first"]
}"#;

const ORDER_CUE: &str = r#"
#Money: {
	amount:   number & >=0
	currency: "EUR" | "USD" | "GBP" | "CHF"
}
#Address: {
	street:  string & !=""
	city:    string
	zip:     =~"^[0-9]{4,5}$"
	country: =~"^[A-Z]{2}$"
}
#Item: {
	sku:      =~"^[A-Z]{3}-[0-9]{4}$"
	name:     string
	quantity: int & >=1 & <=1000
	price:    #Money
	tags?: [...string]
}
#Order: {
	id:        =~"^ord_[a-z0-9]{12}$"
	createdAt: =~"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
	status:    "new" | "paid" | "shipped" | "cancelled"
	channel:   "web" | "app" | "store"
	customer: {
		id:    string
		email: =~"^[^@]+@[^@]+$"
		name:  string
		vip:   bool
	}
	shipping:      #Address
	billing?:      #Address
	items: [...#Item]
	subtotal:      #Money
	tax:           #Money
	total:         #Money
	discountCode?: string
	notes?:        string
	priority:      int & >=0 & <=5
	giftWrap:      bool
	weightKg:      number & >0
}
"#;

const ORDER_JSON_SCHEMA: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$defs": {
    "Money": {
      "type": "object",
      "properties": {
        "amount": {"type": "number", "minimum": 0},
        "currency": {"enum": ["EUR", "USD", "GBP", "CHF"]}
      },
      "required": ["amount", "currency"],
      "additionalProperties": false
    },
    "Address": {
      "type": "object",
      "properties": {
        "street": {"type": "string", "not": {"const": ""}},
        "city": {"type": "string"},
        "zip": {"type": "string", "pattern": "^[0-9]{4,5}$"},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"}
      },
      "required": ["street", "city", "zip", "country"],
      "additionalProperties": false
    },
    "Item": {
      "type": "object",
      "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
        "name": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
        "price": {"$ref": "#/$defs/Money"},
        "tags": {"type": "array", "items": {"type": "string"}}
      },
      "required": ["sku", "name", "quantity", "price"],
      "additionalProperties": false
    }
  },
  "type": "object",
  "properties": {
    "id": {"type": "string", "pattern": "^ord_[a-z0-9]{12}$"},
    "createdAt": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"},
    "status": {"enum": ["new", "paid", "shipped", "cancelled"]},
    "channel": {"enum": ["web", "app", "store"]},
    "customer": {
      "type": "object",
      "properties": {
        "id": {"type": "string"},
        "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
        "name": {"type": "string"},
        "vip": {"type": "boolean"}
      },
      "required": ["id", "email", "name", "vip"],
      "additionalProperties": false
    },
    "shipping": {"$ref": "#/$defs/Address"},
    "billing": {"$ref": "#/$defs/Address"},
    "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
    "subtotal": {"$ref": "#/$defs/Money"},
    "tax": {"$ref": "#/$defs/Money"},
    "total": {"$ref": "#/$defs/Money"},
    "discountCode": {"type": "string"},
    "notes": {"type": "string"},
    "priority": {"type": "integer", "minimum": 0, "maximum": 5},
    "giftWrap": {"type": "boolean"},
    "weightKg": {"type": "number", "exclusiveMinimum": 0}
  },
  "required": ["id", "createdAt", "status", "channel", "customer", "shipping", "items",
               "subtotal", "tax", "total", "priority", "giftWrap", "weightKg"],
  "additionalProperties": false
}"##;

/// A small deterministic generator, so both sides see the same documents on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[(self.next() as usize) % options.len()]
    }
}

fn identity_documents(n: usize) -> Vec<String> {
    let mut rng = Lcg(7);
    (0..n)
        .map(|i| {
            let first = if i % 4 == 3 {
                "anna"
            } else {
                rng.pick(&["Anna", "Bob", "Chloé", "Dmitri"])
            };
            format!(
                r#"{{"first": "{first}", "last": "Example", "age": {}}}"#,
                rng.next() % 90
            )
        })
        .collect()
}

fn order_documents(n: usize) -> Vec<String> {
    let mut rng = Lcg(42);
    (0..n)
        .map(|i| {
            let invalid = i % 4 == 3;
            let money = |rng: &mut Lcg| {
                format!(
                    r#"{{"amount": {}.{:02}, "currency": "{}"}}"#,
                    rng.next() % 500,
                    rng.next() % 100,
                    rng.pick(&["EUR", "USD", "GBP", "CHF"])
                )
            };
            let mut items = Vec::new();
            for k in 0..(1 + rng.next() % 4) {
                let sku = rng.next() % 10000;
                let quantity = 1 + rng.next() % 20;
                let price = money(&mut rng);
                items.push(format!(
                    r#"{{"sku": "ABC-{sku:04}", "name": "item {k}", "quantity": {quantity}, "price": {price}, "tags": ["a", "b"]}}"#
                ));
            }
            let quantity_or_zip = if invalid { "1234567" } else { "8001" };
            format!(
                r#"{{
  "id": "ord_{:012x}",
  "createdAt": "2026-11-22T10:{:02}:00Z",
  "status": "{}",
  "channel": "{}",
  "customer": {{"id": "c{}", "email": "someone@example.com", "name": "Some One", "vip": {}}},
  "shipping": {{"street": "Main St 1", "city": "Zürich", "zip": "{quantity_or_zip}", "country": "CH"}},
  "items": [{}],
  "subtotal": {},
  "tax": {},
  "total": {},
  "notes": "leave at the door",
  "priority": {},
  "giftWrap": false,
  "weightKg": 1.5
}}"#,
                rng.next() % (1 << 40),
                rng.next() % 60,
                rng.pick(&["new", "paid", "shipped", "cancelled"]),
                rng.pick(&["web", "app", "store"]),
                rng.next() % 1000,
                rng.next().is_multiple_of(2),
                items.join(", "),
                money(&mut rng),
                money(&mut rng),
                money(&mut rng),
                rng.next() % 6
            )
        })
        .collect()
}

fn compare(
    c: &mut Criterion,
    name: &str,
    cue_source: &str,
    definition: &str,
    json_schema: &str,
    documents: &[String],
) {
    let schema = shared::load_schema(cue_source, definition);
    let validator =
        jsonschema::validator_for(&serde_json::from_str(json_schema).expect("schema JSON"))
            .expect("JSON Schema compiles");
    // Both sides must agree on every verdict, or the comparison means nothing.
    for doc in documents {
        let ours = schema.validate_json("doc.json", doc).is_valid();
        let theirs = validator.is_valid(&serde_json::from_str(doc).expect("document JSON"));
        assert_eq!(ours, theirs, "verdicts differ on {doc}");
    }
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(documents.len() as u64));
    group.bench_function("cuemesh", |b| {
        b.iter(|| {
            let mut violations = 0;
            for doc in documents {
                violations += schema.validate_json("doc.json", doc).errors.len();
            }
            violations
        })
    });
    group.bench_function("jsonschema", |b| {
        b.iter(|| {
            let mut violations = 0;
            for doc in documents {
                let value: serde_json::Value = serde_json::from_str(doc).expect("document JSON");
                violations += validator.iter_errors(&value).count();
            }
            violations
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    compare(
        c,
        "identity",
        IDENTITY_CUE,
        "#Identity",
        IDENTITY_JSON_SCHEMA,
        &identity_documents(256),
    );
    compare(
        c,
        "order",
        ORDER_CUE,
        "#Order",
        ORDER_JSON_SCHEMA,
        &order_documents(256),
    );
    let schema = shared::load_schema(shared::ORDER_PLACED_CUE, "#OrderPlaced");
    assert!(
        schema.is_compiled(),
        "the publisher's schemas validate compiled"
    );
    let event = shared::ORDER_PLACED_JSON;
    assert!(schema.validate_json("event.json", event).is_valid());
    let mut group = c.benchmark_group("order_placed");
    group.throughput(Throughput::Elements(1));
    group.bench_function("cuemesh", |b| {
        b.iter(|| {
            schema
                .validate_json("event.json", std::hint::black_box(event))
                .is_valid()
        })
    });
    group.finish();
}

criterion_group!(validate, benches);
criterion_main!(validate);
