//! The registry's consumer routes over a real socket, on the template repository committed to
//! a real Git repository: `GET /v1/consumers` and
//! `GET /v1/sources/{source}/types/{type}/consumers`.

use cuemesh_testkit::{request_async, RegistryServer};
use serde_json::{json, Value};

async fn get(server: &RegistryServer, path: &str) -> (u16, Value) {
    let address = server.url.trim_start_matches("http://");
    let answer = request_async(address, "GET", path, &[], b"")
        .await
        .unwrap_or_else(|error| panic!("GET {path}: {error}"));
    let body = serde_json::from_str(&answer.body)
        .unwrap_or_else(|error| panic!("GET {path}: {error}: {}", answer.body));
    (answer.status, body)
}

#[tokio::test]
async fn every_declared_consumer_with_what_it_reads() {
    let server = RegistryServer::template().await;
    let (status, body) = get(&server, "/v1/consumers").await;
    assert_eq!(status, 200, "{body}");
    let consumers = body["consumers"].as_array().expect("a list");
    let ids: Vec<&str> = consumers.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, ["billing", "warehouse"]);
    assert_eq!(consumers[0]["owner"], "@acme/billing");
    assert_eq!(consumers[0]["file"], "consumers/billing.cue");
    assert_eq!(
        consumers[0]["reads"],
        json!([
            {"source": "com.acme.orders", "type": "com.acme.orders.placed", "version": "latest"},
            {"source": "com.acme.payments", "type": "com.acme.payments.captured", "version": 1},
        ])
    );
}

#[tokio::test]
async fn the_consumers_of_one_type_with_their_versions() {
    let server = RegistryServer::template().await;
    let (status, body) = get(
        &server,
        "/v1/sources/com.acme.orders/types/com.acme.orders.cancelled/consumers",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "source": "com.acme.orders",
            "type": "com.acme.orders.cancelled",
            "consumers": [{"id": "warehouse", "owner": "@acme/warehouse", "version": 1, "declared": true, "observed": null}],
        })
    );
    let (_, body) = get(
        &server,
        "/v1/sources/com.acme.orders/types/com.acme.orders.placed/consumers",
    )
    .await;
    let ids: Vec<&str> = body["consumers"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["billing", "warehouse"]);
    // A type nobody reads has none; an unknown type is the usual 404.
    let (status, body) = get(
        &server,
        "/v1/sources/MySource/types/MySource%3AnewPerson/consumers",
    )
    .await;
    assert_eq!((status, body["consumers"].clone()), (200, json!([])));
    let (status, body) = get(&server, "/v1/sources/com.acme.orders/types/nope/consumers").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "type_not_found");
}
