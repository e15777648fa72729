using WsssOnnx.Graph;
using WsssOnnx.Graph.Climbing;
using WsssOnnx.Graph.Fickle;
using WsssOnnx.Graph.Import;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Export;

/// <summary>Trained weights of one network and the options that rebuild it.</summary>
public sealed record TrainedClassifier(CamClassifierOptions Network, IReadOnlyDictionary<string, HostTensor<float>> Weights, int TrainingSize);

public sealed record TrainedSegmenter(DeepLabOptions Network, IReadOnlyDictionary<string, HostTensor<float>> Weights);

public sealed record TrainedBoundary(BoundaryNetworkOptions Network, IReadOnlyDictionary<string, HostTensor<float>> Weights);

/// <summary>
/// Writes a model package (docs/training.md, `export`): classifier.onnx (image -> logits, class maps),
/// climber.onnx (the AdvCAM step with its explicit gradient), fickle.onnx (FickleNet's selections, with its defaults in the manifest), optionally segmenter.onnx and boundary.onnx (IRN's
/// boundary network, with the random walk's defaults in the manifest), and manifest.json with
/// per-file sha256. Batch normalisation is folded into the convolutions. Packages are immutable: an existing
/// version folder is never overwritten.
/// </summary>
public static class PackageExporter
{
    /// <param name="evaluate">
    /// Measures the package as written: its staging folder with the manifest to be written (no metrics yet, <paramref name="advCam"/>'s
    /// thresholds); the metrics and thresholds it returns go into the manifest.
    /// </param>
    /// <param name="normalization">The input normalisation the classifier was trained with (its run.json's); null: ImageNet's.</param>
    public static string Export(string modelsRoot, string name, string version, IReadOnlyList<string> foregroundClasses, TrainedClassifier classifier,
        TrainedSegmenter? segmenter, Provenance provenance, Func<ModelPackage, PackageMeasurement>? evaluate = null, AdvCamDefaults? advCam = null,
        TrainedBoundary? boundary = null, InputNormalization? normalization = null) =>
        Staged(modelsRoot, name, version, evaluate, staging =>
        {
            var files = new Dictionary<string, PackageFile>(StringComparer.Ordinal);
            var folded = Folded(classifier.Network);

            var cls = new GraphBuilder("classifier");
            var image = cls.Input(ClassifierContract.Image, DataType.Float, [-1, 3, -1, -1], ["batch", null, "height", "width"]);
            var net = CamClassifier.Build(cls, image, folded);
            cls.Output(net.Logits, ClassifierContract.Logits);
            // An ACoL classifier's class maps are its localisation maps (both heads fused), so CAM and AdvCAM of the package are ACoL's.
            cls.Output(net.LocalisationMaps(cls), ClassifierContract.ClassMaps);
            // K_pos(c): positive weights of each class's classifier row (ACoL: head A's last layer), for AdvCAM's scale g (ADVCAM.md "Scale g").
            cls.Output(AdvCamGraph.PositiveWeights(cls, net.Classifier), ClassifierContract.PositiveWeights);
            // FickleNet selects in one head's tail; an ACoL classifier's maps fuse two, so it gets no fickle network.
            bool fickle = folded.Acol is null && net.Backbone.FinalBlock.Conv2Stride == 1;
            if (fickle)
            {
                // FickleNet re-runs the tail from here for every selection (fickle.onnx), so the classifier hands over its start.
                cls.Output(net.Backbone.FinalBlock.Hidden, FickleContract.Hidden);
                cls.Output(net.Backbone.FinalBlock.Shortcut, FickleContract.Shortcut);
            }
            files[PackageRoles.Classifier] = Write(cls, classifier.Weights, staging, PackageRoles.FileName(PackageRoles.Classifier));
            if (fickle)
            {
                var stochastic = new GraphBuilder("fickle");
                FickleGraph.Build(stochastic, folded);
                files[PackageRoles.Fickle] = Write(stochastic, classifier.Weights, staging, PackageRoles.FileName(PackageRoles.Fickle));
            }

            // The climber climbs on the same maps the classifier outputs (plain S or ACoL's fused maps), K_pos from W (ACoL: head A's).
            var climb = new GraphBuilder("climber");
            AdvCamGraph.BuildOnMaps(climb, (g, x) =>
            {
                var c = CamClassifier.Build(g, x, folded);
                return (c.LocalisationMaps(g), AdvCamGraph.PositiveWeights(g, c.Classifier));
            }, folded.Classes);
            files[PackageRoles.Climber] = Write(climb, classifier.Weights, staging, PackageRoles.FileName(PackageRoles.Climber));
            if (segmenter is not null) files[PackageRoles.Segmenter] = WriteSegmenter(segmenter, staging);
            if (boundary is not null) files[PackageRoles.Boundary] = WriteBoundary(boundary, staging);

            return new ModelManifest
            {
                Name = name,
                Version = version,
                Classes = ["background", .. foregroundClasses],
                Normalization = normalization ?? InputNormalization.ImageNet,
                Files = files,
                Networks = new PackageNetworks($"resnet{folded.Backbone.Depth}", folded.Backbone.Depth, folded.Backbone.Width,
                    folded.Backbone.OutputStride, SegmenterStride, classifier.TrainingSize),
                AdvCam = advCam ?? new AdvCamDefaults(),
                Localiser = folded.Acol is { } acol ? new ClassifierLocaliser { Kind = ClassifierLocaliser.Acol, AcolThreshold = acol.Threshold } : new ClassifierLocaliser(),
                RandomWalk = boundary is null ? null : new RandomWalkDefaults(),
                FickleNet = fickle ? new FickleNetDefaults() : null,
                Provenance = provenance,
            };
        });

