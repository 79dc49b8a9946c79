"""Independent clients for cuemesh's interoperability test: nats-py and the CloudEvents Python
SDK, reading and writing CloudEvents in JetStream. The SDK's HTTP binding is used for both
content modes: structured (`Content-Type: application/cloudevents+json`) and binary (`ce-`
headers, whose percent-encoding rules the NATS binding draft shares).

`read` consumes the stream and prints one JSON object per event on stdout: the stream sequence,
the subject, the content mode, every attribute as the SDK parsed it (time in RFC 3339) and the
data. `write` publishes two events built with the SDK, ids `py-structured` and `py-binary`, with
the given source, type, dataschema and data, the subject `order o-1 "é" 100%`, the time
2026-05-17T09:30:00Z and the extension `tenant: acme corp`.

Exits 1 with the reason on stderr on failure (a message that does not parse as a CloudEvents
1.0 event), and 3 when the packages are missing (so a caller can tell "cannot run" from
"failed").

    python3 interop.py read --nats nats://127.0.0.1:4222 --stream EVENTS --count 2
    python3 interop.py write --nats nats://127.0.0.1:4222 --subject events.s.t \\
        --source s --type t --dataschema https://r.example/... --data '{"a": 1}'
"""

import argparse
import asyncio
import json
import sys
from datetime import datetime, timezone

try:
    import nats
    from cloudevents.core.bindings import http as cloudevents_http
    from cloudevents.core.v1.event import CloudEvent
except ImportError as missing:
    print(f"missing Python package: {missing}", file=sys.stderr)
    sys.exit(3)


def parse(message):
    """The CloudEvent in a NATS message, parsed by the SDK, and its content mode."""
    headers = dict(message.headers or {})
    mode = "binary" if any(k.lower().startswith("ce-") for k in headers) else "structured"
    event = cloudevents_http.from_http_event(
        cloudevents_http.HTTPMessage(headers=headers, body=message.data)
    )
    if event.get_specversion() != "1.0":
        raise ValueError(f"specversion is {event.get_specversion()!r}, not 1.0")
    return mode, event


def as_json(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


async def read(options):
    connection = await nats.connect(options.nats)
    try:
        jetstream = connection.jetstream()
        subscription = await jetstream.pull_subscribe(options.subject, stream=options.stream)
        received = 0
        while received < options.count:
            for message in await subscription.fetch(options.count - received, timeout=10):
                mode, event = parse(message)
                attributes = {k: as_json(v) for k, v in event.get_attributes().items()}
                print(json.dumps({
                    "sequence": message.metadata.sequence.stream,
                    "subject": message.subject,
                    "mode": mode,
                    "attributes": attributes,
                    "data": as_json(event.get_data()),
                }), flush=True)
                await message.ack()
                received += 1
    finally:
        await connection.close()


async def write(options):
    def event(event_id):
        return CloudEvent(
            attributes={
                "id": event_id,
                "source": options.source,
                "type": options.type,
                "subject": 'order o-1 "é" 100%',
                "time": datetime(2026, 5, 17, 9, 30, tzinfo=timezone.utc),
                "datacontenttype": "application/json",
                "dataschema": options.dataschema,
                "tenant": "acme corp",
            },
            data=json.loads(options.data),
        )

    connection = await nats.connect(options.nats)
    try:
        jetstream = connection.jetstream()
        for message in (
            cloudevents_http.to_structured_event(event("py-structured")),
            cloudevents_http.to_binary_event(event("py-binary")),
        ):
            await jetstream.publish(options.subject, message.body, headers=dict(message.headers))
    finally:
        await connection.close()


async def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = arguments.add_subparsers(dest="command", required=True)
    reading = commands.add_parser("read", help="print the stored events as the SDK parses them")
    reading.add_argument("--nats", required=True, help="nats://host:port")
    reading.add_argument("--stream", default="EVENTS")
    reading.add_argument("--subject", default="events.>", help="the consumer's filter")
    reading.add_argument("--count", type=int, required=True, help="events to read")
    writing = commands.add_parser("write", help="publish two events the SDK encodes")
    writing.add_argument("--nats", required=True, help="nats://host:port")
    writing.add_argument("--subject", required=True)
    writing.add_argument("--source", required=True)
    writing.add_argument("--type", required=True)
    writing.add_argument("--dataschema", required=True)
    writing.add_argument("--data", required=True, help="the data, as JSON")
    options = arguments.parse_args()
    await (read(options) if options.command == "read" else write(options))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as error:  # Any failure is the test's answer: say what it was.
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
