using System.Text.Json;
using System.Text.Json.Serialization;

namespace WsssOnnx.Packages;

/// <summary>
/// manifest.json of a model package (models/&lt;name&gt;/&lt;version&gt;/): what the trainer exported and the service loads.
/// A package is immutable once written; a new version is a new folder.
/// </summary>
public sealed record ModelManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>Class names; index 0 is background, foreground class k is label k (the classifier's channel k - 1).</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    public required InputNormalization Normalization { get; init; }

    public int Opset { get; init; } = 17;

    /// <summary>ONNX files by role (classifier, climber, segmenter, boundary), each with its sha256.</summary>
    public required IReadOnlyDictionary<string, PackageFile> Files { get; init; }

    public required PackageNetworks Networks { get; init; }

    public AdvCamDefaults AdvCam { get; init; } = new();

    /// <summary>How the classifier was trained to localise; manifests from before it say nothing, and were plain CAM classifiers.</summary>
    public ClassifierLocaliser Localiser { get; init; } = new();

    /// <summary>The random walk's defaults; present exactly when the package has a boundary network.</summary>
    public RandomWalkDefaults? RandomWalk { get; init; }

    /// <summary>FickleNet's defaults; present exactly when the package has a fickle network.</summary>
    public FickleNetDefaults? FickleNet { get; init; }

    public required Provenance Provenance { get; init; }

    /// <summary>Measured quality (e.g. "val_map", "cam_seed_miou") on the training dataset's validation split.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ModelManifest Parse(string json, string source) =>
        JsonSerializer.Deserialize<ModelManifest>(json, Json) ?? throw new InvalidDataException($"{source}: the manifest is empty");
}

/// <summary>x = (pixel / 255 - mean) / std per RGB channel, NCHW.</summary>
public sealed record InputNormalization(float[] Mean, float[] Std)
{
    public static InputNormalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
}

public sealed record PackageFile(string Path, string Sha256, long Bytes);

/// <summary>The networks' shapes: architecture, output strides, the training input size.</summary>
public sealed record PackageNetworks(string Backbone, int Depth, int Width, int ClassifierStride, int SegmenterStride, int TrainingSize);

/// <summary>
/// AdvCAM's defaults (the authors' code): T = 27, xi = 0.08, lambda = 7, tau = 0.5, scales (1.0, 0.5, 1.5, 2.0); CAM uses the
/// same scales. Each method has its own seed background threshold.
/// </summary>
public sealed record AdvCamDefaults
{
    public int Steps { get; init; } = 27;

    public float StepSize { get; init; } = 0.08f;

    public float MaskWeight { get; init; } = 7f;

    public float MaskThreshold { get; init; } = 0.5f;

    public IReadOnlyList<float> Scales { get; init; } = [1.0f, 0.5f, 1.5f, 2.0f];

    /// <summary>Seed background threshold of AdvCAM's maps (export measures the best on the validation split; IRN's 0.15 by default).</summary>
    public float BackgroundThreshold { get; init; } = 0.15f;

    /// <summary>Seed background threshold of plain CAM's maps; absent (null) in manifests from before it, which had one threshold for both.</summary>
    public float? CamBackgroundThreshold { get; init; }

    /// <summary>The seed background threshold of maps made with climbing (AdvCAM) or without (CAM).</summary>
    public float BackgroundThresholdOf(bool climbed) => climbed ? BackgroundThreshold : CamBackgroundThreshold ?? BackgroundThreshold;
}

/// <summary>
/// The localiser the classifier was trained as: "cam" (one 1x1 head, IRN's CAM network) or "acol" (ACoL's two heads with
/// erasing, Zhang et al. CVPR 2018; its class maps are the fused localisation maps).
/// </summary>
public sealed record ClassifierLocaliser
{
    public const string Cam = "cam";
    public const string Acol = "acol";

    public string Kind { get; init; } = Cam;

    /// <summary>ACoL's erasing threshold delta; null unless <see cref="Kind"/> is "acol".</summary>
    public float? AcolThreshold { get; init; }
}

/// <summary>IRN's random-walk defaults (run_sample.py): beta 10, exp_times 8, radius 5, background threshold 0.25.</summary>
public sealed record RandomWalkDefaults
{
    public float Beta { get; init; } = 10f;

    public int ExpTimes { get; init; } = 8;

    public int Radius { get; init; } = 5;

    public float BackgroundThreshold { get; init; } = 0.25f;
}

/// <summary>
/// FickleNet's defaults (Lee et al. CVPR 2019): drop rate p = 0.9 of the hidden units in each window (the centre kept) and
/// N = 200 random selections per image, the paper's settings.
/// </summary>
public sealed record FickleNetDefaults
{
    public float DropRate { get; init; } = 0.9f;

    public int Samples { get; init; } = 200;
}

/// <summary>How the package was made: the dataset, training settings and the exact commands.</summary>
public sealed record Provenance
{
    public required string Dataset { get; init; }

    public IReadOnlyList<string> Commands { get; init; } = [];

    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    public string Producer { get; init; } = "wsss-train";
}
