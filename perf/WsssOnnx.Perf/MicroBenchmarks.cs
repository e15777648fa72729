using System.CommandLine;
using WsssOnnx.CommandLine;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using RandomWalkLabels = WsssOnnx.Attribution.RandomWalk.RandomWalk;

namespace WsssOnnx.Perf;

/// <summary>
/// `wsss-perf micro`: BenchmarkDotNet runs of the refinement steps that are pure C# (no ONNX Runtime session):
/// IRN's random walk and the dense CRF, both at VOC's image size (500x375).
/// </summary>
internal static class MicroBenchmarks
{
    public static Command Create()
    {
        var which = new Argument<string>("benchmark")
        {
            Description = "random-walk, dense-crf or all",
            DefaultValueFactory = _ => "all",
        };
        var image = new Option<FileInfo?>("--image")
        {
            Description = "Photo for the dense CRF (default: .deps/photos/dog.jpg, extracted by scripts/setup.sh)",
        };
        var quick = new Option<bool>("--quick") { Description = "BenchmarkDotNet's dry job: one run each, to check that the benchmarks work" };
        var command = new Command("micro", "BenchmarkDotNet: IRN's random walk and the dense CRF at 500x375") { which, image, quick };
        command.SetAction(r =>
        {
            string name = r.GetValue(which)!;
            Type[] chosen = name switch
            {
                "random-walk" => [typeof(RandomWalkBenchmark)],
                "dense-crf" => [typeof(DenseCrfBenchmark)],
                "all" => [typeof(RandomWalkBenchmark), typeof(DenseCrfBenchmark)],
                _ => throw new UsageException($"the benchmark must be random-walk, dense-crf or all; got '{name}'"),
            };
            string photo = r.GetValue(image)?.FullName ?? Path.Combine(RepositoryRoot(), ".deps", "photos", "dog.jpg");
            if (chosen.Contains(typeof(DenseCrfBenchmark)) && !File.Exists(photo))
                throw new CommandFailedException($"{photo} does not exist (scripts/setup.sh extracts it; or give --image)");
            DenseCrfBenchmark.PhotoPath = photo;

            // In-process: no generated project to build, so it runs offline from the built tool.
            var job = (r.GetValue(quick) ? Job.Dry : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
            var config = DefaultConfig.Instance.AddJob(job)
                .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "wsss-perf-artifacts"))
                .WithOptions(ConfigOptions.DisableOptimizationsValidator);
            foreach (var type in chosen) BenchmarkRunner.Run(type, config);
            return 0;
        });
        return command;
    }

    /// <summary>The checkout that holds this build (bin/Release/net10.0 is four levels below perf/WsssOnnx.Perf).</summary>
    private static string RepositoryRoot() => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
}

/// <summary>IRN's random walk (radius 5, 2^8 steps) end to end: transition matrix, walk, upsampling, labels.</summary>
[MinColumn, MaxColumn, MedianColumn]
public class RandomWalkBenchmark
{
    private ClassMaps _maps = null!;
    private HostTensor<float> _boundary = null!;

    [Params(2, 4)]
    public int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int width = 500, height = 375;
        int h4 = (height + 3) / 4, w4 = (width + 3) / 4;
        var rng = new Random(1);
        // A boundary map with scattered strong edges, and random stride-4 class maps.
        _boundary = new HostTensor<float>(new float[h4 * w4], h4, w4);
        for (int i = 0; i < _boundary.Data.Length; i++) _boundary.Data[i] = rng.NextSingle() < 0.05f ? 0.9f : 0.05f * rng.NextSingle();
        var stride4 = new HostTensor<float>(new float[Classes * h4 * w4], Classes, h4, w4);
        for (int i = 0; i < stride4.Data.Length; i++) stride4.Data[i] = rng.NextSingle();
        _maps = new ClassMaps([.. Enumerable.Range(0, Classes)], stride4, HostTensor<float>.Zeros(Classes, height, width));
    }

    [Benchmark]
    public GrayImage Walk() => RandomWalkLabels.Labels(_maps, _boundary);
}

/// <summary>Dense CRF inference (10 mean-field iterations) on a real photo at 500x375 with noisy block labels.</summary>
[MinColumn, MaxColumn, MedianColumn]
public class DenseCrfBenchmark
{
    /// <summary>Set by the command before the run (in-process toolchain: same process).</summary>
    internal static string PhotoPath { get; set; } = "";

    private readonly DenseCrf _crf = new();
    private RgbImage _photo = null!;
    private GrayImage _labels = null!;

    [Params(21)]
    public int Labels { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _photo = ImageResize.Resize(new ImageDecoder().DecodeRgb(File.ReadAllBytes(PhotoPath)), 500, 375, Interpolation.Bilinear);
        // 25x25 px blocks of random classes with a fifth of the pixels flipped, as rough seeds are.
        var noise = new Random(7);
        var blockLabel = Enumerable.Range(0, 20 * 15).Select(_ => (byte)noise.Next(Labels)).ToArray();
        _labels = new GrayImage(_photo.Width, _photo.Height);
        for (int y = 0; y < _photo.Height; y++)
            for (int x = 0; x < _photo.Width; x++)
                _labels.Pixels[y * _photo.Width + x] = noise.NextDouble() < 0.2 ? (byte)noise.Next(Labels) : blockLabel[y / 25 * 20 + x / 25];
    }

    [Benchmark]
    public GrayImage Infer() => _crf.InferLabels(_photo, _labels, Labels);
}
