using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Import;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Export;
using WsssOnnx.Training.Pretrained;
using WsssOnnx.Training.Tests.Pretrained;
using Xunit.Abstractions;

namespace WsssOnnx.Training.Tests.Export;

/// <summary>
/// torchvision classifiers exported by torch.onnx.export (Debian's python3-torch and python3-torchvision, random weights with a
/// fixed seed), packaged by <see cref="PackageExporter.ExportImported"/>, against PyTorch autograd on the same image pair.
/// </summary>
public sealed class TorchvisionImportTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";
    private const int Target = 7;

    // For the pair (x, flip x): f from the layers the head pools, S = W * f, and the climbing objective at t = 0 with
    // lambda = 0 (A_t = A_0, so the mask term is 0): L = sum_b sum_k y_k (2 [k = c] - 1), y = mean over pixels of ReLU(S).
    // x is DIR/photo.bin when the test wrote one, else random. The same is then run in float64; the second line printed is
    // how far torch's own float32 maps and gradient are from it (relative to the largest value), float32's noise floor.
    private const string Script = """
        import os, sys, numpy, torch, torchvision
        arch, out, size, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        dilated = arch.endswith("+dilated")
        arch = arch.split("+")[0]
        torch.manual_seed(0)
        if arch == "resnet18_imagenet":
            # wsss-train import-backbone's ImageNet ResNet-18 (torchvision names, layer4 of 3 blocks) and a random 10-class head.
            import onnx, onnx.numpy_helper
            model = torchvision.models.resnet.ResNet(torchvision.models.resnet.BasicBlock, [2, 2, 2, 3])
            weights = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in onnx.load(out + "/backbone.onnx").graph.initializer}
            missing, unexpected = model.load_state_dict(weights, strict=False)
            assert sorted(missing) == ["fc.bias", "fc.weight"] and not unexpected, (missing, unexpected)
            model.fc = torch.nn.Linear(512, 10)
            model.eval()
        elif arch == "vgg16_cam":
            # VGG-16 as a CAM network (Zhou et al. 2016): its convolutional features, global average pooling, one linear layer.
            class CamVgg(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.features = torchvision.models.vgg16(weights=None).features
                    self.fc = torch.nn.Linear(512, 20)
                def forward(self, x):
                    return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))
            model = CamVgg().eval()
        else:
            model = getattr(torchvision.models, arch)(weights=None).eval()
        if arch == "mobilenet_v2":
            # Its initial statistics (mean 0, var 1) shrink the maps to 1e-9; measured on random images (as training leaves them,
            # clamped away from 0), they keep their scale. ResNet-50's keep theirs as initialised: measured ones make float32
            # itself (torch float32 against float64) differ by 5e-5 of the largest map value, beyond the 1e-5 compared here.
            with torch.no_grad():
                for m in model.modules():
                    if isinstance(m, torch.nn.BatchNorm2d):
                        m.weight.uniform_(0.5, 1.5); m.bias.normal_(0, 0.1); m.reset_running_stats(); m.momentum = None
                model.train()(torch.randn(8, 3, size, size))
                for m in model.modules():
                    if isinstance(m, torch.nn.BatchNorm2d):
                        m.running_var.clamp_(min=0.05)
            model.eval()
        torch.onnx.export(model, torch.randn(1, 3, size, size), out + "/model.onnx", opset_version=13,
                          input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "n", 2: "h", 3: "w"}})
        if dilated:
            # torchvision's own stride-16 ResNet, with the same weights, is the reference for --dilate-last-stage.
            plain, model = model, getattr(torchvision.models, arch)(weights=None, replace_stride_with_dilation=[False, False, True]).eval()
            model.load_state_dict(plain.state_dict())
        body = torch.nn.Sequential(*list(model.children())[:-2]) if arch.startswith("resnet") else model.features
        head = model.fc if arch.startswith("resnet") or arch == "vgg16_cam" else model.classifier[1]
        x = torch.randn(1, 3, size, size)
        if os.path.exists(out + "/photo.bin"):
            x = torch.from_numpy(numpy.fromfile(out + "/photo.bin", dtype="<f4")).reshape(1, 3, size, size)
        def climb(x):
            pair = torch.cat([x, torch.flip(x, [3])]).requires_grad_(True)
            s = torch.nn.functional.conv2d(body(pair), head.weight[:, :, None, None])
            sign = -torch.ones(s.shape[1], dtype=s.dtype); sign[target] = 1
            (torch.relu(s).mean((2, 3)) * sign).sum().backward()
            return pair.detach(), s.detach(), pair.grad
        pair, s, gradient = climb(x)
        for name, t in [("image", pair), ("maps", s), ("gradient", gradient)]:
            t.numpy().astype("<f4").tofile(out + "/" + name + ".bin")
        print(" ".join(str(d) for d in s.shape))
        model.double()
        _, s64, gradient64 = climb(x.double())
        print(*[((a.double() - b).abs().max() / b.abs().max()).item() for a, b in [(s, s64), (gradient, gradient64)]])
        """;

    /// <summary>
    /// The gradient is compared within <paramref name="gradientBound"/> of its largest value, and its median element within 1e-4.
    /// A ReLU or max-pool decision whose input lies within float32 noise (1e-6 of the layer's largest value) of its kink
    /// can fall the other way in ONNX Runtime than in torch; the gradient then differs by that one unit's path, over its
    /// receptive field. VGG-16 and ResNet-101 at 64 x 64 have such units: measured 1.3e-2 of the largest component on the
    /// flipped image (VGG-16: one conv3_1 unit whose input is 1e-6 of its layer's largest from 0, the difference exactly its
    /// 24 x 24 receptive field), 1e-6 on the other. Torch meets the same with itself: the dilated ResNet-50's gradient in
    /// float32 differs from float64 by 9e-3. 2e-2 admits one such flip; a wrong gradient rule is off everywhere, and the
    /// median catches it.
    /// </summary>
    [Theory]
    [InlineData("resnet50", 64, 32, 1e-4)]
    [InlineData("resnet101", 64, 32, 2e-2)]
    [InlineData("vgg16_cam", 64, 32, 2e-2)]
    [InlineData("mobilenet_v2", 64, 32, 1e-4)]
    [InlineData("resnet50+dilated", 64, 16, 1e-4)]
    public void Packaged_torchvision_classifier_matches_torch_maps_and_climbing_gradient(string arch, int size, int stride, double gradientBound)
    {
        string dir = Directory.CreateTempSubdirectory("wsss-torch-").FullName;
        try
        {
            MatchesTorch(arch, dir, size, stride, gradientBound);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Real ImageNet weights on a real photo: import-backbone's ResNet-18 loaded by name into torchvision's
    /// ResNet(BasicBlock, [2, 2, 2, 3]) with a random 10-class head, on dog.jpg at 128 x 128. Trained batch-norm statistics
    /// do not raise float32's noise here: torch float32 against float64 is about 1e-6 of the largest map and gradient value.
    /// </summary>
    [Fact]
    public void Imported_imagenet_resnet18_with_a_random_head_matches_torch_on_a_photo()
    {
        const int size = 128;
        string dir = Directory.CreateTempSubdirectory("wsss-torch-").FullName;
        try
        {
            ImageNetBackbone.Import(ImageNetBackbone.SourceFolder, Path.Combine(dir, "backbone.onnx"), ImageNormalization.ImageNet);
            var photo = ImageTensor.FromRgb(ImageNetBackboneTests.Photo("dog", size), ImageNormalization.ImageNet);
            Assert.Equal(new long[] { 1, 3, size, size }, photo.Shape);
            File.WriteAllBytes(Path.Combine(dir, "photo.bin"), MemoryMarshal.AsBytes(photo.Data.AsSpan()).ToArray());
            MatchesTorch("resnet18_imagenet", dir, size, 32, 1e-4);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// torchvision's VGG-16 as it is (7 x 7 pooling, then three linear layers): not a CAM network, refused with one sentence.
    /// Its 4096-wide hidden layers are cut to 64 here (a 60 MB file instead of 530 MB); the form is what is refused.
    /// </summary>
    [Fact]
    public void Plain_vgg16_is_refused_with_the_form_needed_and_the_options()
    {
        const string export = """
            import sys, torch, torchvision
            torch.manual_seed(0)
            model = torchvision.models.vgg16(weights=None)
            model.classifier[0] = torch.nn.Linear(512 * 7 * 7, 64); model.classifier[3] = torch.nn.Linear(64, 64); model.classifier[6] = torch.nn.Linear(64, 10)
            torch.onnx.export(model.eval(), torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=13)
            """;
        string dir = Directory.CreateTempSubdirectory("wsss-torch-").FullName;
        try
        {
            string path = Path.Combine(dir, "vgg16.onnx");
            RunPython(export, path);
            var model = ModelFile.Read(path);
            var e = Assert.Throws<OnnxImportException>(() => OnnxClassifier.Read(model));
            output.WriteLine(e.Message);
            string last = model.Graph.Node.Last(n => n.OpType == "Gemm").Name;
            Assert.Contains($"its last linear layer '{last}' does not read a global average pooling", e.Message, StringComparison.Ordinal);
            Assert.Contains("then one linear layer", e.Message, StringComparison.Ordinal);
            Assert.Contains("--features and --head", e.Message, StringComparison.Ordinal);
            // One sentence: it ends with a full stop and has none inside.
            Assert.EndsWith(".", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(". ", e.Message, StringComparison.Ordinal);
            // Naming the first linear layer does not help: it reads a 7 x 7 pooling, not a global one.
            string first = model.Graph.Node.First(n => n.OpType == "Gemm").Name;
            Assert.Throws<OnnxImportException>(() => OnnxClassifier.Read(model, new OnnxImportOptions { Head = first }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private void MatchesTorch(string arch, string dir, int size, int stride, double gradientBound)
    {
        var (mapShape, torchNoise) = RunTorch(arch, dir, size);
        output.WriteLine($"{arch} at {size}x{size}: torch float32 against float64: maps {torchNoise[0]:G3}, gradient {torchNoise[1]:G3} relative");
        var imported = OnnxClassifier.Read(ModelFile.Read(Path.Combine(dir, "model.onnx")), new OnnxImportOptions { DilateLastStage = arch.EndsWith("+dilated", StringComparison.Ordinal) });
        output.WriteLine($"{arch}: features '{imported.FeaturesName}', head '{imported.HeadName}', {imported.BackboneNodes} nodes");
        string package = PackageExporter.ExportImported(Path.Combine(dir, "models"), "imported", "1", [.. Enumerable.Range(0, imported.Classes).Select(c => $"class{c}")],
            imported, InputNormalization.ImageNet, size, new Provenance { Dataset = "imported" });
        var manifest = ModelPackage.Open(package).Manifest;
        Assert.Equal(stride, manifest.Networks.ClassifierStride);
        Assert.Equal("imported", manifest.Provenance.Dataset);

        var image = Read(dir, "image", 2, 3, size, size);
        var config = new SessionConfig { WarmUp = false, IntraOpThreads = 2 };
        float[] maps;
        using (var classifier = ModelSession.Load(Path.Combine(package, "classifier.onnx"), config))
        using (var feed = SessionInput.Create(ClassifierContract.Image, image))
        using (var result = classifier.Run([feed], [ClassifierContract.ClassMaps]))
        {
            Assert.Equal(mapShape, result.Shape(ClassifierContract.ClassMaps));
            maps = result.Span<float>(ClassifierContract.ClassMaps).ToArray();
        }
        // Float32 sums over 512-2048 channels after 16-101 layers, BN folded by the import: 1e-5 of the largest map value.
        AssertClose("maps", Read(dir, "maps", mapShape).Data, maps, 1e-5);

        float[] gradient;
        using (var climber = ModelSession.Load(Path.Combine(package, "climber.onnx"), config))
        {
            var inputs = new List<SessionInput>
            {
                SessionInput.Create(ClimberContract.Image, image),
                SessionInput.Create(ClimberContract.TargetClass, new long[] { Target }, [1]),
                SessionInput.Create(ClimberContract.InitialMap, new float[mapShape[2] * mapShape[3]], [1, mapShape[2], mapShape[3]]),
                SessionInput.Create(ClimberContract.MaskWeight, new[] { 0f }, []),
                SessionInput.Create(ClimberContract.MaskThreshold, new[] { 0.5f }, []),
                SessionInput.Create(ClimberContract.StepSize, new[] { 0.08f }, []),
            };
            try
            {
                using var result = climber.Run(inputs, [ClimberContract.ImageGradient]);
                gradient = result.Span<float>(ClimberContract.ImageGradient).ToArray();
            }
            finally
            {
                foreach (var i in inputs) i.Dispose();
            }
        }
        // With lambda = 0 the objective is the logit term alone, as torch's; float32 backward through up to 101 layers: 1e-4 of the
        // largest component, unless a decision sits on its kink (above).
        AssertClose("gradient", Read(dir, "gradient", 2, 3, size, size).Data, gradient, gradientBound, median: 1e-4);
    }

    /// <summary>Runs <see cref="Script"/>; returns the class maps' shape and torch's float32-against-float64 differences (maps, gradient).</summary>
    private static (long[] MapShape, double[] TorchNoise) RunTorch(string arch, string dir, int size)
    {
        var lines = RunPython(Script, arch, dir, size.ToString(CultureInfo.InvariantCulture), Target.ToString(CultureInfo.InvariantCulture)).Trim().Split('\n');
        return ([.. lines[0].Trim().Split(' ').Select(long.Parse)], [.. lines[1].Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture))]);
    }

    /// <summary>Runs Debian's python3 on <paramref name="script"/> with <paramref name="arguments"/>; returns its standard output.</summary>
    private static string RunPython(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", script }.Concat(arguments)) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"torch failed (python3-torch and python3-torchvision come with scripts/setup.sh):\n{stderr.Result}");
        return stdout.Result;
    }

    private static HostTensor<float> Read(string dir, string name, params long[] shape)
    {
        var data = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, name + ".bin"))).ToArray();
        Assert.Equal(HostTensor<float>.ElementCount(shape), data.Length);
        return new HostTensor<float>(data, shape);
    }

    private void AssertClose(string what, float[] expected, float[] actual, double relative, double? median = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        var differences = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Order().ToArray();
        double worst = differences[^1], middle = differences[differences.Length / 2];
        output.WriteLine($"{what}: largest |torch| {scale:G4}, largest difference {worst:G4} ({worst / scale:G3} relative), median {middle / scale:G3} relative, " +
            $"{differences.Count(d => d <= 1e-4 * scale) / (double)differences.Length:P1} within 1e-4");
        Assert.True(scale > 0 && worst <= relative * scale, $"{what}: largest difference {worst:G4} exceeds {relative:G2} x {scale:G4}");
        if (median is { } m) Assert.True(middle <= m * scale, $"{what}: median difference {middle:G4} exceeds {m:G2} x {scale:G4}");
    }
}
