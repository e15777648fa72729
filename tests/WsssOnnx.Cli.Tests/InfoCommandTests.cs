namespace WsssOnnx.Cli.Tests;

public sealed class InfoCommandTests
{
    private const string NodeTests = "/usr/share/libonnx-testdata/data/node";

    [Fact]
    public void Info_reports_the_runtime_version_and_providers()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "info");
        Assert.True(code == 0, stderr);
        Assert.Contains("ONNX Runtime 1.29.0", stdout);
        Assert.Contains("CPUExecutionProvider", stdout);
    }

    [Fact]
    public void Missing_native_library_gives_one_sentence_naming_the_setup_command()
    {
        // A copy of the build without libonnxruntime.so, as on a machine where set-up never ran.
        using var copyFolder = new TempFolder("wsss-no-ort-");
        string copy = copyFolder.Path;
        foreach (var file in Directory.GetFiles(CliProcess.BuildDirectory))
        {
            if (!Path.GetFileName(file).StartsWith("libonnxruntime", StringComparison.Ordinal))
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }
        var (code, stdout, stderr) = CliProcess.Run(copy, "info");
        Assert.Equal(3, code);
        Assert.Contains("libonnxruntime.so", stderr);
        Assert.Contains("scripts/setup.sh", stderr);
        Assert.DoesNotContain("DllNotFoundException", stderr + stdout);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_a_clear_error_with_exit_code_1()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "this is not an ONNX model");
            var (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "info", "--model", path);
            Assert.Equal(1, code);
            Assert.Contains($"cannot load model {path}", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Cuda_request_on_a_cpu_build_reports_the_fallback()
    {
        string model = Path.Combine(NodeTests, "test_relu", "model.onnx");
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "info", "--provider", "Cuda", "--model", model);
        Assert.True(code == 0, stderr);
        Assert.Contains("provider:", stdout);
        Assert.Matches("CUDAExecutionProvider|Cuda was requested: .+", stdout);
    }
}
