//! The registry's consumer routes over a real socket, on the template repository committed to
//! a real Git repository: `GET /v1/consumers` and
//! `GET /v1/sources/{source}/types/{type}/consumers`.

use cuemesh_testkit::{request_async, RegistryServer};
use serde_json::{json, Value};

async fn get(server: &RegistryServer, path: &str) -> (u16, Value) {
    let (status, body) = get_page(server, path).await;
    let body =
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("GET {path}: {error}: {body}"));
    (status, body)
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
    assert_eq!(consumers[0]["declared"], true);
    // Without `serve --nats`, nothing is observed.
    assert_eq!(
        consumers[0]["reads"],
        json!([
            {"source": "com.acme.orders", "type": "com.acme.orders.placed", "version": "latest", "observed": null},
            {"source": "com.acme.payments", "type": "com.acme.payments.captured", "version": 1, "observed": null},
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

async fn get_page(server: &RegistryServer, path: &str) -> (u16, String) {
    let address = server.url.trim_start_matches("http://");
    let answer = request_async(address, "GET", path, &[], b"")
        .await
        .unwrap_or_else(|error| panic!("GET {path}: {error}"));
    (answer.status, answer.body)
}

#[tokio::test]
async fn the_catalog_shows_consumers_and_how_to_consume() {
    let server = RegistryServer::template().await;
    let (status, html) = get_page(
        &server,
        "/sources/com.acme.orders/types/com.acme.orders.cancelled",
    )
    .await;
    assert_eq!(status, 200, "{html}");
    for expected in [
        "<h2 id=\"consumers\">Consumers</h2>",
        "<tr><td><a href=\"/consumers/warehouse\">warehouse</a></td><td>@acme/warehouse</td><td>1</td><td>-</td></tr>",
        "<code class=\"subject\">events.com%2Eacme%2Eorders.com%2Eacme%2Eorders%2Ecancelled</code>",
        "cuemesh tail --nats &quot;$NATS_URL&quot; --source com.acme.orders --type com.acme.orders.cancelled",
    ] {
        assert!(html.contains(expected), "{expected}\n{html}");
    }
    // A type nobody reads still says how to consume it; the name is quoted for the shell.
    let (_, html) = get_page(&server, "/sources/MySource/types/MySource%3AnewPerson").await;
    assert!(
        html.contains("No consumer declares that it reads this type"),
        "{html}"
    );
    assert!(
        html.contains("--source MySource --type MySource:newPerson"),
        "{html}"
    );

    let (status, html) = get_page(&server, "/consumers/billing").await;
    assert_eq!(status, 200, "{html}");
    for expected in [
        "owned by @acme/billing",
        "Declared in <code>consumers/billing.cue</code>",
        "<a href=\"/sources/com.acme.payments/types/com.acme.payments.captured/versions/1\">v1</a>",
        "<td>latest</td>",
    ] {
        assert!(html.contains(expected), "{expected}\n{html}");
    }
    let (_, html) = get_page(&server, "/").await;
    assert!(
        html.contains("<a href=\"/consumers/warehouse\">warehouse</a>"),
        "{html}"
    );
    let (status, _) = get_page(&server, "/consumers/nobody").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_asyncapi_catalog_has_a_receive_operation_per_consumer() {
    let server = RegistryServer::template().await;
    let (status, document) = get(&server, "/v1/catalog/asyncapi.json").await;
    assert_eq!(status, 200);
    let operations = document["operations"].as_object().expect("operations");
    let receive: Vec<(&str, &Value)> = operations
        .iter()
        .filter(|(_, operation)| operation["action"] == "receive")
        .map(|(name, operation)| (name.as_str(), operation))
        .collect();
    let names: Vec<&str> = receive.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "com_2Eacme_2Eorders.com_2Eacme_2Eorders_2Ecancelled.receive.warehouse",
            "com_2Eacme_2Eorders.com_2Eacme_2Eorders_2Eplaced.receive.billing",
            "com_2Eacme_2Eorders.com_2Eacme_2Eorders_2Eplaced.receive.warehouse",
            "com_2Eacme_2Epayments.com_2Eacme_2Epayments_2Ecaptured.receive.billing",
        ]
    );
    // The AsyncAPI initiative's parser accepts the operations (when its npm packages are
    // installed: `.ci/run` installs them and requires them).
    let directory = tempfile::tempdir().expect("temporary directory");
    let file = directory.path().join("asyncapi.json");
    std::fs::write(&file, document.to_string()).expect("write");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/asyncapi-check.mjs");
    match std::process::Command::new("node")
        .arg(&script)
        .arg(&file)
        .output()
    {
        Ok(output) if output.status.code() != Some(2) => assert!(
            output.status.success(),
            "the AsyncAPI parser refuses the document: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        _ => assert!(
            std::env::var_os("CUEMESH_REQUIRE_ASYNCAPI_PARSER").is_none(),
            "the AsyncAPI parser is required but node or its npm packages are missing"
        ),
    }
    let (_, cancelled) = receive[0];
    assert_eq!(cancelled["x-cuemesh-version"], 1);
    assert_eq!(
        cancelled["channel"]["$ref"],
        operations
            .values()
            .find(|operation| operation["action"] == "send"
                && operation["channel"] == cancelled["channel"])
            .expect("the send operation of the same channel")["channel"]["$ref"]
    );
}

#[tokio::test]
async fn the_graph_links_producers_types_and_consumers() {
    let server = RegistryServer::template().await;
    let (status, html) = get_page(&server, "/graph").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<svg class=\"graph\""), "{html}");
    let count = |needle: &str| html.matches(needle).count();
    // 3 sources, 4 event types, 2 consumers; an edge per type from its source, and one per read.
    assert_eq!(
        (
            count("class=\"node source\""),
            count("class=\"node type\""),
            count("class=\"node consumer\"")
        ),
        (3, 4, 2)
    );
    assert_eq!(count("class=\"edge produces\""), 4);
    assert_eq!(count("class=\"edge reads\""), 4);
    assert!(
        html.contains("<path class=\"edge reads\" data-from=\"com.acme.orders.cancelled\" data-to=\"warehouse\" data-version=\"1\""),
        "{html}"
    );
    assert!(
        html.contains("<a class=\"node consumer\" href=\"/consumers/billing\">"),
        "{html}"
    );
    let (_, home) = get_page(&server, "/").await;
    assert!(home.contains("<a href=\"/graph\">"), "{home}");
}
