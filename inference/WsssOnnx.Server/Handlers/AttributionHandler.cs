using System.Diagnostics;
using Google.Protobuf;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
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
            wanted.Contains(LabelKind.RandomWalk), Bounded: true);
        return await RunAsync(query, cancellation, (result, model, timings) =>
        {
            var reply = new AttributeResponse
            {
                ServedBy = ReplyEncoding.ServedBy(model),
                Timings = timings,
                Parameters = Describe(result.Work.Options),
                BackgroundThreshold = result.Work.BackgroundThreshold,
            };
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
            options.HasBackgroundThreshold ? options.BackgroundThreshold : null, crf, confident, options.Label == LabelKind.RandomWalk, Bounded: false);
        return await RunAsync(query, cancellation, (result, model, timings) => new RegenerateLabelsResponse
        {
            Id = item.Id,
            Labels = ReplyEncoding.Labels(result.RandomWalk ?? result.Confident ?? result.Crf ?? result.Seeds, LabelEncoding.Png, model.Classes),
            ServedBy = ReplyEncoding.ServedBy(model),
            Timings = timings,
        }).ConfigureAwait(false);
    }

    private sealed record Query(ByteString Image, IReadOnlyList<string> Classes, ModelSelector? Model, AttributionMethod Method,
        AdvCamParameters? Parameters, float? BackgroundThreshold, bool Crf, ConfidentRequest? Confident, bool RandomWalk, bool Bounded);

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
        var work = Resolve(model, query.Method, query.Parameters, query.BackgroundThreshold, query.Classes);
        if (query.RandomWalk) RequireBoundary(model);
        var confidentOptions = query.Confident is null ? null : ConfidentOptions(query.Confident, work.BackgroundThreshold);

        var decode = Stopwatch.StartNew();
        var image = images.Decode(query.Image);
        double decodeMs = decode.Elapsed.TotalMilliseconds;
        int crfPasses = (query.Crf ? 1 : 0) + (query.Confident is null ? 0 : 2);
        admission.CheckCost(RequestCost.Of(image.Width, image.Height, work.Options, work.Classes.Count, crfPasses, RequestCost.CrfIterations, query.RandomWalk));
        var infer = Stopwatch.StartNew();
        var maps = Climb(model, image, work, cancellation);
        double inferMs = infer.Elapsed.TotalMilliseconds;
        var refine = Stopwatch.StartNew();
        var seeds = LoadedModel.Seeds(maps, work.BackgroundThreshold);
        var crf = query.Crf ? LoadedModel.RefineByCrf(image, maps, work.BackgroundThreshold, cancellation) : null;
        var confident = confidentOptions is null ? null : LoadedModel.Confident(image, maps, confidentOptions, cancellation);
        var randomWalk = query.RandomWalk ? model.RandomWalk(image, maps, cancellation) : null;
        double refineMs = refine.Elapsed.TotalMilliseconds;

        var timings = new Timings { QueueMs = queueMs, DecodeMs = decodeMs, InferenceMs = inferMs, RefineMs = refineMs };
        var encode = Stopwatch.StartNew();
        var result = reply(new Result(work, maps, seeds, crf, confident, randomWalk), model, timings);
        timings.EncodeMs = encode.Elapsed.TotalMilliseconds;
        timings.TotalMs = total.Elapsed.TotalMilliseconds;
        return result;
    }

    private sealed record Work(IReadOnlyList<int> Classes, AdvCamOptions Options, float BackgroundThreshold);

    private Work Resolve(LoadedModel model, AttributionMethod method, AdvCamParameters? parameters, float? threshold, IEnumerable<string> classNames)
    {
        var options = Options(model, method, parameters, images.MaxSide);
        float bg = threshold ?? model.DefaultBackgroundThreshold(options);
        if (!(bg is >= 0f and <= 1f)) throw ServiceErrors.InvalidArgument($"background_threshold must be in [0, 1]; got {bg}");
        var classes = model.ResolveClasses(classNames);
        return new Work(classes, options, bg);
    }

    private static ClassMaps Climb(LoadedModel model, RgbImage image, Work work, CancellationToken cancellation)
    {
        try
        {
            return model.Attribute(image, work.Classes, work.Options, cancellation);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "image")
        {
            throw ServiceErrors.InvalidArgument($"image: {FirstLine(e.Message)}");
        }
    }

    /// <summary>The package defaults overridden by the request's set fields, validated; errors name the request field.</summary>
    public static AdvCamOptions Options(LoadedModel model, AttributionMethod method, AdvCamParameters? p, int maxSide)
    {
        var o = model.Defaults with { MaxSide = maxSide };
        if (p is not null)
        {
            if (p.HasSteps) o = o with { Steps = (int)Math.Min(p.Steps, int.MaxValue) };
            if (p.HasStepSize) o = o with { StepSize = p.StepSize };
            if (p.HasMaskWeight) o = o with { MaskWeight = p.MaskWeight };
            if (p.HasMaskThreshold) o = o with { MaskThreshold = p.MaskThreshold };
            if (p.Scales.Count > 0) o = o with { Scales = [.. p.Scales] };
        }
        if (method == AttributionMethod.Cam) o = o with { Steps = 1 };
        try
        {
            o.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            string field = e.ParamName switch
            {
                nameof(AdvCamOptions.Steps) => "parameters.steps",
                nameof(AdvCamOptions.StepSize) => "parameters.step_size",
                nameof(AdvCamOptions.MaskWeight) => "parameters.mask_weight",
                nameof(AdvCamOptions.MaskThreshold) => "parameters.mask_threshold",
                nameof(AdvCamOptions.Scales) => "parameters.scales",
                _ => "parameters",
            };
            throw ServiceErrors.InvalidArgument($"{field}: {FirstLine(e.Message)}");
        }
        if (o.Steps > 1 && !model.CanClimb)
            throw new RpcException(GrpcStatusCode.FailedPrecondition, $"{model.Name}/{model.Version} has no climber.onnx; use ATTRIBUTION_METHOD_CAM");
        return o;
    }

    /// <summary>FAILED_PRECONDITION unless <paramref name="model"/> can make random-walk labels.</summary>
    public static void RequireBoundary(LoadedModel model)
    {
        if (!model.CanRandomWalk)
            throw new RpcException(GrpcStatusCode.FailedPrecondition,
                $"{model.Name}/{model.Version} has no boundary network (boundary.onnx), so it cannot make LABEL_KIND_RANDOM_WALK labels; choose a version that has one or another label kind");
    }

    /// <summary>
    /// The set thresholds; unset ones follow the seed threshold <paramref name="seedThreshold"/> (2x and 1/3 of it: IRN's
    /// 0.30 and 0.05 at 0.15). Errors name the request field.
    /// </summary>
    private static ConfidentLabelOptions ConfidentOptions(ConfidentRequest request, float seedThreshold)
    {
        var t = request.Thresholds;
        var o = ConfidentLabelOptions.ForSeedThreshold(seedThreshold, t is { HasForeground: true } ? t.Foreground : null, t is { HasBackground: true } ? t.Background : null);
        try
        {
            return o.Validate();
        }
        catch (ArgumentException e)
        {
            throw ServiceErrors.InvalidArgument($"{request.Field}: {FirstLine(e.Message)}");
        }
    }

    private static AdvCamParameters Describe(AdvCamOptions o)
    {
        var p = new AdvCamParameters { Steps = (uint)o.Steps, StepSize = o.StepSize, MaskWeight = o.MaskWeight, MaskThreshold = o.MaskThreshold };
        p.Scales.AddRange(o.Scales);
        return p;
    }

    // ArgumentException appends " (Parameter 'x')" and "Actual value was ..." lines; the first sentence is the message.
    private static string FirstLine(string message)
    {
        int end = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (end < 0) end = message.IndexOf('\n');
        return end < 0 ? message : message[..end];
    }
}
