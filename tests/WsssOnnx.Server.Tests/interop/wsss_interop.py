"""Calls every wsss.v1 RPC and grpc.health.v1 Check/Watch of a running WsssServer with the real grpc module (C core)
and prints one JSON line of results. Messages come from a descriptor set (protoc --include_imports), not generated code.

Usage: /usr/bin/python3 wsss_interop.py PORT DESCRIPTOR_SET IMAGE_FILE CLASS
The server must have versions "1" and "2" of package "default", "2" active; it is left that way.
"""
import json
import queue
import sys
import time

try:
    import grpc
    from google.protobuf import descriptor_pb2, message_factory
except ImportError as error:  # setup installs python3-grpcio and python3-protobuf
    sys.exit(f"interop needs the grpc and protobuf modules (apt: python3-grpcio python3-protobuf): {error}")


def load_messages(path):
    files = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        files.ParseFromString(f.read())
    return message_factory.GetMessages(list(files.file))


def code_of(call):
    try:
        call()
    except grpc.RpcError as error:
        return error.code().name, error.details()
    return "OK", ""


def main(port, descriptors, image_path, class_name):
    m = load_messages(descriptors)
    with open(image_path, "rb") as f:
        image = f.read()
    results = {}

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        def rpc(kind, path, request, response):
            return getattr(channel, kind)(path, request_serializer=m[request].SerializeToString,
                                          response_deserializer=m[response].FromString)

        segment = rpc("unary_unary", "/wsss.v1.Segmentation/Segment", "wsss.v1.SegmentRequest", "wsss.v1.SegmentResponse")
        attribute = rpc("unary_unary", "/wsss.v1.Attribution/Attribute", "wsss.v1.AttributeRequest", "wsss.v1.AttributeResponse")
        regenerate = rpc("stream_stream", "/wsss.v1.Attribution/RegenerateLabels",
                         "wsss.v1.RegenerateLabelsRequest", "wsss.v1.RegenerateLabelsResponse")
        admin = {name: rpc("unary_unary", f"/wsss.v1.ModelAdmin/{name}", request, response) for name, request, response in [
            ("ListModels", "wsss.v1.ListModelsRequest", "wsss.v1.ListModelsResponse"),
            ("LoadModel", "wsss.v1.ModelVersionRequest", "wsss.v1.ModelVersion"),
            ("ActivateModel", "wsss.v1.ModelVersionRequest", "wsss.v1.ModelVersion"),
            ("UnloadModel", "wsss.v1.ModelVersionRequest", "wsss.v1.ModelVersion"),
            ("GetStatus", "wsss.v1.GetStatusRequest", "wsss.v1.ServerStatus"),
        ]}
        check = rpc("unary_unary", "/grpc.health.v1.Health/Check", "grpc.health.v1.HealthCheckRequest", "grpc.health.v1.HealthCheckResponse")
        watch = rpc("unary_stream", "/grpc.health.v1.Health/Watch", "grpc.health.v1.HealthCheckRequest", "grpc.health.v1.HealthCheckResponse")
        Version = m["wsss.v1.ModelVersionRequest"]
        state_name = m["wsss.v1.ModelVersion"].DESCRIPTOR.fields_by_name["state"].enum_type.values_by_number

        def advcam(steps, **fields):
            request = m["wsss.v1.AttributeRequest"](image=image, classes=[class_name], **fields)
            request.parameters.steps = steps
            request.parameters.scales.append(1.0)
            return request

        def running():
            return admin["GetStatus"](m["wsss.v1.GetStatusRequest"](), timeout=10).running

        # Health: the whole server and one service; Watch's first message is the current status.
        HealthRequest = m["grpc.health.v1.HealthCheckRequest"]
        results["health"] = check(HealthRequest(service=""), timeout=10).status
        results["health_attribution"] = check(HealthRequest(service="wsss.v1.Attribution"), timeout=10).status
        watching = watch(HealthRequest(service=""), timeout=10)
        results["health_watch_first"] = next(watching).status
        watching.cancel()

        # Segment (raw labels at the image's size).
        reply = segment(m["wsss.v1.SegmentRequest"](image=image, encoding=2), timeout=30)  # LABEL_ENCODING_PNG_AND_RAW
        results["segment"] = {"width": reply.labels.width, "height": reply.labels.height, "raw": len(reply.labels.raw),
                              "png": reply.labels.png[:8] == b"\x89PNG\r\n\x1a\n", "version": reply.served_by.version}

        # Attribute: CAM with 8-bit PNG maps, AdvCAM (T = 2, scale 1) with float maps.
        cam = attribute(advcam(2, method=1, want_maps=True), timeout=30)  # ATTRIBUTION_METHOD_CAM ignores steps
        results["cam"] = {"maps": [[c.name, c.width, c.height, c.png[:4] == b"\x89PNG"] for c in cam.maps],
                          "steps": cam.parameters.steps, "seeds": [cam.seeds.width, cam.seeds.height], "version": cam.served_by.version}
        adv = attribute(advcam(2, method=0, want_maps=True, map_encoding=1, labels=[1]), timeout=60)  # FLOAT32, seeds only
        results["advcam"] = {"maps": [[c.name, c.width, c.height, len(c.float32)] for c in adv.maps],
                             "steps": adv.parameters.steps, "scales": list(adv.parameters.scales), "crf": adv.HasField("crf"),
                             "version": adv.served_by.version}

        # RegenerateLabels as a real duplex stream: two items, then two more (one of them not an image) only after the
        # first result arrived.
        Request = m["wsss.v1.RegenerateLabelsRequest"]
        turns = queue.Queue()

        def requests():
            options = Request()
            options.options.method = 0
            options.options.parameters.steps = 2
            options.options.parameters.scales.append(1.0)
            options.options.label = 1  # LABEL_KIND_SEEDS
            options.options.max_in_flight = 2
            yield options
            while (item := turns.get(timeout=60)) is not None:
                request = Request()
                request.item.id, request.item.image = item
                request.item.classes.append(class_name)
                yield request

        turns.put(("a", image))
        turns.put(("b", image))
        stream = {}
        for reply in regenerate(requests(), timeout=120):
            stream[reply.id] = ({"code": reply.error.code, "message": reply.error.message} if reply.HasField("error") else
                                {"width": reply.labels.width, "height": reply.labels.height, "png": len(reply.labels.png) > 0,
                                 "version": reply.served_by.version})
            if len(stream) == 1:
                turns.put(("bad", b"not an image at all"))
                turns.put(("c", image))
                turns.put(None)
        results["stream"] = stream

        # ModelAdmin: list, load, unload, activate "1" (and serve from it), refuse to unload the active one, back to "2".
        results["list"] = sorted([v.version, state_name[v.state].name] for v in admin["ListModels"](m["wsss.v1.ListModelsRequest"](), timeout=10).versions)
        results["load"] = state_name[admin["LoadModel"](Version(name="default", version="1"), timeout=60).state].name
        results["unload"] = state_name[admin["UnloadModel"](Version(version="1"), timeout=30).state].name
        results["activate"] = state_name[admin["ActivateModel"](Version(version="1"), timeout=60).state].name
        results["served_after_activate"] = segment(m["wsss.v1.SegmentRequest"](image=image), timeout=30).served_by.version
        results["unload_active"] = code_of(lambda: admin["UnloadModel"](Version(version="1"), timeout=10))[0]
        admin["ActivateModel"](Version(version="2"), timeout=60)
        status = admin["GetStatus"](m["wsss.v1.GetStatusRequest"](), timeout=10)
        results["status"] = {"active": [[a.name, a.version] for a in status.active], "limit": status.concurrency_limit,
                             "ort": status.onnx_runtime_version}

        # A deadline that expires during climbing.
        start = time.monotonic()
        results["deadline"] = code_of(lambda: attribute(advcam(1000), timeout=1.0))[0]
        results["deadline_s"] = time.monotonic() - start

        # Cancelling an Attribute once it runs; the server stops climbing (running goes back to 0).
        future = attribute.future(advcam(1000), timeout=60)
        end = time.monotonic() + 10
        while running() == 0 and time.monotonic() < end:
            time.sleep(0.02)
        results["cancel_accepted"] = future.cancel()
        results["cancel"] = future.code().name
        end = time.monotonic() + 10
        start = time.monotonic()
        while running() != 0 and time.monotonic() < end:
            time.sleep(0.02)
        results["cancel_stopped_s"] = time.monotonic() - start
        results["running_after_cancel"] = running()

        # Error statuses.
        results["unknown_class"] = code_of(lambda: attribute(m["wsss.v1.AttributeRequest"](image=image, classes=["unicorn"]), timeout=10))
        unknown_model = m["wsss.v1.SegmentRequest"](image=image)
        unknown_model.model.name = "nope"
        results["unknown_model"] = code_of(lambda: segment(unknown_model, timeout=10))
        results["after_errors"] = segment(m["wsss.v1.SegmentRequest"](image=image), timeout=30).served_by.version
    print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: wsss_interop.py PORT DESCRIPTOR_SET IMAGE_FILE CLASS")
    try:
        main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])
    except Exception as error:  # report, never hang the C# test
        sys.exit(f"interop failed: {type(error).__name__}: {error}")
