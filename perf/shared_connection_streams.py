"""RegenerateLabels streams sharing ONE HTTP/2 connection (one grpcio channel), each sending the same image K times.

Prints the items labelled, the items failed and the streams that ended with an error (with their status): with more
busy streams than the server has places, the streams' unread data shares the connection's flow-control window.
Usage: /usr/bin/python3 perf/shared_connection_streams.py PORT DESCRIPTOR_SET IMAGE STREAMS ITEMS CLASS
"""
import collections
import sys
import threading
import time

import grpc
from google.protobuf import descriptor_pb2, message_factory

port, descriptors, image_path, streams, items, class_name = sys.argv[1:7]
files = descriptor_pb2.FileDescriptorSet()
with open(descriptors, "rb") as f:
    files.ParseFromString(f.read())
messages = message_factory.GetMessages(list(files.file))
Request, Response = messages["wsss.v1.RegenerateLabelsRequest"], messages["wsss.v1.RegenerateLabelsResponse"]
with open(image_path, "rb") as f:
    image = f.read()
counts, errors, lock = collections.Counter(), [], threading.Lock()


def requests(stream):
    first = Request()
    first.options.method = 1  # CAM
    first.options.label = 2  # CRF
    yield first
    for i in range(int(items)):
        item = Request()
        item.item.id = f"s{stream}-{i}"
        item.item.image = image
        item.item.classes.append(class_name)
        yield item


with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
    call = channel.stream_stream("/wsss.v1.Attribution/RegenerateLabels",
                                 request_serializer=Request.SerializeToString, response_deserializer=Response.FromString)

    def run(stream):
        try:
            for reply in call(requests(stream)):
                with lock:
                    counts["failed" if reply.HasField("error") else "labelled"] += 1
        except grpc.RpcError as error:
            with lock:
                errors.append(f"stream {stream}: {error.code().name} {error.details()[:120]}")

    start = time.time()
    threads = [threading.Thread(target=run, args=(s,)) for s in range(int(streams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(f"{streams} streams x {items} items on one connection: {counts['labelled']} labelled, {counts['failed']} failed, "
      f"{len(errors)} streams ended with an error, {time.time() - start:.1f} s")
for line in errors:
    print("  " + line)
