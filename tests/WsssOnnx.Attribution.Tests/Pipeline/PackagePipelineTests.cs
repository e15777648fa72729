using System.Text.Json.Nodes;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Attribution.Tests.Climbing;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.Tests.Pipeline;

/// <summary>The package pipeline: class names, defaults with overrides and their validation, missing networks, and the labels it makes.</summary>
public sealed class PackagePipelineTests(TinyPackage tiny) : IClassFixture<TinyPackage>
{
    private static readonly IReadOnlyList<string> Foreground = ["class0", "class1", "class2", "class3"];

    [Fact]
    public void Class_names_resolve_case_insensitively_trimmed_distinct_and_in_order()
    {
        using var pipeline = PackagePipeline.Open(tiny.Directory, PipelineNetworks.Classifier);
        Assert.Equal(Foreground, pipeline.ForegroundClasses);
        Assert.Equal([2, 0], pipeline.ResolveClasses(["CLASS2", " class0 ", "Class2"]));
        Assert.Empty(pipeline.ResolveClasses([]));
    }

    [Fact]
    public void An_unknown_class_is_named_with_the_packages_classes()
    {
        using var pipeline = PackagePipeline.Open(tiny.Directory, PipelineNetworks.Classifier);
        var error = Assert.Throws<UnknownClassException>(() => pipeline.ResolveClasses(["class1", "unicorn"]));
        Assert.Equal("unicorn", error.ClassName);
        Assert.Equal("tiny/1", error.Package);
        Assert.Equal(Foreground, error.KnownClasses);
        Assert.Contains("unknown class \"unicorn\"; tiny/1 knows class0, class1, class2, class3", error.Message);
        // Background is a label, not a class an image is said to contain.
        Assert.Throws<UnknownClassException>(() => pipeline.ResolveClasses(["background"]));
    }

    [Fact]
    public void Overrides_replace_the_manifests_defaults_and_cam_is_one_step()
    {
        string package = tiny.Variant("defaults", m =>
        {
            m["adv_cam"]!["steps"] = 5;
            m["adv_cam"]!["scales"] = new JsonArray(1.0, 0.5);
            m["adv_cam"]!["background_threshold"] = 0.12;
            m["adv_cam"]!["cam_background_threshold"] = 0.3;
        });
        using var pipeline = PackagePipeline.Open(package, PipelineNetworks.Classifier);

        var advCam = pipeline.Parameters(MapMethod.AdvCam);
        Assert.Equal(5, advCam.Maps.Steps);
        Assert.Equal([1f, 0.5f], advCam.Maps.Scales);
        Assert.Equal(0.12f, advCam.BackgroundThreshold);
        // Unset confident thresholds follow the seed threshold: min(1, 2t) and t / 3.
        Assert.Equal(0.24f, advCam.Confident.ForegroundThreshold, 6);
        Assert.Equal(0.04f, advCam.Confident.BackgroundThreshold, 6);

        var cam = pipeline.Parameters(MapMethod.Cam, new LabelOverrides { Steps = 0 });
        Assert.Equal(1, cam.Maps.Steps);
        Assert.Equal([1f, 0.5f], cam.Maps.Scales);
        Assert.Equal(0.3f, cam.BackgroundThreshold);

        var changed = pipeline.Parameters(MapMethod.AdvCam, new LabelOverrides
        {
            Steps = 2,
            StepSize = 0.1f,
            MaskWeight = 3f,
            MaskThreshold = 0.4f,
            Scales = [1f],
            MaxSide = 64,
            BackgroundThreshold = 0.2f,
            ConfidentForeground = 0.5f,
        });
        Assert.Equal((2, 0.1f, 3f, 0.4f, 64), (changed.Maps.Steps, changed.Maps.StepSize, changed.Maps.MaskWeight, changed.Maps.MaskThreshold, changed.Maps.MaxSide));
        Assert.Equal([1f], changed.Maps.Scales);
        Assert.Equal(0.2f, changed.BackgroundThreshold);
        Assert.Equal(0.5f, changed.Confident.ForegroundThreshold);
        Assert.Equal(0.2f / 3f, changed.Confident.BackgroundThreshold, 6);
        Assert.Null(changed.RandomWalk);
    }

