using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss bench` on the bundled package, small and short: the figures are there and agree with each other (no timing thresholds).</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public void Json_figures_are_positive_and_consistent()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "bench", "--package", SyntheticDataset.Package,
            "--size", "48", "--steps", "3", "--repeats", "2", "--threads", "1", "--json");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        using var document = JsonDocument.Parse(stdout);
        var f = document.RootElement;
        double Get(string name) => f.GetProperty(name).GetDouble();

        foreach (string name in new[] { "cam_images_per_second", "adv_cam_images_per_second", "adv_cam_gflops_per_second", "climb_step_ms_median",
                     "climb_step_gflop", "climb_step_gflops_per_second", "mat_mul_gflops_per_second", "unbatched_adv_cam_images_per_second", "batching_speedup" })
            Assert.True(Get(name) > 0, $"{name} = {Get(name)}");
        Assert.Equal(48, f.GetProperty("width").GetInt32());
        Assert.Equal(3, f.GetProperty("steps").GetInt32());
        Assert.Equal(1, f.GetProperty("threads").GetInt32());
        Assert.Equal(0, f.GetProperty("climb_step_uncounted_nodes").GetInt32());
        // Two repeats of T = 3 at scale 1 give one climbing-graph step (t = 1) each.
        Assert.Equal(2, f.GetProperty("climb_step_samples").GetInt32());
        Assert.True(Get("climb_step_ms_p90") >= Get("climb_step_ms_median"));

        // The derived figures follow from the measured ones.
        Assert.Equal(Get("climb_step_gflop") / (Get("climb_step_ms_median") / 1e3), Get("climb_step_gflops_per_second"), 1e-6 * Get("climb_step_gflops_per_second"));
        Assert.Equal(Get("climb_step_gflops_per_second") / Get("mat_mul_gflops_per_second"), Get("climb_step_fraction_of_peak"), 1e-9);
        Assert.Equal(Get("adv_cam_images_per_second") / Get("unbatched_adv_cam_images_per_second"), Get("batching_speedup"), 1e-6 * Get("batching_speedup"));
        Assert.Equal(2e-6 * Math.Pow(1024, 3) / Get("mat_mul_ms"), Get("mat_mul_gflops_per_second"), 1e-6 * Get("mat_mul_gflops_per_second"));

        // A climbing step is a forward and an input-gradient pass over 2 classes x (image, flip) = 4 copies: twice the
        // classifier's convolutions. ResNet-18 width 16 at 48x48, one copy: 9.77 MMAC forward (onnx's shape inference
        // over classifier.onnx); 10 % leaves room for the graph's other products, which the counter may or may not see.
        Assert.InRange(Get("climb_step_gflop"), 4 * 2 * 2 * 0.00977 * 0.9, 4 * 2 * 2 * 0.00977 * 1.1);
    }

    [Fact]
    public void The_table_names_every_figure()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "bench", "--package", SyntheticDataset.Package,
            "--size", "32", "--steps", "2", "--repeats", "1");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        foreach (string row in new[] { "CAM", "AdvCAM", "climbing step, median", "climbing step, p90", "GFLOP/s", "MatMul 1024³ peak", "batching speed-up" })
            Assert.Contains(row, stdout);
    }

    [Fact]
    public void Zero_repeats_is_a_usage_error_in_one_sentence_and_exit_2()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "bench", "--package", SyntheticDataset.Package, "--repeats", "0");
        Assert.Equal(2, code);
        Assert.Contains("--repeats must be in [1, 1000]", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }
}
