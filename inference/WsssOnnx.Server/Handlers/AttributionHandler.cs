using System.Diagnostics;
using Google.Protobuf;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Fickle;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>
/// wsss.v1.Attribution.Attribute and the per-item work of RegenerateLabels: CAM or AdvCAM maps of the image's classes,
/// seeds at a background threshold, their dense-CRF refinement, IRN's confident labels and its random walk.
/// </summary>
public sealed class AttributionHandler(ModelRegistry registry, AdmissionController admission, RequestImage images)
{
    /// <summary>One Attribute call.</summary>
    public async Task<AttributeResponse> AttributeAsync(AttributeRequest request, CancellationToken cancellation)
    {
        var wanted = request.Labels.Count == 0 ? [LabelKind.Seeds, LabelKind.Crf] : request.Labels.Distinct().ToList();
        if (wanted.Contains(LabelKind.Unspecified)) throw ServiceErrors.InvalidArgument("labels: LABEL_KIND_UNSPECIFIED is not a label kind");
        // Protobuf keeps enum numbers this build does not know; they would select nothing and return an empty reply.
        foreach (var kind in wanted)
            if (!Enum.IsDefined(kind)) throw ServiceErrors.InvalidArgument($"labels: {(int)kind} is not a LabelKind");
        if (!Enum.IsDefined(request.Method)) throw ServiceErrors.InvalidArgument($"method: {(int)request.Method} is not an AttributionMethod");
        if (!Enum.IsDefined(request.LabelEncoding)) throw ServiceErrors.InvalidArgument($"label_encoding: {(int)request.LabelEncoding} is not a LabelEncoding");
        if (!Enum.IsDefined(request.MapEncoding)) throw ServiceErrors.InvalidArgument($"map_encoding: {(int)request.MapEncoding} is not a MapEncoding");
        var confident = wanted.Contains(LabelKind.Confident) ? new ConfidentRequest(request.ConfidentThresholds, "confident_thresholds") : null;
        var query = new Query(request.Image, request.Classes, request.Model, request.Method, request.Parameters,
            request.HasBackgroundThreshold ? request.BackgroundThreshold : null, wanted.Contains(LabelKind.Crf), confident,
            wanted.Contains(LabelKind.RandomWalk), Bounded: true, request.FickleNet);
        return await RunAsync(query, cancellation, (result, model, timings) =>
        {
            var reply = new AttributeResponse
            {
                ServedBy = ReplyEncoding.ServedBy(model),
                Timings = timings,
                Parameters = Describe(result.Work.Options),
                BackgroundThreshold = result.Work.BackgroundThreshold,
            };
            if (result.Work.Parameters.FickleNet is { } fickle) reply.FickleNet = Describe(fickle);
            if (request.WantMaps) reply.Maps.AddRange(ReplyEncoding.Maps(result.Maps, request.MapEncoding, model));
            if (wanted.Contains(LabelKind.Seeds)) reply.Seeds = ReplyEncoding.Labels(result.Seeds, request.LabelEncoding, model.Classes);
            if (result.Crf is not null) reply.Crf = ReplyEncoding.Labels(result.Crf, request.LabelEncoding, model.Classes);
            if (result.Confident is not null) reply.Confident = ReplyEncoding.Labels(result.Confident, request.LabelEncoding, model.Classes);
            if (result.RandomWalk is not null) reply.RandomWalk = ReplyEncoding.Labels(result.RandomWalk, request.LabelEncoding, model.Classes);
            return reply;
        }).ConfigureAwait(false);
    }