    public static TheoryData<string, LabelParameter> OutOfRange => new()
    {
        { "steps 0", LabelParameter.Steps },
        { "steps 1001", LabelParameter.Steps },
        { "step size -1", LabelParameter.StepSize },
        { "mask weight NaN", LabelParameter.MaskWeight },
        { "mask threshold 2", LabelParameter.MaskThreshold },
        { "scale 9", LabelParameter.Scales },
        { "max side 8", LabelParameter.MaxSide },
        { "background threshold 2", LabelParameter.BackgroundThreshold },
        { "background threshold -0.1", LabelParameter.BackgroundThreshold },
        { "confident foreground 1.5", LabelParameter.ConfidentForeground },
        { "confident background above foreground", LabelParameter.ConfidentBackground },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void An_override_out_of_range_is_one_error_naming_its_parameter(string change, LabelParameter parameter)
    {
        var overrides = change switch
        {
            "steps 0" => new LabelOverrides { Steps = 0 },
            "steps 1001" => new LabelOverrides { Steps = 1001 },
            "step size -1" => new LabelOverrides { StepSize = -1f },
            "mask weight NaN" => new LabelOverrides { MaskWeight = float.NaN },
            "mask threshold 2" => new LabelOverrides { MaskThreshold = 2f },
            "scale 9" => new LabelOverrides { Scales = [1f, 9f] },
            "max side 8" => new LabelOverrides { MaxSide = 8 },
            "background threshold 2" => new LabelOverrides { BackgroundThreshold = 2f },
            "background threshold -0.1" => new LabelOverrides { BackgroundThreshold = -0.1f },
            "confident foreground 1.5" => new LabelOverrides { ConfidentForeground = 1.5f },
            _ => new LabelOverrides { ConfidentForeground = 0.3f, ConfidentBackground = 0.6f },
        };
        using var pipeline = PackagePipeline.Open(tiny.Directory, PipelineNetworks.Classifier);
        var error = Assert.Throws<LabelParameterException>(() => pipeline.Parameters(MapMethod.AdvCam, overrides));
        Assert.Equal(parameter, error.Parameter);
        Assert.DoesNotContain("\n", error.Message);
        Assert.DoesNotContain("(Parameter '", error.Message);
        Assert.Contains("got", error.Message);
    }

    [Fact]
    public void Random_walk_labels_and_segmentation_need_networks_this_package_lacks()
    {
        using var pipeline = PackagePipeline.Open(tiny.Directory);
        Assert.True(pipeline.CanClimb);
        Assert.False(pipeline.CanRandomWalk);
        Assert.False(pipeline.CanSegment);
        var error = Assert.Throws<MissingNetworkException>(() => pipeline.Parameters(MapMethod.Cam, kinds: [PseudoLabelKind.Seeds, PseudoLabelKind.RandomWalk]));
        Assert.Equal(PackageRoles.Boundary, error.Role);
        Assert.Equal(tiny.Directory, error.Directory);
        Assert.Contains("boundary.onnx", error.Message);
        Assert.Equal(PackageRoles.Segmenter, Assert.Throws<MissingNetworkException>(() => pipeline.Segment(new RgbImage(32, 32))).Role);

        // Other kinds do not need it.
        var parameters = pipeline.Parameters(MapMethod.Cam, kinds: [PseudoLabelKind.Seeds, PseudoLabelKind.Crf, PseudoLabelKind.Confident]);
        var image = ClimbingModel.SmoothImage(3, 48, 40);
        var maps = pipeline.Maps(image, [1], parameters);
        Assert.Equal(PackageRoles.Boundary, Assert.Throws<MissingNetworkException>(() => pipeline.Labels(PseudoLabelKind.RandomWalk, image, maps, parameters)).Role);
    }

    [Fact]
    public void AdvCam_needs_the_climber()
    {
        string package = tiny.Variant("no-climber", m => m["files"]!.AsObject().Remove(PackageRoles.Climber));
        using var pipeline = PackagePipeline.Open(package);
        Assert.False(pipeline.CanClimb);
        Assert.Equal(PackageRoles.Climber, Assert.Throws<MissingNetworkException>(() => pipeline.Parameters(MapMethod.AdvCam)).Role);
        Assert.Equal(1, pipeline.Parameters(MapMethod.Cam).Maps.Steps);

        // Opened without loading a climber the package has: a caller's mistake, not the package's.
        using var camOnly = PackagePipeline.Open(tiny.Directory, PipelineNetworks.Classifier);
        var advCam = camOnly.Parameters(MapMethod.AdvCam, new LabelOverrides { Steps = 2 });
        Assert.Throws<InvalidOperationException>(() => camOnly.Maps(ClimbingModel.SmoothImage(1, 32, 32), [0], advCam));
    }

    [Fact]
    public void A_manifest_whose_classes_do_not_match_its_networks_does_not_open()
    {
        string package = tiny.Variant("three-classes", m => m["classes"] = new JsonArray("background", "a", "b", "c"));
        var error = Assert.Throws<InvalidDataException>(() => PackagePipeline.Open(package));
        Assert.Contains("3 foreground classes", error.Message);
    }

    [Fact]
    public void A_manifest_whose_AdvCam_defaults_are_out_of_range_does_not_open()
    {
        string package = tiny.Variant("bad-defaults", m => m["adv_cam"]!["steps"] = 0);
        var error = Assert.Throws<InvalidDataException>(() => PackagePipeline.Open(package));
        Assert.Contains("AdvCamOptions.Steps must be in [1, 1000]", error.Message);
    }

    /// <summary>The labels are those of the building blocks the CLI, the server and the trainer called before: the climber and the label functions with the manifest's settings.</summary>
    [Theory]
    [InlineData(MapMethod.Cam)]
    [InlineData(MapMethod.AdvCam)]
    public void Labels_are_the_building_blocks_labels_at_the_manifests_settings(MapMethod method)
    {
        string package = tiny.Variant($"quick-{method}", m =>
        {
            m["adv_cam"]!["steps"] = 3;
            m["adv_cam"]!["scales"] = new JsonArray(1.0, 0.5);
            m["adv_cam"]!["background_threshold"] = 0.2;
        });
        using var pipeline = PackagePipeline.Open(package);
        var parameters = pipeline.Parameters(method);
        var image = ClimbingModel.SmoothImage(5, 56, 48);
        var maps = pipeline.Maps(image, [0, 2], parameters);

        var manifest = ModelPackage.Open(package).Manifest;
        var config = new SessionConfig { WarmUp = false };
        using var classifier = ModelSession.Load(Path.Combine(package, "classifier.onnx"), config);
        using var climber = ModelSession.Load(Path.Combine(package, "climber.onnx"), config);
        var options = ManifestAttribution.Options(manifest, climb: method == MapMethod.AdvCam);
        var expected = new AdvCamClimber(classifier, climber, ManifestAttribution.Normalization(manifest)).Climb(image, [0, 2], options);
        Assert.Equal(expected.Full.Data, maps.Full.Data);

        float t = ManifestAttribution.BackgroundThreshold(manifest, options);
        Assert.Equal(t, parameters.BackgroundThreshold);
        Assert.Equal(Seeds.FromMaps(expected, t).Pixels, pipeline.Labels(PseudoLabelKind.Seeds, image, maps, parameters).Pixels);
        Assert.Equal(ConfidentLabels.RefinedSeeds(image, expected, t, new DenseCrf()).Pixels, pipeline.Labels(PseudoLabelKind.Crf, image, maps, parameters).Pixels);
        Assert.Equal(ConfidentLabels.FromMaps(image, expected, new DenseCrf(), ConfidentLabelOptions.ForSeedThreshold(t)).Pixels,
            pipeline.Labels(PseudoLabelKind.Confident, image, maps, parameters).Pixels);
    }

    [Fact]
    public void Maps_use_the_manifests_normalisation()
    {
        string other = tiny.Variant("normalisation", m => m["normalization"] = new JsonObject { ["mean"] = new JsonArray(0.5, 0.5, 0.5), ["std"] = new JsonArray(0.25, 0.25, 0.25) });
        using var imageNet = PackagePipeline.Open(tiny.Directory, PipelineNetworks.Classifier);
        using var custom = PackagePipeline.Open(other, PipelineNetworks.Classifier);
        Assert.Equal((0.5f, 0.5f, 0.5f), custom.Normalization.Mean);
        var image = ClimbingModel.SmoothImage(9, 40, 40);
        var a = imageNet.Maps(image, [1], imageNet.Parameters(MapMethod.Cam));
        var b = custom.Maps(image, [1], custom.Parameters(MapMethod.Cam));
        Assert.NotEqual(a.Full.Data, b.Full.Data);
    }
}
