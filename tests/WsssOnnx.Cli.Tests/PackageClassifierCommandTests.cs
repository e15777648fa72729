using System.Diagnostics;
using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss-train package-classifier` on ONNX classifiers written by the onnx Python package (not by us), then served.</summary>
public sealed class PackageClassifierCommandTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wsss-byo-").FullName;

    // Conv + BatchNormalization + Relu, MaxPool, depthwise Conv with bias + Clip (ReLU6), 1x1 Conv + Relu, GlobalAveragePool,
    // Flatten, Gemm with bias: stride 4, three classes (or argv[3]). With "softsign", a Softsign node after the first Relu.
    private const string Script = """
        import sys, numpy as np, onnx
        from onnx import helper, numpy_helper, TensorProto
        out, softsign = sys.argv[1], sys.argv[2] == "softsign"
        classes = int(sys.argv[3]) if len(sys.argv) > 3 else 3
        rng = np.random.default_rng(3)
        def t(name, *shape, low=-0.5, high=0.5):
            return numpy_helper.from_array(rng.uniform(low, high, shape).astype(np.float32), name)
        inits = [t("w1", 8, 3, 3, 3), t("g", 8, low=0.5, high=1.5), t("b", 8), t("m", 8), t("v", 8, low=0.5, high=1.5),
                 t("dw", 8, 1, 3, 3), t("dwb", 8), numpy_helper.from_array(np.array(0, np.float32), "lo"),
                 numpy_helper.from_array(np.array(6, np.float32), "hi"), t("pw", 6, 8, 1, 1), t("fc", classes, 6), t("fcb", classes)]
        nodes = [helper.make_node("Conv", ["input", "w1"], ["c1"], name="conv1", strides=[2, 2], pads=[1, 1, 1, 1]),
                 helper.make_node("BatchNormalization", ["c1", "g", "b", "m", "v"], ["n1"], name="bn1"),
                 helper.make_node("Relu", ["n1"], ["r1"], name="relu1")]
        last = "r1"
        if softsign:
            nodes.append(helper.make_node("Softsign", ["r1"], ["s1"], name="soft"))
            last = "s1"
        nodes += [helper.make_node("MaxPool", [last], ["p1"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
                  helper.make_node("Conv", ["p1", "dw", "dwb"], ["d1"], name="depthwise", group=8, pads=[1, 1, 1, 1]),
                  helper.make_node("Clip", ["d1", "lo", "hi"], ["k1"], name="relu6"),
                  helper.make_node("Conv", ["k1", "pw"], ["c2"], name="pointwise"),
                  helper.make_node("Relu", ["c2"], ["features"], name="relu2"),
                  helper.make_node("GlobalAveragePool", ["features"], ["gap"], name="gap"),
                  helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
                  helper.make_node("Gemm", ["flat", "fc", "fcb"], ["logits"], name="head", transB=1)]
        graph = helper.make_graph(nodes, "byo", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 3, "h", "w"])],
                                  [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", classes])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, out)
        """;

    private string Model(string kind, int classes = 3)
    {
        string path = Path.Combine(_dir, $"{kind}{classes}.onnx");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", Script, path, kind, classes.ToString(System.Globalization.CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
        return path;
    }

    private string Names(params string[] names)
    {
        string path = Path.Combine(_dir, $"names{names.Length}.txt");
        File.WriteAllLines(path, names);
        return path;
    }

    [Fact]
    public void A_packaged_classifier_is_served_and_answers_attribute_over_grpc()
    {
        string models = Path.Combine(_dir, "models");
        var (code, stdout, stderr) = CliProcess.RunTrainer("package-classifier", "--onnx", Model("plain"), "--classes", Names("cat", "dog", "bird"),
            "--training-size", "64", "--out", Path.Combine(models, "imported", "1"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("3 classes, 6 feature channels at stride 4", stdout);
        Assert.Contains("1 BatchNormalization folded", stdout);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "imported", "1", "manifest.json"))))
        {
            var root = manifest.RootElement;
            Assert.Equal("imported", root.GetProperty("provenance").GetProperty("dataset").GetString());
            Assert.Equal("features", root.GetProperty("provenance").GetProperty("settings").GetProperty("features").GetString());
            Assert.Equal(4, root.GetProperty("networks").GetProperty("classifier_stride").GetInt32());
            Assert.InRange(root.GetProperty("metrics").GetProperty("source_logit_difference").GetDouble(), 0, 1e-5);
        }

        using var server = new ServeProcess("--models", models, "--model", "imported");
        string image = Path.Combine(_dir, "grey.png");
        File.WriteAllBytes(image, TestPng.Rgb(48, 40, 90));
        string output = Path.Combine(_dir, "maps");
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--server", server.Address, "--image", image, "--classes", "dog",
            "--method", "advcam", "--steps", "2", "--out", output);
        Assert.True(code == 0, stdout + stderr);
        Assert.True(File.Exists(Path.Combine(output, "grey_dog_heatmap.png")), string.Join(", ", Directory.GetFiles(output)));
        Assert.True(File.Exists(Path.Combine(output, "grey_seeds.png")));
        Assert.Equal(0, server.Stop().ExitCode);
    }

    [Fact]
    public void An_unsupported_op_exits_1_with_one_sentence_naming_it()
    {
        var (code, stdout, stderr) = CliProcess.RunTrainer("package-classifier", "--onnx", Model("softsign"), "--classes", Names("cat", "dog", "bird"),
            "--out", Path.Combine(_dir, "models", "soft", "1"));
        Assert.Equal(1, code);
        Assert.StartsWith("wsss-train: The ONNX model's node 'soft' (Softsign) uses op Softsign, which package-classifier does not support", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(_dir, "models", "soft", "1")), stdout);
    }

    [Fact]
    public void Class_names_that_do_not_match_the_head_exit_1()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("package-classifier", "--onnx", Model("plain"), "--classes", Names("cat", "dog"),
            "--out", Path.Combine(_dir, "models", "two", "1"));
        Assert.Equal(1, code);
        Assert.Contains("the classifier has 3 classes but 2 class names were given", stderr);
    }

    [Fact]
    public void With_data_the_seed_thresholds_are_measured_as_export_does_and_shipped()
    {
        // The synthetic dataset's classes.txt: background, then the foreground classes in channel order.
        var foreground = File.ReadAllLines(Path.Combine(data.Root, "classes.txt")).Where(l => l.Trim().Length > 0).Skip(1).ToArray();
        string package = Path.Combine(_dir, "models", "measured", "1");
        var (code, stdout, stderr) = CliProcess.RunTrainer("package-classifier", "--onnx", Model("plain", foreground.Length), "--classes", Names(foreground),
            "--training-size", "96", "--data", data.Root, "--split", "val", "--threshold-images", "2", "--out", package);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("val mAP", stdout);
        Assert.Contains("seed background thresholds shipped", stdout);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "manifest.json")));
        var metrics = manifest.RootElement.GetProperty("metrics");
        var advcam = manifest.RootElement.GetProperty("adv_cam");
        // export's measurements, next to the comparison with the source; the sweep's best thresholds are the defaults.
        Assert.InRange(metrics.GetProperty("source_logit_difference").GetDouble(), 0, 1e-5);
        Assert.InRange(metrics.GetProperty("val_map").GetDouble(), 0, 1);
        Assert.InRange(metrics.GetProperty("cam_seed_best_miou").GetDouble(), 0, 1);
        Assert.Equal(2, metrics.GetProperty("advcam_seed_images").GetDouble());
        Assert.Equal(metrics.GetProperty("cam_seed_best_threshold").GetDouble(), advcam.GetProperty("cam_background_threshold").GetDouble(), 5);
        Assert.Equal(metrics.GetProperty("advcam_seed_best_threshold").GetDouble(), advcam.GetProperty("background_threshold").GetDouble(), 5);
    }

    [Fact]
    public void Data_whose_classes_differ_from_the_names_exit_1()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("package-classifier", "--onnx", Model("plain"), "--classes", Names("cat", "dog", "bird"),
            "--data", data.Root, "--out", Path.Combine(_dir, "models", "other", "1"));
        Assert.Equal(1, code);
        Assert.Contains("but --classes names cat, dog, bird", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