    /// <summary>One RegenerateLabels item: a VOC palette label map of the kind the stream's options ask for.</summary>
    public async Task<RegenerateLabelsResponse> RegenerateAsync(RegenerateItem item, RegenerateOptions options, CancellationToken cancellation)
    {
        bool crf = options.Label is LabelKind.Unspecified or LabelKind.Crf;
        var confident = options.Label == LabelKind.Confident ? new ConfidentRequest(options.ConfidentThresholds, "options.confident_thresholds") : null;
        // Stream items wait without counting against the queue: the stream bounds its own in-flight items.
        var query = new Query(item.Image, item.Classes, options.Model, options.Method, options.Parameters,
            options.HasBackgroundThreshold ? options.BackgroundThreshold : null, crf, confident, options.Label == LabelKind.RandomWalk, Bounded: false, options.FickleNet);
        return await RunAsync(query, cancellation, (result, model, timings) => new RegenerateLabelsResponse
        {
            Id = item.Id,
            Labels = ReplyEncoding.Labels(result.RandomWalk ?? result.Confident ?? result.Crf ?? result.Seeds, LabelEncoding.Png, model.Classes),
            ServedBy = ReplyEncoding.ServedBy(model),
            Timings = timings,
        }).ConfigureAwait(false);
    }

    private sealed record Query(ByteString Image, IReadOnlyList<string> Classes, ModelSelector? Model, AttributionMethod Method,
        AdvCamParameters? Parameters, float? BackgroundThreshold, bool Crf, ConfidentRequest? Confident, bool RandomWalk, bool Bounded, FickleNetParameters? FickleNet);

    /// <summary>The request's confident thresholds, resolved against the seed threshold once it is known; errors name <paramref name="Field"/>.</summary>
    private sealed record ConfidentRequest(ConfidentThresholds? Thresholds, string Field);

    private sealed record Result(Work Work, ClassMaps Maps, GrayImage Seeds, GrayImage? Crf, GrayImage? Confident, GrayImage? RandomWalk);

    /// <summary>
    /// Admission, model lease, decode, maps, seeds and CRF; <paramref name="reply"/> encodes and puts the given
    /// <see cref="Timings"/> in its reply, which are completed (encode and total time) after it returns.
    /// </summary>
    private async Task<T> RunAsync<T>(Query query, CancellationToken cancellation, Func<Result, LoadedModel, Timings, T> reply)
    {
        var total = Stopwatch.StartNew();
        if (query.Classes.Count == 0) throw ServiceErrors.InvalidArgument("classes is empty; name at least one class the image contains");
        var queue = Stopwatch.StartNew();
        using var ticket = await admission.EnterAsync(cancellation, query.Bounded).ConfigureAwait(false);
        double queueMs = queue.Elapsed.TotalMilliseconds;
        using var lease = registry.Acquire(query.Model?.Name, query.Model?.Version);
        var model = lease.Model;
        var work = Resolve(model, query, images.MaxSide);

        var decode = Stopwatch.StartNew();
        var image = images.Decode(query.Image);
        double decodeMs = decode.Elapsed.TotalMilliseconds;
        int crfPasses = (query.Crf ? 1 : 0) + (query.Confident is null ? 0 : 2);
        admission.CheckCost(RequestCost.Of(image.Width, image.Height, work.Options, work.Classes.Count, crfPasses, RequestCost.CrfIterations, query.RandomWalk,
            work.Parameters.FickleNet?.Samples ?? 0));
        var infer = Stopwatch.StartNew();
        var maps = Climb(model, image, work, cancellation);
        double inferMs = infer.Elapsed.TotalMilliseconds;
        var refine = Stopwatch.StartNew();
        var pipeline = model.Pipeline;
        var seeds = pipeline.Labels(PseudoLabelKind.Seeds, image, maps, work.Parameters, cancellation);
        var crf = query.Crf ? pipeline.Labels(PseudoLabelKind.Crf, image, maps, work.Parameters, cancellation) : null;
        var confident = query.Confident is null ? null : pipeline.Labels(PseudoLabelKind.Confident, image, maps, work.Parameters, cancellation);
        var randomWalk = query.RandomWalk ? pipeline.Labels(PseudoLabelKind.RandomWalk, image, maps, work.Parameters, cancellation) : null;
        double refineMs = refine.Elapsed.TotalMilliseconds;

        var timings = new Timings { QueueMs = queueMs, DecodeMs = decodeMs, InferenceMs = inferMs, RefineMs = refineMs };
        var encode = Stopwatch.StartNew();
        var result = reply(new Result(work, maps, seeds, crf, confident, randomWalk), model, timings);
        timings.EncodeMs = encode.Elapsed.TotalMilliseconds;
        timings.TotalMs = total.Elapsed.TotalMilliseconds;
        return result;
    }

