using System.Diagnostics;
using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>wsss.v1.Segmentation.Segment: the package's segmenter, argmax at the image's size.</summary>
public sealed class SegmentationHandler(ModelRegistry registry, AdmissionController admission, RequestImage images)
{
    public async Task<SegmentResponse> SegmentAsync(SegmentRequest request, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        if (!Enum.IsDefined(request.Encoding)) throw ServiceErrors.InvalidArgument($"encoding: {(int)request.Encoding} is not a LabelEncoding");
        var queue = Stopwatch.StartNew();
        using var ticket = await admission.EnterAsync(cancellation).ConfigureAwait(false);
        var timings = new Timings { QueueMs = queue.Elapsed.TotalMilliseconds };
        using var lease = registry.Acquire(request.Model?.Name, request.Model?.Version);
        var model = lease.Model;
        if (!model.Pipeline.CanSegment)
            throw new RpcException(GrpcStatusCode.FailedPrecondition, $"{model.Name}/{model.Version} has no segmenter.onnx");

        var decode = Stopwatch.StartNew();
        var image = images.Decode(request.Image);
        timings.DecodeMs = decode.Elapsed.TotalMilliseconds;
        var infer = Stopwatch.StartNew();
        var labels = model.Pipeline.Segment(image, cancellation);
        timings.InferenceMs = infer.Elapsed.TotalMilliseconds;
        var encode = Stopwatch.StartNew();
        var reply = new SegmentResponse
        {
            Labels = ReplyEncoding.Labels(labels, request.Encoding, model.Classes),
            ServedBy = ReplyEncoding.ServedBy(model),
        };
        timings.EncodeMs = encode.Elapsed.TotalMilliseconds;
        timings.TotalMs = total.Elapsed.TotalMilliseconds;
        reply.Timings = timings;
        return reply;
    }
}