    /// <summary>
    /// A package from an external classifier (`package-classifier`): classifier.onnx and climber.onnx built on its replayed
    /// backbone, the manifest with the given normalisation, the stride measured from the graph, AdvCAM's defaults, and
    /// <paramref name="provenance"/> (dataset "imported").
    /// </summary>
    public static string ExportImported(string modelsRoot, string name, string version, IReadOnlyList<string> foregroundClasses, OnnxClassifier classifier,
        InputNormalization normalization, int trainingSize, Provenance provenance, Func<ModelPackage, PackageMeasurement>? evaluate = null)
    {
        if (foregroundClasses.Count != classifier.Classes)
            throw new InvalidDataException($"the classifier has {classifier.Classes} classes but {foregroundClasses.Count} class names were given");
        int stride = classifier.MeasureStride();
        return Staged(modelsRoot, name, version, evaluate, staging =>
        {
            var files = new Dictionary<string, PackageFile>(StringComparer.Ordinal);
            var cls = new GraphBuilder("classifier");
            var image = cls.Input(ClassifierContract.Image, DataType.Float, [-1, 3, -1, -1], ["batch", null, "height", "width"]);
            var (logits, classMaps, w) = classifier.BuildClassifier(cls, image);
            cls.Output(logits, ClassifierContract.Logits);
            cls.Output(classMaps, ClassifierContract.ClassMaps);
            // K_pos(c), as for our own classifier (ADVCAM.md "Scale g").
            cls.Output(AdvCamGraph.PositiveWeights(cls, w), ClassifierContract.PositiveWeights);
            files[PackageRoles.Classifier] = Write(cls, staging, PackageRoles.FileName(PackageRoles.Classifier));

            var climb = new GraphBuilder("climber");
            AdvCamGraph.Build(climb, classifier.Backbone, classifier.Classes);
            files[PackageRoles.Climber] = Write(climb, staging, PackageRoles.FileName(PackageRoles.Climber));

            return new ModelManifest
            {
                Name = name,
                Version = version,
                Classes = ["background", .. foregroundClasses],
                Normalization = normalization,
                Files = files,
                Networks = new PackageNetworks("imported", 0, classifier.FeatureChannels, stride, stride, trainingSize),
                AdvCam = new AdvCamDefaults(),
                Provenance = provenance,
            };
        });
    }