    private sealed record Work(IReadOnlyList<int> Classes, LabelParameters Parameters)
    {
        public AdvCamOptions Options => Parameters.Maps;

        public float BackgroundThreshold => Parameters.BackgroundThreshold;
    }

    private static Work Resolve(LoadedModel model, Query query, int maxSide)
    {
        var parameters = Parameters(model, query.Method, query.Parameters, maxSide, query.BackgroundThreshold, query.Confident?.Thresholds, query.Confident?.Field,
            query.RandomWalk, query.FickleNet);
        return new Work(model.Pipeline.ResolveClasses(query.Classes), parameters);
    }

    private static ClassMaps Climb(LoadedModel model, RgbImage image, Work work, CancellationToken cancellation)
    {
        try
        {
            return model.Pipeline.Maps(image, work.Classes, work.Parameters, cancellation);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "image")
        {
            throw ServiceErrors.InvalidArgument($"image: {FirstLine(e.Message)}");
        }
    }

    /// <summary>
    /// The package defaults overridden by the request's set fields and validated by the pipeline; errors name the request
    /// field (INVALID_ARGUMENT), a missing climber or boundary network is FAILED_PRECONDITION. Confident thresholds count
    /// only where <paramref name="confidentField"/> names them (the request asks for confident labels). Field names in
    /// errors start with <paramref name="fields"/> ("options." for a RegenerateLabels stream's options).
    /// </summary>
    public static LabelParameters Parameters(LoadedModel model, AttributionMethod method, AdvCamParameters? p, int maxSide, float? threshold = null,
        ConfidentThresholds? confident = null, string? confidentField = null, bool randomWalk = false, FickleNetParameters? fickle = null, string fields = "")
    {
        var overrides = new LabelOverrides
        {
            MaxSide = maxSide,
            Steps = p is { HasSteps: true } ? WireCount(p.Steps, $"{fields}parameters.steps", AdvCamOptions.MaxSteps) : null,
            StepSize = p is { HasStepSize: true } ? p.StepSize : null,
            MaskWeight = p is { HasMaskWeight: true } ? p.MaskWeight : null,
            MaskThreshold = p is { HasMaskThreshold: true } ? p.MaskThreshold : null,
            Scales = p is { Scales.Count: > 0 } ? [.. p.Scales] : null,
            BackgroundThreshold = threshold,
            ConfidentForeground = confidentField is not null && confident is { HasForeground: true } ? confident.Foreground : null,
            ConfidentBackground = confidentField is not null && confident is { HasBackground: true } ? confident.Background : null,
            DropRate = fickle is { HasDropRate: true } ? fickle.DropRate : null,
            Samples = fickle is { HasSamples: true } ? WireCount(fickle.Samples, $"{fields}fickle_net.samples", FickleNetOptions.MaxSamples) : null,
            FickleNetSeed = fickle is { HasSeed: true } ? fickle.Seed : null,
        };
        try
        {
            return model.Pipeline.Parameters(MapMethodOf(method), overrides,
                randomWalk ? [PseudoLabelKind.RandomWalk] : []);
        }
        catch (LabelParameterException e) when (e.Parameter == LabelParameter.BackgroundThreshold)
        {
            throw ServiceErrors.InvalidArgument($"{fields}background_threshold must be in [0, 1]; got {threshold}");
        }
        catch (LabelParameterException e)
        {
            string field = e.Parameter switch
            {
                LabelParameter.Steps => $"{fields}parameters.steps",
                LabelParameter.StepSize => $"{fields}parameters.step_size",
                LabelParameter.MaskWeight => $"{fields}parameters.mask_weight",
                LabelParameter.MaskThreshold => $"{fields}parameters.mask_threshold",
                LabelParameter.Scales => $"{fields}parameters.scales",
                LabelParameter.DropRate => $"{fields}fickle_net.drop_rate",
                LabelParameter.Samples => $"{fields}fickle_net.samples",
                LabelParameter.ConfidentForeground or LabelParameter.ConfidentBackground => confidentField ?? $"{fields}confident_thresholds",
                _ => $"{fields}parameters",
            };
            throw ServiceErrors.InvalidArgument($"{field}: {e.Message}");
        }
        catch (LocaliserMismatchException e)
        {
            throw new RpcException(GrpcStatusCode.FailedPrecondition,
                $"ATTRIBUTION_METHOD_ACOL needs a classifier trained with ACoL, but {e.Package}'s was trained as {e.Trained}; use ATTRIBUTION_METHOD_CAM or ATTRIBUTION_METHOD_ADVCAM");
        }
        catch (MissingNetworkException e) when (e.Role == PackageRoles.Climber)
        {
            throw new RpcException(GrpcStatusCode.FailedPrecondition, $"{model.Name}/{model.Version} has no climber.onnx; use ATTRIBUTION_METHOD_CAM");
        }
        catch (MissingNetworkException e) when (e.Role == PackageRoles.Fickle)
        {
            throw new RpcException(GrpcStatusCode.FailedPrecondition,
                $"{model.Name}/{model.Version} has no fickle network (fickle.onnx), so it cannot make ATTRIBUTION_METHOD_FICKLENET maps; " +
                "use ATTRIBUTION_METHOD_CAM or a package exported by wsss-train");
        }
        catch (MissingNetworkException e) when (e.Role == PackageRoles.Boundary)
        {
            throw new RpcException(GrpcStatusCode.FailedPrecondition,
                $"{model.Name}/{model.Version} has no boundary network (boundary.onnx), so it cannot make LABEL_KIND_RANDOM_WALK labels; choose a version that has one or another label kind");
        }
    }

