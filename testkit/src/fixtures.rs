//! Schema fixtures: a small orders package with its pin, and the template's `orders.placed`.

use std::path::Path;

use cuemesh_publisher::{LocalSchema, Pin};

pub const ORDERS_CUE: &str = r#"package orders

#OrderCreated: {
	orderId:  string & =~"^o-"
	total:    number & >=0
	currency: "EUR" | "USD"
	items: [...{sku: string, qty: int & >0}]
	note?: string
}
"#;

pub fn orders_pin() -> Pin {
    Pin::new("com.example.orders", "OrderCreated", 2)
}

/// A package directory holding [`ORDERS_CUE`], and a [`LocalSchema`] that pins it.
pub fn orders_schema(directory: &Path) -> LocalSchema {
    std::fs::write(directory.join("orders.cue"), ORDERS_CUE).expect("writing the schema");
    LocalSchema::new().with_version(orders_pin(), directory, "#OrderCreated", None)
}

pub const VALID_ORDER: &str =
    r#"{"orderId": "o-1", "total": 12.5, "currency": "EUR", "items": [{"sku": "a", "qty": 2}]}"#;

/// `orders.placed` of the template, version 1.
pub fn placed_pin() -> Pin {
    Pin::new("com.acme.orders", "com.acme.orders.placed", 1)
}

pub const VALID_PLACED: &str = r#"{"orderId": "order-1042", "customer": "ada@example.com",
 "lines": [{"sku": "BOOK-0001", "quantity": 1}], "total": {"amount": 4250, "currency": "EUR"},
 "placedAt": "2024-05-01T14:30:00Z"}"#;
