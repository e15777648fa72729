#!/usr/bin/python3
"""Server reflection seen by the real grpc client (Debian python3-grpcio, which ships no grpc_reflection module):
the ServerReflectionRequest/Response messages are encoded by hand (field numbers of grpc.reflection.v1), the
FileDescriptorProtos they carry are loaded into a descriptor pool, and a method found that way is called with
messages built from the reflected descriptors alone. Prints one JSON line. Usage: reflection_interop.py PORT"""
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def string_field(number, text):
    data = text.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def fields(data):
    """(number, value) of a message's fields: bytes for length-delimited ones, int for varints."""
    i = 0
    while i < len(data):
        key, shift = 0, 0
        while True:
            b = data[i]; i += 1
            key |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80:
                break
        number, kind = key >> 3, key & 7
        value, shift = 0, 0
        while True:
            b = data[i]; i += 1
            value |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80:
                break
        if kind == 2:
            yield number, data[i:i + value]
            i += value
        else:
            yield number, value


def ask(stub, requests):
    """One ServerReflectionInfo stream: a response per request, as (field number of the oneof, payload)."""
    answers = []
    for response in stub(iter(requests), timeout=30):
        answers.append([(n, v) for n, v in fields(response) if n >= 4][0])
    return answers


def main():
    channel = grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}")
    result = {}
    for version in ("v1", "v1alpha"):
        stub = channel.stream_stream(f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
                                     request_serializer=lambda b: b, response_deserializer=lambda b: b)
        answers = ask(stub, [
            string_field(7, "*"),                                   # list_services
            string_field(4, "grpc.health.v1.Health"),                 # file_containing_symbol
            string_field(3, "google/protobuf/wrappers.proto"),      # file_by_filename
            string_field(4, "no.such.Symbol"),
        ])
        kind, payload = answers[0]
        services = [dict(fields(s))[1].decode() for n, s in fields(payload) if n == 1] if kind == 6 else []
        files = []
        for kind, payload in answers[1:3]:
            assert kind == 4, kind
            files.append([descriptor_pb2.FileDescriptorProto.FromString(f) for n, f in fields(payload) if n == 1])
        error = dict(fields(answers[3][1])) if answers[3][0] == 7 else {}
        result[version] = {
            "services": services,
            "health_files": [f.name for f in files[0]],
            "health_methods": [m.name for f in files[0] for s in f.service for m in s.method],
            "wrappers_messages": [m.name for f in files[1] for m in f.message_type],
            "unknown_error_code": error.get(1),
        }
    # Call a method using only reflected descriptors: Health/Check with a request built from the pool.
    pool = descriptor_pool.DescriptorPool()
    stub = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                 request_serializer=lambda b: b, response_deserializer=lambda b: b)
    kind, payload = ask(stub, [string_field(4, "grpc.health.v1.Health.Check")])[0]
    for n, f in reversed(list(fields(payload))):  # dependencies first
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(f))
    method = pool.FindServiceByName("grpc.health.v1.Health").FindMethodByName("Check")
    make = getattr(message_factory, "GetMessageClass", None) or message_factory.MessageFactory(pool).GetPrototype
    request_class, response_class = make(method.input_type), make(method.output_type)
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=request_class.SerializeToString,
                                response_deserializer=response_class.FromString)
    reply = check(request_class(service=""), timeout=30)
    result["called_health_check"] = method.output_type.fields_by_name["status"].enum_type.values_by_number[reply.status].name
    print(json.dumps(result))


if __name__ == "__main__":
    main()
