"""Reads the CloudEvents a cuemesh publisher stored in JetStream with independent clients:
nats-py to consume the stream and the CloudEvents Python SDK to parse each message, in
structured mode (`Content-Type: application/cloudevents+json`) or binary mode (`ce-` headers,
read with the SDK's HTTP binding, whose header rules the NATS binding draft shares).

Prints one JSON object per event on stdout: the stream sequence, the subject, the content
mode, every attribute as the SDK parsed it (time in RFC 3339) and the data. Exits 1 with the
reason on stderr when a message does not parse as a CloudEvents 1.0 event, and 3 when the
packages are missing (so a caller can tell "cannot run" from "failed").

    python3 read_events.py --nats nats://127.0.0.1:4222 --stream EVENTS --count 2
"""

import argparse
import asyncio
import json
import sys

try:
    import nats
    from cloudevents.core.bindings import http as cloudevents_http
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


async def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--nats", required=True, help="nats://host:port")
    arguments.add_argument("--stream", default="EVENTS")
    arguments.add_argument("--subject", default="events.>", help="the consumer's filter")
    arguments.add_argument("--count", type=int, required=True, help="events to read")
    options = arguments.parse_args()

    connection = await nats.connect(options.nats)
    try:
        jetstream = connection.jetstream()
        subscription = await jetstream.pull_subscribe(options.subject, stream=options.stream)
        read = 0
        while read < options.count:
            for message in await subscription.fetch(options.count - read, timeout=10):
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
                read += 1
    finally:
        await connection.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as error:  # Any failure is the test's answer: say what it was.
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
