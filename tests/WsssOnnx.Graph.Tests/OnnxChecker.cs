using System.Diagnostics;

using Google.Protobuf;
using WsssOnnx.Onnx;

namespace WsssOnnx.Graph.Tests;

/// <summary>
/// The official ONNX checker (Debian's python3-onnx at /usr/bin/python3): check_model with full_check, then strict
/// shape inference with type checks, which also compares ONNX's inferred shapes with the ones our builder declared.
/// </summary>
internal static class OnnxChecker
{
    private const string Python = "/usr/bin/python3";

    // Several models per process: importing onnx costs most of a call.
    private const string Script =
        "import onnx,sys\n" +
        "bad=0\n" +
        "for p in sys.argv[1:]:\n" +
        "  try:\n" +
        "    m=onnx.load(p); onnx.checker.check_model(m, full_check=True); onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)\n" +
        "  except Exception as e:\n" +
        "    bad=1; print(p + ': ' + str(e))\n" +
        "sys.exit(bad)\n";

    public static void AssertValid(params GraphBuilder[] graphs) => AssertValid([.. graphs.Select(g => g.ToModel())]);

    public static void AssertValid(params ModelProto[] models)
    {
        string dir = Path.Combine(Path.GetTempPath(), "wsss-onnx-check-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var paths = models.Select((m, i) =>
            {
                string path = Path.Combine(dir, $"{i}_{m.Graph.Name}.onnx");
                File.WriteAllBytes(path, m.ToByteArray());
                return path;
            }).ToArray();
            var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script);
            foreach (var p in paths) start.ArgumentList.Add(p);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0,
                $"ONNX checker rejected {string.Join(", ", models.Select(m => m.Graph.Name))} (exit {process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
