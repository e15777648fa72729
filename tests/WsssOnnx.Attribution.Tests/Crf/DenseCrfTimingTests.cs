using System.Diagnostics;
using System.Reflection;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Imaging;
using Xunit.Abstractions;

namespace WsssOnnx.Attribution.Tests.Crf;

public sealed class DenseCrfTimingTests(ITestOutputHelper output)
{
    private static readonly bool Optimised =
        typeof(DenseCrf).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;

    [Theory]
    [InlineData(6)]
    [InlineData(24)]
    public void Prints_the_time_of_a_voc_sized_inference(int noise)
    {
        // VOC's typical 500x375 with 21 labels and IRN's 10 iterations; prints only, no timing assertion. The cost
        // grows with the appearance lattice's vertex count M, i.e. with colour texture at the θ_β = 5 scale: ±6 noise
        // on flat regions is a smooth photo, ±24 a textured one (a JPEG photo of a circuit board gives M ≈ 254k).
        // A Debug build runs without JIT optimisation (5–10x slower, seconds per image): there it only says so, to keep
        // the suite fast; `dotnet test -c Release` gives the figures.
        if (!Optimised)
        {
            output.WriteLine("Debug build, JIT optimisation off: not timed; run `dotnet test -c Release` for the figures");
            return;
        }
        const int width = 500, height = 375, labelCount = 21;
        Random random = CrfTestImages.Seeded(9301 + noise, output);
        (RgbImage image, int[] cell) = CrfTestImages.Regions(random, width, height, 40, noise);
        GrayImage labels = CrfTestImages.NoisyLabels(random, width, height, cell, labelCount, 0.2);
        var crf = new DenseCrf();
        int vertices = PermutohedralLattice.Build(CrfFeatures.Bilateral(image, 50f, 5f), CrfFeatures.BilateralDimensions, new ParallelOptions()).VertexCount;

        crf.InferLabels(image, labels, labelCount);   // JIT and first-touch warm-up
        var times = new List<double>();
        for (int run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            crf.InferLabels(image, labels, labelCount);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        output.WriteLine($"{width}x{height}, {labelCount} labels, {crf.Options.Iterations} iterations, noise ±{noise} (appearance lattice M = {vertices}), " +
            $"{Environment.ProcessorCount} cores, Release: " +
            $"best {times.Min():F0} ms of {string.Join(", ", times.Select(t => t.ToString("F0")))} ms");
    }
}
