using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Seeding;

namespace WsssOnnx.Training.Loop;

/// <summary>run.json in a run folder: what was trained, on what, with which settings (export rebuilds the network from it).</summary>
public sealed record RunConfig
{
    public const string FileName = "run.json";

    /// <summary>"classifier", "segmenter" or "irn".</summary>
    public required string Kind { get; init; }

    public required string Dataset { get; init; }

    public required IReadOnlyList<string> Classes { get; init; }

    public CamClassifierOptions? Classifier { get; init; }

    /// <summary>A classifier run trained with ECS-Net's erased-CAM supervision: its settings; null (or absent in older runs): without.</summary>
    public ErasedCamSupervisionOptions? Ecs { get; init; }

    /// <summary>A classifier run trained adversarially (FGSM with a random start): its settings; null (absent): without.</summary>
    public FgsmTrainingOptions? Fgsm { get; init; }

    public DeepLabOptions? Segmenter { get; init; }

    /// <summary>The boundary network of an "irn" run (IRN's edge branch on a frozen backbone).</summary>
    public BoundaryNetworkOptions? Boundary { get; init; }

    /// <summary>An "irn" run: pairs within this radius were labelled.</summary>
    public int AffinityRadius { get; init; }

    /// <summary>A semi-supervised segmenter run: the list of the training images that trained on their ground truth; null: none did.</summary>
    public string? PixelLabels { get; init; }

    /// <summary>How many images <see cref="PixelLabels"/> lists.</summary>
    public int? PixelLabelledImages { get; init; }

    /// <summary>A segmenter run trained adversarially (Hung et al.) beside its cross-entropy: the settings; null (absent): without.</summary>
    public AdversarialTrainingOptions? Adversarial { get; init; }

    public int CropSize { get; init; }

    public int Epochs { get; init; }

    public int BatchSize { get; init; }

    public float LearningRate { get; init; }

    public int Seed { get; init; }

    /// <summary>
    /// The input normalisation the run's augmentation used, which export writes into the package's manifest so that every
    /// user of the package feeds its networks alike. Null in a run.json from before it was recorded: those runs used ImageNet's.
    /// </summary>
    public InputNormalization? Normalization { get; init; }

    /// <summary><see cref="Normalization"/>, or ImageNet's for a run from before it was recorded.</summary>
    [JsonIgnore]
    public InputNormalization InputNormalization => Normalization ?? InputNormalization.ImageNet;

    /// <summary>
    /// Refuses to put this run's network beside networks fed with another normalisation (a package's, or its classifier
    /// run's): served, it would get inputs it was not trained on.
    /// </summary>
    /// <exception cref="InvalidDataException">The normalisations differ; the message names both and the run.</exception>
    public void CheckNormalization(InputNormalization expected, string runDirectory, string expectedSource)
    {
        var own = InputNormalization;
        if (own.Mean.SequenceEqual(expected.Mean) && own.Std.SequenceEqual(expected.Std)) return;
        static string Show(InputNormalization n) => $"mean [{string.Join(", ", n.Mean)}], std [{string.Join(", ", n.Std)}]";
        throw new InvalidDataException($"the {Kind} run {runDirectory} was trained on inputs normalised with {Show(own)}, but {expectedSource} " +
            $"feeds its networks {Show(expected)}; train it with that normalisation (train-irn --package takes it from the package)");
    }

    /// <summary>A segmenter run's SEC or DSRG loss and its settings; null (absent): pixel cross-entropy.</summary>
    public SegmenterLossOptions? SegmenterLoss { get; init; }

    /// <summary>
    /// The provenance settings that describe a segmenter run's loss: its name and its options as run.json has them
    /// ("none" for cross-entropy, so a derived package does not keep its source's).
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> SegmenterLossSettings()
    {
        yield return new("segmenter_loss", SegmenterLoss is null ? "cross-entropy" : SegmenterLoss.Loss.ToString().ToLowerInvariant());
        yield return new("segmenter_loss_options", SegmenterLoss is null ? "none" : JsonSerializer.Serialize(SegmenterLoss, new JsonSerializerOptions(Json) { WriteIndented = false }));
    }

    /// <summary>Where the backbone's weights started: "" from scratch, "imagenet: ..." or "init-from: PATH".</summary>
    public string Init { get; init; } = "";

    public string Command { get; init; } = "";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
    };

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));
    }

    /// <summary>
    /// The settings in which this run differs from <paramref name="started"/>, the run.json of the run it would resume;
    /// empty when resuming is sound. The command line and the weights' origin may differ (a checkpoint replaces initial
    /// weights). Names are run.json's.
    /// </summary>
    public IReadOnlyList<RunSettingChange> ResumeConflicts(RunConfig started)
    {
        var now = JsonSerializer.SerializeToNode(this, Json)!.AsObject();
        var then = JsonSerializer.SerializeToNode(started, Json)!.AsObject();
        var conflicts = new List<RunSettingChange>();
        foreach (var (name, value) in now)
        {
            if (name is "command" or "init") continue;
            var before = then[name];
            // A run.json from before the normalisation was recorded used ImageNet's.
            if (name == "normalization" && before is null)
                before = JsonSerializer.SerializeToNode(InputNormalization.ImageNet, Json);
            // A segmenter run.json from before the head was recorded trained DeepLab-v2's.
            if (name == "segmenter" && before is JsonObject segmenter && !segmenter.ContainsKey("head"))
            {
                before = segmenter.DeepClone();
                before["head"] = JsonSerializer.SerializeToNode(DeepLabHead.DeepLabV2, Json);
            }
            if (!JsonNode.DeepEquals(value, before))
                conflicts.Add(new RunSettingChange(name, Compact(before), Compact(value)));
        }
        return conflicts;
    }

    private static string Compact(JsonNode? node) => node?.ToJsonString() ?? "null";

    public static RunConfig Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} is not a training run folder: {FileName} is missing", path);
        var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new InvalidDataException($"{path} is not a JSON object");
        // run.json of 2026-12-07 kept FGSM's settings as two top-level fields; they are the "fgsm" object's.
        if (json["fgsm_epsilon"] is { } epsilon && !json.ContainsKey("fgsm"))
        {
            json["fgsm"] = new JsonObject
            {
                ["epsilon"] = epsilon.DeepClone(),
                ["clean_weight"] = json["fgsm_clean_weight"]?.DeepClone() ?? FgsmTrainingOptions.DefaultCleanWeight,
            };
        }
        json.Remove("fgsm_epsilon");
        json.Remove("fgsm_clean_weight");
        return json.Deserialize<RunConfig>(Json) ?? throw new InvalidDataException($"{path} is empty");
    }
}

/// <summary>A run.json setting whose value a resumed run would change, shown as "epochs 30 (now 10)".</summary>
public sealed record RunSettingChange(string Name, string Started, string Now)
{
    public override string ToString() => $"{Name} {Started} (now {Now})";
}
