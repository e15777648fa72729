using WsssOnnx.Graph.Networks;
using WsssOnnx.Training.Loop;
using Xunit.Abstractions;

namespace WsssOnnx.Training.Tests.Loop;

public sealed class ClassifierTrainerTests(ITestOutputHelper output)
{
    /// <summary>A ResNet-18 of width 4 on 32x32 crops: seconds per epoch on two cores.</summary>
    private static ClassifierTrainingOptions TinyOptions(int epochs) => new()
    {
        Network = new CamClassifierOptions
        {
            Backbone = new ResNetOptions { Depth = 18, Width = 4, TrainableStages = ResNetStages.All, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training } },
        },
        Augmentation = new Augmentation { CropSize = 32, LongSide = (28, 36) },
        Sgd = ClassifierTrainingOptions.DefaultSgd with { Epochs = epochs, BatchSize = 8, LearningRate = 0.05f, Seed = 3, Threads = 1 },
    };

    private static string RunDirectory() => Directory.CreateTempSubdirectory("wsss-train-").FullName;

    /// <summary>Every parameter of the resumed run equals the uninterrupted run's, bit for bit.</summary>
    private static void AssertSameParameters(TrainingResult straight, TrainingResult resumed)
    {
        foreach (var (name, tensor) in straight.Parameters.Tensors)
            Assert.Equal(tensor.Data, resumed.Parameters.Tensors[name].Data);
    }

    [Fact]
    public void Training_loss_falls_and_validation_map_rises()
    {
        string run = RunDirectory();
        try
        {
            var trainer = new ClassifierTrainer(TinyOptions(epochs: 10), new ColourSquaresSource(192, 32, seed: 1), new ColourSquaresSource(32, 32, seed: 2), run);
            var result = trainer.Train();
            foreach (var e in result.Epochs) output.WriteLine($"epoch {e.Epoch}: loss {e.Loss:F4}, val mAP {e.Validation:F3}, {e.ImagesPerSecond:F0} img/s");
            Assert.True(result.Epochs[^1].Loss < 0.7 * result.Epochs[0].Loss, "the loss falls");
            Assert.True(result.Epochs[^1].Validation > result.Epochs[0].Validation, "validation mAP rises");
            Assert.True(result.Epochs[^1].Validation > 0.8, $"the colour squares are learnt (mAP {result.Epochs[^1].Validation:F3})");
            Assert.Equal(11, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
            Assert.Equal(10, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [Fact]
    public void A_resumed_run_continues_the_same_trajectory()
    {
        string straight = RunDirectory(), interrupted = RunDirectory();
        try
        {
            var source = new ColourSquaresSource(48, 32, seed: 5);
            var full = new ClassifierTrainer(TinyOptions(epochs: 3), source, null, straight).Train();
            var first = new ClassifierTrainer(TinyOptions(epochs: 3), source, null, interrupted).Train(stopAfterEpoch: 1);
            Assert.Single(first.Epochs);
            var rest = new ClassifierTrainer(TinyOptions(epochs: 3), source, null, interrupted).Train(resume: true);
            Assert.Equal([2, 3], rest.Epochs.Select(e => e.Epoch));
            // Same seed, same thread count: the resumed run reproduces the uninterrupted one exactly.
            Assert.Equal(full.Epochs[1].Loss, rest.Epochs[0].Loss);
            Assert.Equal(full.Epochs[2].Loss, rest.Epochs[1].Loss);
            AssertSameParameters(full, rest);
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(interrupted, recursive: true);
        }
    }

    [Fact]
    public void An_acol_run_trains_both_heads_and_resumes_on_the_same_trajectory()
    {
        string straight = RunDirectory(), interrupted = RunDirectory();
        try
        {
            var options = TinyOptions(epochs: 2) with { Network = TinyOptions(2).Network with { Acol = new AcolOptions() } };
            var source = new ColourSquaresSource(32, 32, seed: 6);
            var full = new ClassifierTrainer(options, source, new ColourSquaresSource(8, 32, seed: 7), straight).Train();
            foreach (var e in full.Epochs) output.WriteLine($"epoch {e.Epoch}: loss {e.Loss:F4}, val mAP {e.Validation:F3}");
            Assert.Contains("classifier.a.conv3.weight", full.Parameters.Tensors.Keys);
            Assert.DoesNotContain("classifier.weight", full.Parameters.Tensors.Keys);
            // The loss is L_A + L_B, each a soft margin loss of about ln 2 at the start.
            Assert.InRange(full.Epochs[0].Loss, 0.8, 1.6);

            var first = new ClassifierTrainer(options, source, null, interrupted).Train(stopAfterEpoch: 1);
            var rest = new ClassifierTrainer(options, source, null, interrupted).Train(resume: true);
            Assert.Equal([2], rest.Epochs.Select(e => e.Epoch));
            Assert.Equal(full.Epochs[1].Loss, rest.Epochs[0].Loss);
            AssertSameParameters(full, rest);
            // Head B learns: its last layer moved during the second epoch.
            Assert.NotEqual(first.Parameters.Tensors["classifier.b.conv3.weight"].Data, rest.Parameters.Tensors["classifier.b.conv3.weight"].Data);
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(interrupted, recursive: true);
        }
    }

    [Fact]
    public void An_ecs_run_logs_its_loss_terms_per_epoch_and_a_plain_run_none()
    {
        string ecsRun = RunDirectory(), plainRun = RunDirectory();
        try
        {
            var ecs = new ErasedCamSupervisionOptions { Weight = 2f, ErasedClassificationWeight = 0.5f, BlurSigma = 2f };
            var source = new ColourSquaresSource(16, 32, seed: 8);
            var result = new ClassifierTrainer(TinyOptions(epochs: 1) with { Ecs = ecs }, source, null, ecsRun).Train();
            var epoch = Assert.Single(result.Epochs);
            string[] names = [ClassifierTrainer.ClassificationTerm, ClassifierTrainer.EcsTerm, ClassifierTrainer.ErasedClassificationTerm];
            Assert.Equal(names, epoch.Terms.Select(t => t.Name));
            var terms = epoch.Terms.ToDictionary(t => t.Name, t => t.Value);
            output.WriteLine(string.Join(", ", epoch.Terms.Select(t => $"{t.Name} {t.Value:F4}")) + $"; loss {epoch.Loss:F4}");
            Assert.All(terms.Values, v => Assert.True(double.IsFinite(v) && v > 0, $"a term is {v}"));
            // The loss is the weighted sum of the terms, step by step, so also in the epoch's means (float sums: 1e-4 relative).
            double sum = terms[names[0]] + ecs.Weight * terms[names[1]] + ecs.ErasedClassificationWeight * terms[names[2]];
            Assert.Equal(epoch.Loss, sum, 1e-4 * epoch.Loss);

            var csv = File.ReadAllLines(Path.Combine(ecsRun, "metrics.csv"));
            Assert.Equal(2, csv.Length);
            var header = csv[0].Split(',');
            var row = csv[1].Split(',');
            Assert.Equal(header.Length, row.Length);
            foreach (string name in names)
            {
                int column = Array.IndexOf(header, name);
                Assert.True(column >= 0, $"metrics.csv has no {name} column: {csv[0]}");
                double logged = double.Parse(row[column], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(terms[name], logged, 1e-5 * terms[name]);
            }
            var json = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(Path.Combine(ecsRun, "metrics.jsonl")))).RootElement;
            foreach (string name in names) Assert.Equal(terms[name], json.GetProperty(name).GetDouble(), 1e-9);
            Assert.Equal(epoch.Loss, json.GetProperty("loss").GetDouble());

            var plain = new ClassifierTrainer(TinyOptions(epochs: 1), source, null, plainRun).Train();
            Assert.Empty(Assert.Single(plain.Epochs).Terms);
            Assert.Equal("epoch,step,loss,validation_metric,validation,images_per_second,seconds,learning_rate", File.ReadLines(Path.Combine(plainRun, "metrics.csv")).First());
        }
        finally
        {
            Directory.Delete(ecsRun, recursive: true);
            Directory.Delete(plainRun, recursive: true);
        }
    }

    [Fact]
    public void An_fgsm_run_trains_on_the_adversarial_crops_logs_both_losses_and_resumes_on_the_same_trajectory()
    {
        string straight = RunDirectory(), interrupted = RunDirectory(), plainRun = RunDirectory();
        try
        {
            var options = TinyOptions(epochs: 2) with { Fgsm = new FgsmTrainingOptions { Epsilon = 0.1f, CleanWeight = 0.25f } };
            var source = new ColourSquaresSource(32, 32, seed: 9);
            var full = new ClassifierTrainer(options, source, null, straight).Train();
            foreach (var e in full.Epochs) output.WriteLine($"epoch {e.Epoch}: loss {e.Loss:F4}; " + string.Join(", ", e.Terms.Select(t => $"{t.Name} {t.Value:F4}")));
            var terms = full.Epochs[0].Terms.ToDictionary(t => t.Name, t => t.Value);
            Assert.Equal([ClassifierTrainer.FgsmStartTerm, ClassifierTrainer.FgsmAdversarialTerm], full.Epochs[0].Terms.Select(t => t.Name));
            // The loss trained is 0.25 L(start) + 0.75 L(adversarial), step by step, so in the epoch's means too (float sums:
            // 1e-4 relative), and the FGSM step raised the loss above the random start's.
            double mixed = 0.25 * terms[ClassifierTrainer.FgsmStartTerm] + 0.75 * terms[ClassifierTrainer.FgsmAdversarialTerm];
            Assert.Equal(full.Epochs[0].Loss, mixed, 1e-4 * mixed);
            Assert.True(terms[ClassifierTrainer.FgsmAdversarialTerm] > terms[ClassifierTrainer.FgsmStartTerm], "the adversarial crops have the higher loss");

            // Without FGSM the same seed gives another trajectory (it trains on the unperturbed crops), and no terms.
            var plain = new ClassifierTrainer(TinyOptions(epochs: 1), source, null, plainRun).Train();
            Assert.Empty(plain.Epochs[0].Terms);
            Assert.NotEqual(plain.Epochs[0].Loss, full.Epochs[0].Loss);

            // delta_0 is drawn from the sample's own generator: an interrupted run resumes exactly.
            new ClassifierTrainer(options, source, null, interrupted).Train(stopAfterEpoch: 1);
            var rest = new ClassifierTrainer(options, source, null, interrupted).Train(resume: true);
            Assert.Equal(full.Epochs[1].Loss, rest.Epochs[0].Loss);
            AssertSameParameters(full, rest);
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(interrupted, recursive: true);
            Directory.Delete(plainRun, recursive: true);
        }
    }

    [Theory]
    [InlineData(-0.1f, false, "must be above 0 and at most 10")]
    [InlineData(0f, false, "must be above 0 and at most 10")]
    [InlineData(float.NaN, false, "must be above 0 and at most 10")]
    [InlineData(10.5f, false, "must be above 0 and at most 10")]
    [InlineData(0.1f, true, "without --ecs or --acol")]
    public void Bad_fgsm_settings_are_refused_with_the_flag_named(float epsilon, bool withEcs, string expected)
    {
        var options = TinyOptions(1) with { Fgsm = new FgsmTrainingOptions { Epsilon = epsilon }, Ecs = withEcs ? new ErasedCamSupervisionOptions() : null };
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Contains("--fgsm-epsilon", error.Message);
        Assert.Contains(expected, error.Message);
        // A range names the field; the combination names the whole setting.
        Assert.Equal(withEcs ? nameof(ClassifierTrainingOptions.Fgsm) : "the FGSM radius (--fgsm-epsilon)", error.ParamName);
    }

    [Theory]
    [InlineData(-0.5f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void A_clean_weight_outside_0_to_1_is_refused_with_the_flag_named(float weight)
    {
        var error = Assert.Throws<ArgumentException>(() => (TinyOptions(1) with { Fgsm = new FgsmTrainingOptions { Epsilon = 0.1f, CleanWeight = weight } }).Validate());
        Assert.Contains("--fgsm-clean-weight", error.Message);
        Assert.Contains("must be in [0, 1)", error.Message);
    }

    [Fact]
    public void Unreadable_samples_are_skipped_and_reported_or_stop_the_run()
    {
        string run = RunDirectory();
        try
        {
            var source = new ColourSquaresSource(24, 32, seed: 9, broken: new HashSet<int> { 3, 11 });
            var result = new ClassifierTrainer(TinyOptions(epochs: 1), source, null, run).Train();
            Assert.Contains(result.Problems, p => p.StartsWith("squares_0003: squares_0003.jpg: the file is truncated", StringComparison.Ordinal));
            Assert.Contains(result.Problems, p => p.Contains("squares_0011", StringComparison.Ordinal));

            var strict = new ClassifierTrainer(TinyOptions(epochs: 1) with { Sgd = TinyOptions(epochs: 1).Sgd with { StopOnBadSample = true } }, source, null, RunDirectory());
            var error = Assert.Throws<InvalidDataException>(() => strict.Train());
            Assert.Contains("truncated", error.Message);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [Fact]
    public void Invalid_options_name_the_field()
    {
        var error = Assert.Throws<ArgumentException>(() => (TinyOptions(1) with { Sgd = TinyOptions(1).Sgd with { BatchSize = 0 } }).Validate());
        Assert.Contains("BatchSize", error.Message);
        error = Assert.Throws<ArgumentException>(() => (TinyOptions(1) with { Sgd = TinyOptions(1).Sgd with { LearningRate = -1 } }).Validate());
        Assert.Contains("LearningRate", error.Message);
    }
}
