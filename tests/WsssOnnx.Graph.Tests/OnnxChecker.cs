using System.Diagnostics;
using Google.Protobuf;
using WsssOnnx.Onnx;

namespace WsssOnnx.Graph.Tests;

/// <summary>Runs the official ONNX checker (Debian python3-onnx) with full_check and strict shape inference.</summary>
internal static class OnnxChecker
{
    private const string Python = "/usr/bin/python3";

    private const string Script =
        "import onnx, sys\n" +
        "m = onnx.load(sys.argv[1])\n" +
        "onnx.checker.check_model(m, full_check=True)\n" +
        "onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)\n" +
        "print('ok')\n";

    /// <summary>Throws with the checker's message if <paramref name="model"/> is not a valid ONNX model.</summary>
    public static void Check(ModelProto model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"wsss-check-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, model.ToByteArray());
            var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add(path);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Python}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0 && stdout.Result.Trim() == "ok", $"ONNX checker rejected {model.Graph.Name}:\n{stderr}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
