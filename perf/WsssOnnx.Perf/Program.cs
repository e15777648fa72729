using System.Diagnostics;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using RandomWalkLabels = WsssOnnx.Attribution.RandomWalk.RandomWalk;

// wsss-perf random-walk [--width 500] [--height 375] [--classes 2] [--runs 10]: IRN's random walk (radius 5, 2^8 steps)
// on a VOC-sized image, timed end to end (transition, walk, upsampling, labels); prints min / median / max.
// wsss-perf dense-crf [--image FILE] [--labels 21] [--runs 3]: dense CRF inference (10 mean-field iterations) on a real
// photo resized to VOC's 500x375 (default .deps/photos/dog.jpg from set-up) with noisy block labels; min / median / max.
string command = args.Length > 0 ? args[0] : "";
if (command is not ("random-walk" or "dense-crf"))
{
    Console.Error.WriteLine("usage: wsss-perf random-walk [--width W] [--height H] [--classes K] [--runs N]\n" +
                            "       wsss-perf dense-crf [--image FILE] [--labels L] [--runs N]");
    return 2;
}
int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) && v > 0 ? v : fallback;
}
string Text(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
// One warm-up run (JIT, first touch), then `runs` timed ones: "min .. ms, median .. ms, max .. ms".
string Time(int runs, Action run)
{
    run();
    var times = new List<double>();
    for (int r = 0; r < runs; r++)
    {
        var watch = Stopwatch.StartNew();
        run();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    return $"min {times[0]:F0} ms, median {times[runs / 2]:F0} ms, max {times[^1]:F0} ms";
}

if (command == "dense-crf")
{
    string file = Text("--image", Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", ".deps", "photos", "dog.jpg"));
    if (!File.Exists(file))
    {
        Console.Error.WriteLine($"wsss-perf: {file} does not exist (scripts/setup.sh extracts it; or give --image)");
        return 1;
    }
    int labelCount = Arg("--labels", 21), crfRuns = Arg("--runs", 3);
    var photo = ImageResize.Resize(new ImageDecoder().DecodeRgb(File.ReadAllBytes(file)), 500, 375, Interpolation.Bilinear);
    // Unary labels: 25x25 px blocks of random classes with a fifth of the pixels flipped, as rough seeds are.
    var noise = new Random(7);
    var blockLabel = Enumerable.Range(0, 20 * 15).Select(_ => (byte)noise.Next(labelCount)).ToArray();
    var labels = new GrayImage(photo.Width, photo.Height);
    for (int y = 0; y < photo.Height; y++)
        for (int x = 0; x < photo.Width; x++)
            labels.Pixels[y * photo.Width + x] = noise.NextDouble() < 0.2 ? (byte)noise.Next(labelCount) : blockLabel[y / 25 * 20 + x / 25];
    var crf = new DenseCrf();
    string crfTimes = Time(crfRuns, () => crf.InferLabels(photo, labels, labelCount));
    Console.WriteLine($"dense CRF, {Path.GetFileName(file)} at 500x375, {labelCount} labels, {crf.Options.Iterations} iterations, " +
        $"{Environment.ProcessorCount} cores, {crfRuns} runs: {crfTimes}");
    return 0;
}

int width = Arg("--width", 500), height = Arg("--height", 375), classes = Arg("--classes", 2), runs = Arg("--runs", 10);
int h4 = (height + 3) / 4, w4 = (width + 3) / 4;
var rng = new Random(1);
var boundary = new HostTensor<float>(new float[h4 * w4], h4, w4);
for (int i = 0; i < boundary.Data.Length; i++) boundary.Data[i] = rng.NextSingle() < 0.05f ? 0.9f : 0.05f * rng.NextSingle();
var stride4 = new HostTensor<float>(new float[classes * h4 * w4], classes, h4, w4);
for (int i = 0; i < stride4.Data.Length; i++) stride4.Data[i] = rng.NextSingle();
var maps = new ClassMaps([.. Enumerable.Range(0, classes)], stride4, HostTensor<float>.Zeros(classes, height, width));

string walkTimes = Time(runs, () => RandomWalkLabels.Labels(maps, boundary));
Console.WriteLine($"random walk, {width}x{height} image ({w4}x{h4} grid), {classes} classes, radius 5, 256 steps, {Environment.ProcessorCount} cores, {runs} runs: " +
    walkTimes);
return 0;
