using System.Diagnostics;
using WsssOnnx.Attribution.Climbing;
using Xunit.Abstractions;

namespace WsssOnnx.Attribution.Tests.Climbing;

public sealed class AdvCamTimingTests(ITestOutputHelper output)
{
    /// <summary>
    /// One 160x160 image, 2 classes, the authors' T = 27 at scales (1, 0.5, 1.5, 2): prints the time, asserts nothing about
    /// it. The width-4 network runs always; width 16 (random weights) only with WSSS_BENCH=1, since it takes seconds.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    public void Prints_the_time_of_one_image(int width)
    {
        if (width != 4 && Environment.GetEnvironmentVariable("WSSS_BENCH") != "1")
        {
            output.WriteLine($"width {width}: set WSSS_BENCH=1 to run");
            return;
        }
        var model = width == 4 ? ClimbingModel.Tiny : ClimbingModel.Build(width, seed: 5);
        var image = ClimbingModel.SmoothImage(1101, 160, 160);
        int[] classes = [0, 2];
        var options = new AdvCamOptions();

        model.Climber.Climb(image, classes, options with { Steps = 2 });   // ORT plans and allocates per shape on first use
        var cam = Stopwatch.StartNew();
        model.Climber.Climb(image, classes, AdvCamOptions.Cam);
        double camMs = cam.Elapsed.TotalMilliseconds;
        var trace = new ClimbingTrace();
        var clock = Stopwatch.StartNew();
        model.Climber.Climb(image, classes, options, trace);
        double totalMs = clock.Elapsed.TotalMilliseconds;

        Assert.Equal(27 * 4, trace.Steps.Count);
        var perScale = trace.Steps.GroupBy(s => s.Scale).Select(g =>
            $"scale {g.Key}: {g.Sum(s => s.Elapsed.TotalMilliseconds):F0} ms (climbing step {g.Where(s => s.Step is > 0 and < 26).Average(s => s.Elapsed.TotalMilliseconds):F1} ms, last {g.Last().Elapsed.TotalMilliseconds:F1} ms)");
        output.WriteLine($"ResNet-18 width {width}, 160x160, 2 classes, T = 27, 4 scales, {Environment.ProcessorCount} cores: AdvCAM {totalMs:F0} ms, CAM {camMs:F1} ms");
        foreach (string line in perScale) output.WriteLine("  " + line);
    }
}