    /// <summary>
    /// A uint32 count from the wire for the pipeline's int. One past int's range is past <paramref name="max"/> too; it is
    /// refused here so that the message quotes the value sent rather than int.MaxValue.
    /// </summary>
    private static int WireCount(uint value, string field, int max) =>
        value <= int.MaxValue ? (int)value : throw ServiceErrors.InvalidArgument($"{field} must be in [1, {max}]; got {value}");

    /// <summary>The pipeline's method for the wire's (old clients send 0 or 1 only).</summary>
    public static MapMethod MapMethodOf(AttributionMethod method) => method switch
    {
        AttributionMethod.Cam => MapMethod.Cam,
        AttributionMethod.Acol => MapMethod.Acol,
        AttributionMethod.Ficklenet => MapMethod.FickleNet,
        _ => MapMethod.AdvCam,
    };

    private static AdvCamParameters Describe(AdvCamOptions o)
    {
        var p = new AdvCamParameters { Steps = (uint)o.Steps, StepSize = o.StepSize, MaskWeight = o.MaskWeight, MaskThreshold = o.MaskThreshold };
        p.Scales.AddRange(o.Scales);
        return p;
    }

    private static FickleNetParameters Describe(FickleNetOptions o) => new() { DropRate = o.DropRate, Samples = (uint)o.Samples, Seed = o.Seed };

    // ArgumentException appends " (Parameter 'x')" and "Actual value was ..." lines; the first sentence is the message.
    private static string FirstLine(string message)
    {
        int end = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (end < 0) end = message.IndexOf('\n');
        return end < 0 ? message : message[..end];
    }
}
