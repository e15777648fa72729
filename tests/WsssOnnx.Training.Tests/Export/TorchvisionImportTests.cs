using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Import;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Export;
using Xunit.Abstractions;

namespace WsssOnnx.Training.Tests.Export;

/// <summary>
/// torchvision classifiers exported by torch.onnx.export (Debian's python3-torch and python3-torchvision, random weights with a
/// fixed seed), packaged by <see cref="PackageExporter.ExportImported"/>, against PyTorch autograd on the same image pair.
/// </summary>
public sealed class TorchvisionImportTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";
    private const int Size = 64;
    private const int Target = 7;

    // For the pair (x, flip x): f from a hook on the layer the head pools, S = W * f, and the climbing objective at t = 0 with
    // lambda = 0 (A_t = A_0, so the mask term is 0): L = sum_b sum_k y_k (2 [k = c] - 1), y = mean over pixels of ReLU(S).
    private const string Script = """
        import sys, torch, torchvision
        arch, out, size, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        dilated = arch.endswith("+dilated")
        arch = arch.split("+")[0]
        torch.manual_seed(0)
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
        head = model.fc if arch.startswith("resnet") else model.classifier[1]
        x = torch.randn(1, 3, size, size)
        pair = torch.cat([x, torch.flip(x, [3])]).requires_grad_(True)
        f = body(pair)
        s = torch.nn.functional.conv2d(f, head.weight[:, :, None, None])
        sign = -torch.ones(s.shape[1]); sign[target] = 1
        objective = (torch.relu(s).mean((2, 3)) * sign).sum()
        objective.backward()
        for name, t in [("image", pair), ("maps", s), ("gradient", pair.grad)]:
            t.detach().numpy().astype("<f4").tofile(out + "/" + name + ".bin")
        print(" ".join(str(d) for d in s.shape))
        """;

    [Theory]
    [InlineData("resnet50", 32)]
    [InlineData("mobilenet_v2", 32)]
    [InlineData("resnet50+dilated", 16)]
    public void Packaged_torchvision_classifier_matches_torch_maps_and_climbing_gradient(string arch, int stride)
    {
        string dir = Directory.CreateTempSubdirectory("wsss-torch-").FullName;
        try
        {
            long[] mapShape = RunTorch(arch, dir);
            var imported = OnnxClassifier.Read(ModelFile.Read(Path.Combine(dir, "model.onnx")), new OnnxImportOptions { DilateLastStage = arch.EndsWith("+dilated", StringComparison.Ordinal) });
            output.WriteLine($"{arch}: features '{imported.FeaturesName}', head '{imported.HeadName}', {imported.BackboneNodes} nodes");
            string package = PackageExporter.ExportImported(Path.Combine(dir, "models"), "imported", "1", [.. Enumerable.Range(0, imported.Classes).Select(c => $"class{c}")],
                imported, InputNormalization.ImageNet, Size, new Provenance { Dataset = "imported" });
            var manifest = ModelPackage.Open(package).Manifest;
            Assert.Equal(stride, manifest.Networks.ClassifierStride);
            Assert.Equal("imported", manifest.Provenance.Dataset);

            var image = Read(dir, "image", 2, 3, Size, Size);
            var config = new SessionConfig { WarmUp = false, IntraOpThreads = 2 };
            float[] maps;
            using (var classifier = ModelSession.Load(Path.Combine(package, "classifier.onnx"), config))
            using (var feed = SessionInput.Create(ClassifierContract.Image, image))
            using (var result = classifier.Run([feed], [ClassifierContract.ClassMaps]))
            {
                Assert.Equal(mapShape, result.Shape(ClassifierContract.ClassMaps));
                maps = result.Span<float>(ClassifierContract.ClassMaps).ToArray();
            }
            // Float32 sums over 1280-2048 channels after 50 layers, BN folded by the export: 1e-5 of the largest map value.
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
            // With lambda = 0 the objective is the logit term alone, as torch's; float32 backward through 50 layers: 1e-4 of the largest component.
            AssertClose("gradient", Read(dir, "gradient", 2, 3, Size, Size).Data, gradient, 1e-4);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private long[] RunTorch(string arch, string dir)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", Script, arch, dir, Size.ToString(CultureInfo.InvariantCulture), Target.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"torch export failed (python3-torch and python3-torchvision come with scripts/setup.sh):\n{stderr.Result}");
        return [.. stdout.Result.Trim().Split(' ').Select(long.Parse)];
    }

    private static HostTensor<float> Read(string dir, string name, params long[] shape)
    {
        var data = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, name + ".bin"))).ToArray();
        Assert.Equal(HostTensor<float>.ElementCount(shape), data.Length);
        return new HostTensor<float>(data, shape);
    }

    private void AssertClose(string what, float[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        output.WriteLine($"{what}: largest |torch| {scale:G4}, largest difference {worst:G4} ({worst / scale:G3} relative)");
        Assert.True(scale > 0 && worst <= relative * scale, $"{what}: largest difference {worst:G4} exceeds {relative:G2} x {scale:G4}");
    }
}
