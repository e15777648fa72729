using System.Diagnostics;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Runtime;
using RandomWalkLabels = WsssOnnx.Attribution.RandomWalk.RandomWalk;

// wsss-perf random-walk [--width 500] [--height 375] [--classes 2] [--runs 10]: IRN's random walk (radius 5, 2^8 steps)
// on a VOC-sized image, timed end to end (transition, walk, upsampling, labels); prints min / median / max.
if (args.Length == 0 || args[0] != "random-walk")
{
    Console.Error.WriteLine("usage: wsss-perf random-walk [--width W] [--height H] [--classes K] [--runs N]");
    return 2;
}
int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) && v > 0 ? v : fallback;
}
int width = Arg("--width", 500), height = Arg("--height", 375), classes = Arg("--classes", 2), runs = Arg("--runs", 10);
int h4 = (height + 3) / 4, w4 = (width + 3) / 4;
var rng = new Random(1);
var boundary = new HostTensor<float>(new float[h4 * w4], h4, w4);
for (int i = 0; i < boundary.Data.Length; i++) boundary.Data[i] = rng.NextSingle() < 0.05f ? 0.9f : 0.05f * rng.NextSingle();
var stride4 = new HostTensor<float>(new float[classes * h4 * w4], classes, h4, w4);
for (int i = 0; i < stride4.Data.Length; i++) stride4.Data[i] = rng.NextSingle();
var maps = new ClassMaps([.. Enumerable.Range(0, classes)], stride4, HostTensor<float>.Zeros(classes, height, width));

RandomWalkLabels.Labels(maps, boundary); // warm-up (JIT)
var times = new List<double>();
for (int r = 0; r < runs; r++)
{
    var watch = Stopwatch.StartNew();
    RandomWalkLabels.Labels(maps, boundary);
    times.Add(watch.Elapsed.TotalMilliseconds);
}
times.Sort();
Console.WriteLine($"random walk, {width}x{height} image ({w4}x{h4} grid), {classes} classes, radius 5, 256 steps, {Environment.ProcessorCount} cores, {runs} runs: " +
    $"min {times[0]:F0} ms, median {times[runs / 2]:F0} ms, max {times[^1]:F0} ms");
return 0;