    /// <summary>
    /// A new version of <paramref name="source"/> with its classifier and climber files as they are (so its CAM and AdvCAM
    /// defaults and measurements hold) and a new segmenter and/or boundary network; the networks not given are kept. The
    /// manifest keeps the source's metrics, overridden by what <paramref name="evaluate"/> measures.
    /// </summary>
    /// <param name="commands">Commands that made the new networks, appended to the source's provenance.</param>
    /// <param name="settings">Settings of the new networks, added to (or replacing) the source's provenance settings.</param>
    public static string Derive(ModelPackage source, string modelsRoot, string name, string version, TrainedSegmenter? segmenter, TrainedBoundary? boundary,
        IReadOnlyList<string> commands, Func<ModelPackage, PackageMeasurement>? evaluate = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (segmenter is null && boundary is null) throw new ArgumentException("a derived package needs a new segmenter or boundary network");
        var manifest = source.Manifest;
        return Staged(modelsRoot, name, version, evaluate, staging =>
        {
            var files = new Dictionary<string, PackageFile>(StringComparer.Ordinal);
            foreach (var (role, file) in manifest.Files)
            {
                if ((role == PackageRoles.Segmenter && segmenter is not null) || (role == PackageRoles.Boundary && boundary is not null)) continue;
                File.Copy(source.PathOf(role), Path.Combine(staging, file.Path));
                files[role] = file;
            }
            if (segmenter is not null) files[PackageRoles.Segmenter] = WriteSegmenter(segmenter, staging);
            if (boundary is not null) files[PackageRoles.Boundary] = WriteBoundary(boundary, staging);
            var mergedSettings = new Dictionary<string, string>(manifest.Provenance.Settings);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) mergedSettings[key] = value;
            return manifest with
            {
                Name = name,
                Version = version,
                Files = files,
                RandomWalk = boundary is not null ? new RandomWalkDefaults() : manifest.RandomWalk,
                Provenance = manifest.Provenance with
                {
                    Commands = [.. manifest.Provenance.Commands, .. commands],
                    Settings = mergedSettings,
                    Created = DateTimeOffset.UtcNow,
                },
            };
        }, keepMetrics: true);
    }

    /// <summary>Refuses a package name or version that is not a plain folder name.</summary>
    /// <exception cref="ArgumentException">The name or version is empty or holds a path separator (or a dot: the name; a leading dot: the version).</exception>
    public static void CheckNames(string name, string version)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(['/', '\\', '.']) >= 0) throw new ArgumentException($"package name '{name}' must be a plain folder name");
        if (string.IsNullOrWhiteSpace(version) || version.IndexOfAny(['/', '\\']) >= 0 || version.StartsWith('.'))
            throw new ArgumentException($"package version '{version}' must be a plain folder name");
    }

    /// <summary>
    /// Writes a package into final.partial (<paramref name="write"/> puts the networks there and returns the manifest),
    /// measures it, then seals it with its manifest and renames it into place; nothing is left behind on failure.
    /// </summary>
    private static string Staged(string modelsRoot, string name, string version, Func<ModelPackage, PackageMeasurement>? evaluate, Func<string, ModelManifest> write,
        bool keepMetrics = false)
    {
        CheckNames(name, version);
        string final = Path.Combine(modelsRoot, name, version);
        if (Directory.Exists(final)) throw new IOException($"{final} exists: a package version is immutable, choose a new version");
        string staging = final + ".partial";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            var manifest = write(staging);
            if (evaluate is not null)
            {
                // Quality is measured on the files as written (the staging folder) before the manifest seals the package; no manifest is
                // on disk meanwhile, so a server watching models/ never sees the staging folder as a version.
                var measured = evaluate(ModelPackage.Open(staging, manifest));
                var metrics = keepMetrics ? new Dictionary<string, double>(manifest.Metrics) : [];
                foreach (var (key, value) in measured.Metrics) metrics[key] = value;
                manifest = manifest with
                {
                    Metrics = metrics,
                    AdvCam = manifest.AdvCam with
                    {
                        BackgroundThreshold = measured.AdvCamBackgroundThreshold ?? manifest.AdvCam.BackgroundThreshold,
                        CamBackgroundThreshold = measured.CamBackgroundThreshold ?? manifest.AdvCam.CamBackgroundThreshold,
                    },
                };
            }
            File.WriteAllText(Path.Combine(staging, ModelManifest.FileName), manifest.ToJson());
            Directory.Move(staging, final);
            return final;
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private const int SegmenterStride = 8;

    private static PackageFile WriteSegmenter(TrainedSegmenter segmenter, string staging)
    {
        var seg = new GraphBuilder("segmenter");
        var x = seg.Input(SegmenterContract.Image, DataType.Float, [-1, 3, -1, -1], ["batch", null, "height", "width"]);
        var s = DeepLabSegmenter.Build(seg, x, segmenter.Network.WithBatchNormMode(BatchNormMode.Folded));
        seg.Output(s.Scores, SegmenterContract.Scores);
        return Write(seg, segmenter.Weights, staging, PackageRoles.FileName(PackageRoles.Segmenter));
    }

    private static PackageFile WriteBoundary(TrainedBoundary boundary, string staging)
    {
        var bnd = new GraphBuilder("boundary");
        var x = bnd.Input(BoundaryContract.Image, DataType.Float, [1, 3, -1, -1], [null, null, "height", "width"]);
        // IRN's EdgeDisplacement: the image and its mirror image as one batch, their logits averaged (the mirror's
        // flipped back), then the sigmoid.
        var edges = BoundaryNetwork.Build(bnd, bnd.Concat([x, bnd.Flip(x, 3)], 0), boundary.Network with
        {
            Backbone = boundary.Network.Backbone with { BatchNorm = boundary.Network.Backbone.BatchNorm with { Mode = BatchNormMode.Folded } },
        });
        var plain = bnd.Slice(edges.Logits, [0], [1], [0]);
        var mirrored = bnd.Flip(bnd.Slice(edges.Logits, [1], [2], [0]), 3);
        bnd.Output(bnd.Sigmoid(0.5f * (plain + mirrored)), BoundaryContract.Boundary);
        return Write(bnd, boundary.Weights, staging, PackageRoles.FileName(PackageRoles.Boundary));
    }

    private static CamClassifierOptions Folded(CamClassifierOptions o) =>
        o with { Backbone = o.Backbone with { BatchNorm = o.Backbone.BatchNorm with { Mode = BatchNormMode.Folded } } };

    private static PackageFile Write(GraphBuilder g, IReadOnlyDictionary<string, HostTensor<float>> weights, string directory, string file)
    {
        var known = g.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = known.Where(n => !weights.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{file}: no trained value for {missing.Count} parameters, e.g. '{missing[0]}'");
        g.SetParameters(weights.Where(kv => known.Contains(kv.Key)).ToDictionary());
        return Write(g, directory, file);
    }

    /// <summary>Writes <paramref name="g"/> with the weights it was built with (an imported network's).</summary>
    private static PackageFile Write(GraphBuilder g, string directory, string file)
    {
        string path = Path.Combine(directory, file);
        ModelFile.Write(g.ToModel(), path);
        return new PackageFile(file, ModelPackage.Sha256(path), new FileInfo(path).Length);
    }
}
