using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Cli;

/// <summary>
/// The package pipeline as the CLI opens it (attribute, relabel, segment, bench): each failure of opening, of the
/// options against the manifest's defaults and of class names becomes one sentence naming the option (<see cref="UsageException"/> for an
/// option's value, <see cref="CommandFailedException"/> otherwise).
/// </summary>
internal static class LocalPackage
{
    /// <summary>Opens <paramref name="directory"/> with the networks <paramref name="method"/> and <paramref name="kinds"/> need (and <paramref name="extra"/>).</summary>
    public static PackagePipeline Open(string directory, MapMethod method, IEnumerable<PseudoLabelKind> kinds, SessionConfig? sessions = null,
        PipelineNetworks extra = PipelineNetworks.Classifier)
    {
        var networks = extra
            | (method == MapMethod.AdvCam ? PipelineNetworks.Climber : PipelineNetworks.Classifier)
            | (method == MapMethod.FickleNet ? PipelineNetworks.Fickle : PipelineNetworks.Classifier)
            | (kinds.Contains(PseudoLabelKind.RandomWalk) ? PipelineNetworks.Boundary : PipelineNetworks.Classifier);
        try
        {
            return PackagePipeline.Open(directory, networks, sessions);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException(e.Message, e);
        }
    }

    /// <summary>The request's FickleNet parameters for the command line's; null when none is given.</summary>
    public static Protos.Wsss.V1.FickleNetParameters? WireFickleOf(FickleChoice fickle)
    {
        if (fickle.DropRate is null && fickle.Samples is null) return null;
        var parameters = new Protos.Wsss.V1.FickleNetParameters();
        if (fickle.DropRate is float p) parameters.DropRate = p;
        if (fickle.Samples is int n)
        {
            if (n < 1) throw new UsageException($"--samples must be at least 1; got {n}.");
            parameters.Samples = (uint)n;
        }
        return parameters;
    }

    public static PseudoLabelKind KindOf(LabelMode mode) => mode switch
    {
        LabelMode.Crf => PseudoLabelKind.Crf,
        LabelMode.Confident => PseudoLabelKind.Confident,
        LabelMode.Rw => PseudoLabelKind.RandomWalk,
        _ => PseudoLabelKind.Seeds,
    };

    /// <summary>The package's defaults with the options given, validated; errors name the option.</summary>
    public static LabelParameters Parameters(PackagePipeline pipeline, MapMethod method, LabelOverrides overrides, IEnumerable<PseudoLabelKind> kinds)
    {
        try
        {
            return pipeline.Parameters(method, overrides, kinds);
        }
        catch (LabelParameterException e)
        {
            string? option = e.Parameter switch
            {
                LabelParameter.Steps => "--steps",
                LabelParameter.StepSize => "--step-size",
                LabelParameter.MaskWeight => "--mask-weight",
                LabelParameter.BackgroundThreshold => "--threshold",
                LabelParameter.DropRate => "--drop-rate",
                LabelParameter.Samples => "--samples",
                LabelParameter.Scales => "--scales",
                LabelParameter.ConfidentForeground => "confident-label threshold --fg-threshold",
                LabelParameter.ConfidentBackground => "confident-label threshold --bg-threshold",
                _ => null,
            };
            // An option's value is a usage error (exit 2); a default the manifest ships is the package's fault (exit 1).
            if (option is not null) throw new UsageException($"invalid {option}: {e.Message}.", e);
            throw new CommandFailedException($"invalid AdvCAM default in {pipeline.Title}'s manifest: {e.Message}.", e);
        }
        catch (LocaliserMismatchException e)
        {
            throw new CommandFailedException($"--method acol needs a classifier trained with ACoL (`wsss-train train-classifier --acol`), but {e.Package}'s was trained as " +
                $"{e.Trained}; use --method cam or advcam.", e);
        }
        catch (MissingNetworkException e) when (e.Role == PackageRoles.Climber)
        {
            throw new CommandFailedException($"AdvCAM needs the package's climber.onnx, which {e.Directory} does not have; use --method cam.", e);
        }
        catch (MissingNetworkException e) when (e.Role == PackageRoles.Fickle)
        {
            throw new CommandFailedException($"FickleNet needs the package's fickle network (fickle.onnx), which {e.Directory} does not have " +
                "(imported classifiers and packages exported before it have none); use --method cam or advcam, or export the classifier run again.", e);
        }
        catch (MissingNetworkException e) when (e.Role == PackageRoles.Boundary)
        {
            throw new CommandFailedException($"random-walk labels need the package's boundary network (boundary.onnx), which {e.Directory} does not have; " +
                "train one with `wsss-train train-irn` and export with --irn-run, or choose another --mode.", e);
        }
    }

    /// <summary>Foreground indices of the non-blank <paramref name="names"/> (case-insensitive, distinct, in the given order).</summary>
    public static IReadOnlyList<int> ResolveClasses(PackagePipeline pipeline, IEnumerable<string> names)
    {
        try
        {
            return pipeline.ResolveClasses(names.Where(n => !string.IsNullOrWhiteSpace(n)));
        }
        catch (UnknownClassException e)
        {
            throw new CommandFailedException($"unknown class \"{e.ClassName}\"; the package {e.Package} knows {string.Join(", ", e.KnownClasses)}.", e);
        }
    }

    /// <summary>Decodes an image file, failing with one sentence when it cannot be read or its long side is over <paramref name="maxSide"/>.</summary>
    public static RgbImage ReadImage(string path, int maxSide)
    {
        var file = new FileInfo(path);
        var image = ImageFile.Decode(ImageFile.ReadBytes(file), file);
        if (Math.Max(image.Width, image.Height) > maxSide)
            throw new CommandFailedException($"{path} is {image.Width}x{image.Height}; its long side must be at most {maxSide} pixels.");
        return image;
    }
}
