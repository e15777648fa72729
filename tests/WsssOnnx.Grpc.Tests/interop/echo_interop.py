"""Calls our C# gRPC server with the real grpc module (C core) and prints one JSON line of results.

Usage: /usr/bin/python3 echo_interop.py PORT
Exits non-zero with a message on stderr when a call fails in a way the results cannot express.
"""
import json
import queue
import sys

try:
    import grpc
    from google.protobuf import empty_pb2, wrappers_pb2
except ImportError as error:  # setup installs python3-grpcio and python3-protobuf
    sys.exit(f"interop needs the grpc and protobuf modules (apt: python3-grpcio python3-protobuf): {error}")

ECHO = "/wsss.test.Echo/"
HEALTH = "/grpc.health.v1.Health/"


def method(channel, kind, name, request_type, response_type, service=ECHO):
    factory = getattr(channel, kind)
    return factory(service + name, request_serializer=request_type.SerializeToString,
                   response_deserializer=response_type.FromString)


def health_request(service):
    """HealthCheckRequest{string service = 1}, encoded by hand (field 1, wire type 2)."""
    data = service.encode()
    return (b"\x0a" + bytes([len(data)]) + data) if data else b""


def health_status(data):
    """HealthCheckResponse{ServingStatus status = 1}: field 1 varint, absent when UNKNOWN (0)."""
    if not data:
        return 0
    if data[0] != 0x08:
        raise ValueError(f"unexpected HealthCheckResponse bytes {data!r}")
    return data[1]


def code_of(call):
    try:
        call()
    except grpc.RpcError as error:
        return error.code().name, error.details(), dict(error.trailing_metadata() or ())
    return "OK", "", {}


def main(port):
    results = {}
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        unary = method(channel, "unary_unary", "Unary", wrappers_pb2.StringValue, wrappers_pb2.StringValue)
        reply, call = unary.with_call(wrappers_pb2.StringValue(value="hello ünïcode"), timeout=10,
                                      metadata=(("x-echo", "from python"), ("x-echo-bin", b"\x00\xff")))
        results["unary"] = reply.value
        results["unary_header"] = dict(call.initial_metadata()).get("x-echo")
        results["unary_trailer_bin"] = list(dict(call.trailing_metadata()).get("x-echo-bin", b""))
        results["unary_1mb"] = len(unary(wrappers_pb2.StringValue(value="y" * (1 << 20)), timeout=10).value)

        stream = method(channel, "unary_stream", "ServerStream", wrappers_pb2.Int32Value, wrappers_pb2.StringValue)
        results["server_stream"] = [m.value for m in stream(wrappers_pb2.Int32Value(value=5), timeout=10)]

        client_stream = method(channel, "stream_unary", "ClientStream", wrappers_pb2.StringValue, wrappers_pb2.StringValue)
        results["client_stream"] = client_stream(iter(wrappers_pb2.StringValue(value=v) for v in "abc"), timeout=10).value

        # Duplex: the next request is only sent after the previous reply arrived, so replies must not wait for the end.
        duplex = method(channel, "stream_stream", "Duplex", wrappers_pb2.StringValue, wrappers_pb2.StringValue)
        turns = queue.Queue()
        turns.put("d0")

        def requests():
            while (value := turns.get(timeout=10)) is not None:
                yield wrappers_pb2.StringValue(value=value)

        replies = []
        for reply in duplex(requests(), timeout=10):
            replies.append(reply.value)
            turns.put(f"d{len(replies)}" if len(replies) < 4 else None)
        results["duplex"] = replies

        sleep = method(channel, "unary_unary", "Sleep", wrappers_pb2.Int32Value, empty_pb2.Empty)
        results["deadline"] = code_of(lambda: sleep(wrappers_pb2.Int32Value(value=20000), timeout=0.3,
                                                    metadata=(("x-probe", "py-deadline"),)))[0]
        # Cancel once the handler surely runs: after its first message of an endless stream.
        endless = stream(wrappers_pb2.Int32Value(value=-1), timeout=10, metadata=(("x-probe", "py-cancel"),))
        next(endless)
        endless.cancel()
        results["cancel"] = endless.code().name

        fail = method(channel, "unary_unary", "Fail", wrappers_pb2.StringValue, empty_pb2.Empty)
        code, details, trailers = code_of(lambda: fail(wrappers_pb2.StringValue(value="héllo ✓ 100%"), timeout=10))
        results["error"] = [code, details, trailers.get("x-failure")]
        crash = method(channel, "unary_unary", "Crash", wrappers_pb2.StringValue, empty_pb2.Empty)
        results["crash"] = code_of(lambda: crash(wrappers_pb2.StringValue(value="x"), timeout=10))[0]
        missing = method(channel, "unary_unary", "Missing", empty_pb2.Empty, empty_pb2.Empty)
        results["unknown_method"] = code_of(lambda: missing(empty_pb2.Empty(), timeout=10))[0]

        text = "compressible " * 5000
        results["gzip_echo"] = unary(wrappers_pb2.StringValue(value=text), timeout=10,
                                     compression=grpc.Compression.Gzip).value == text
        encoding = method(channel, "unary_unary", "Encoding", empty_pb2.Empty, wrappers_pb2.StringValue)
        results["gzip_request_encoding"] = encoding(empty_pb2.Empty(), timeout=10, compression=grpc.Compression.Gzip).value

        check = channel.unary_unary(HEALTH + "Check", request_serializer=None, response_deserializer=None)
        results["health_check"] = health_status(check(health_request(""), timeout=10))
        results["health_unknown"] = code_of(lambda: check(health_request("nope"), timeout=10))[0]
        watch = channel.unary_stream(HEALTH + "Watch", request_serializer=None, response_deserializer=None)
        watching = watch(health_request(""), timeout=10)
        results["health_watch_first"] = health_status(next(watching))
        watching.cancel()
    print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: echo_interop.py PORT")
    try:
        main(int(sys.argv[1]))
    except Exception as error:  # report, never hang the C# test
        sys.exit(f"interop failed: {type(error).__name__}: {error}")
