using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;
using Xunit.Abstractions;

namespace WsssOnnx.Training.Tests.Loop;

/// <summary>Hung et al.'s adversarial training beside the segmenter: the discriminator's own step, its checkpoint, a resumed run.</summary>
public sealed class AdversarialTrainingTests(ITestOutputHelper output)
{
    private static readonly AdversarialTrainingOptions Narrow = new() { DiscriminatorWidth = 8 };

    /// <summary>
    /// A fixed batch: 2 images, 3 classes, 32 x 32 (the five stride-2 convolutions need 32 pixels); the fake predictions
    /// soft and random, the real maps one class per half with an ignored pixel; the first fake image has ground truth.
    /// </summary>
    private static (HostTensor<float> Fake, HostTensor<long> Labels, HostTensor<float> GroundTruth, HostTensor<long> Real) FixedBatch()
    {
        const int Plane = 32 * 32;
        var rng = new Random(3);
        var fake = HostTensor<float>.Zeros(2, 3, 32, 32);
        for (int n = 0; n < 2; n++)
        {
            for (int p = 0; p < Plane; p++)
            {
                float a = 1 + rng.NextSingle(), b = 1 + rng.NextSingle(), c = 1 + rng.NextSingle(), sum = a + b + c;
                fake.Data[(n * 3 + 0) * Plane + p] = a / sum;
                fake.Data[(n * 3 + 1) * Plane + p] = b / sum;
                fake.Data[(n * 3 + 2) * Plane + p] = c / sum;
            }
        }
        var labels = HostTensor<long>.Zeros(2, 32, 32);
        var real = HostTensor<long>.Zeros(2, 32, 32);
        for (int i = 0; i < real.Data.Length; i++) real.Data[i] = i % Plane < Plane / 2 ? 1 : 2;
        real.Data[5] = 255;
        return (fake, labels, new HostTensor<float>([1f, 0f], 2), real);
    }

    [Fact]
    public void One_discriminator_step_lowers_its_loss_on_a_fixed_batch()
    {
        var (fake, labels, groundTruth, real) = FixedBatch();
        using var discriminator = new AdversarialDiscriminator(Narrow, fake, labels, groundTruth, real, seed: 1, threads: 1);
        var before = discriminator.Parameters.Tensors.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Data.Clone());
        float first = discriminator.Step(1e-3f);
        float second = discriminator.Step(1e-3f);
        output.WriteLine($"L_D {first:F5} -> {second:F5}");
        // At initialisation D is near 1/2 everywhere: L_D near 2 log 2.
        Assert.InRange(first, 2 * MathF.Log(2) - 0.2f, 2 * MathF.Log(2) + 0.2f);
        Assert.True(second < first, $"L_D {first} -> {second}");
        Assert.Contains(discriminator.Parameters.Tensors, kv => !kv.Value.Data.SequenceEqual(before[kv.Key]));
        Assert.All(discriminator.Optimizer.State.Values, m => Assert.Equal(2, m.Steps));
    }

    [Fact]
    public void Label_smoothing_changes_what_the_discriminator_sees_as_real()
    {
        var (fake, labels, groundTruth, real) = FixedBatch();
        float FirstLoss(float smoothing)
        {
            using var d = new AdversarialDiscriminator(Narrow with { RealLabelSmoothing = smoothing }, fake, labels, groundTruth, real, seed: 1, threads: 1);
            return d.Step(1e-3f);
        }
        float plain = FirstLoss(0f), again = FirstLoss(0f), smoothed = FirstLoss(0.3f);
        output.WriteLine($"first L_D: plain {plain:F6}, smoothed {smoothed:F6}");
        Assert.Equal(plain, again); // same seed, same weights: only the real input differs below
        Assert.NotEqual(plain, smoothed);
    }

    [Fact]
    public void A_restored_discriminator_takes_the_same_next_step()
    {
        var (fake, labels, groundTruth, real) = FixedBatch();
        using var trained = new AdversarialDiscriminator(Narrow, fake, labels, groundTruth, real, seed: 1, threads: 1);
        trained.Step(1e-3f);
        var (tensors, state) = trained.Checkpoint();
        var saved = tensors.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Data.Clone());
        using var restored = new AdversarialDiscriminator(Narrow, fake, labels, groundTruth, real, seed: 2, threads: 1);
        restored.Restore(saved.ToDictionary(kv => kv.Key, kv => new HostTensor<float>(kv.Value, tensors[kv.Key].Shape)), state);
        foreach (var (name, value) in trained.Parameters.Tensors) Assert.Equal(value.Data, restored.Parameters.Tensors[name].Data);
        // Adam's moments and step count came back too: the next steps agree.
        Assert.Equal(trained.Step(1e-3f), restored.Step(1e-3f));
        foreach (var (name, value) in trained.Parameters.Tensors) Assert.Equal(value.Data, restored.Parameters.Tensors[name].Data);
    }

    private static SegmenterTrainingOptions TinyOptions(int epochs, int semiStart = 2) => new()
    {
        Network = TinySegmenter.Network,
        Augmentation = TinySegmenter.Augmentation(32),
        Sgd = SegmenterTrainingOptions.DefaultSgd with { Epochs = epochs, BatchSize = 4, LearningRate = 0.02f, Seed = 4, Threads = 1 },
        Adversarial = new AdversarialTrainingOptions { DiscriminatorWidth = 8, SemiStart = semiStart },
    };

    /// <summary>The images of a 12-image source that train on their ground truth in the two-run tests.</summary>
    private static bool GroundTruth(string id) => id.EndsWith('0') || id.EndsWith('3') || id.EndsWith('7');

    [Fact]
    public void The_self_taught_loss_counts_from_the_semi_start_step_and_not_before()
    {
        // 12 images in batches of 4: steps 0-2 are epoch 1, 3-5 epoch 2. Run A starts L_semi at step 3, run B never
        // (step 6 is past the run). Bit-equal after epoch 1, different after epoch 2: the weight switched on exactly there.
        string a = Directory.CreateTempSubdirectory("wsss-adv-").FullName, b = Directory.CreateTempSubdirectory("wsss-adv-").FullName;
        try
        {
            var source = new ColourSquaresSource(12, 32, seed: 5);
            SegmenterTrainer Trainer(string run, int semiStart) => new(TinyOptions(2, semiStart), source, run) { UsesGroundTruth = GroundTruth };

            var firstA = Trainer(a, semiStart: 3).Train(stopAfterEpoch: 1);
            var firstB = Trainer(b, semiStart: 6).Train(stopAfterEpoch: 1);
            foreach (var (name, value) in firstA.Parameters.Tensors) Assert.Equal(value.Data, firstB.Parameters.Tensors[name].Data);
            // Confident pixels exist, so a switched-on L_semi has something to pull.
            Assert.True(firstA.Epochs[0].Terms.Single(t => t.Name == "confident_fraction").Value > 0);

            var endA = Trainer(a, semiStart: 3).Train();
            var endB = Trainer(b, semiStart: 6).Train();
            Assert.Contains(endA.Parameters.Tensors, p => !p.Value.Data.AsSpan().SequenceEqual(endB.Parameters.Tensors[p.Key].Data));
        }
        finally
        {
            Directory.Delete(a, recursive: true);
            Directory.Delete(b, recursive: true);
        }
    }

    [Fact]
    public void A_resumed_adversarial_run_ends_where_an_uninterrupted_one_does()
    {
        string straight = Directory.CreateTempSubdirectory("wsss-adv-").FullName, resumed = Directory.CreateTempSubdirectory("wsss-adv-").FullName;
        try
        {
            var source = new ColourSquaresSource(12, 32, seed: 5);
            SegmenterTrainer Trainer(string run) => new(TinyOptions(2), source, run) { UsesGroundTruth = GroundTruth };

            var whole = Trainer(straight).Train();
            var first = Trainer(resumed).Train(stopAfterEpoch: 1);
            var rest = Trainer(resumed).Train();
            Assert.Equal([2], rest.Epochs.Select(e => e.Epoch));
            foreach (var e in whole.Epochs) output.WriteLine($"epoch {e.Epoch}: loss {e.Loss:F4} " + string.Join(", ", e.Terms.Select(t => $"{t.Name} {t.Value:F4}")));
            string[] terms = ["cross_entropy_loss", "adversarial_loss", "self_taught_loss", "confident_fraction", "discriminator_loss"];
            Assert.Equal(terms, whole.Epochs[0].Terms.Select(t => t.Name));
            Assert.All(whole.Epochs.SelectMany(e => e.Terms), t => Assert.True(double.IsFinite(t.Value), $"{t.Name} {t.Value}"));
            var fraction = whole.Epochs[0].Terms.Single(t => t.Name == "confident_fraction").Value;
            Assert.InRange(fraction, 0, 1);

            Assert.NotNull(whole.Discriminator);
            Assert.Equal(whole.Discriminator!.Tensors.Keys.Order(), rest.Discriminator!.Tensors.Keys.Order());
            Assert.All(whole.Discriminator.Tensors.Keys, k => Assert.StartsWith(ConfidenceDiscriminator.ParameterPrefix, k));
            Assert.DoesNotContain(whole.Parameters.Tensors.Keys, k => k.StartsWith(ConfidenceDiscriminator.ParameterPrefix, StringComparison.Ordinal));
            foreach (var (name, value) in whole.Discriminator.Tensors)
                Assert.Equal(value.Data, rest.Discriminator.Tensors[name].Data);
            foreach (var (name, value) in whole.Parameters.Tensors)
                Assert.Equal(value.Data, rest.Parameters.Tensors[name].Data);
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(resumed, recursive: true);
        }
    }

    [Fact]
    public void Invalid_adversarial_options_name_the_field()
    {
        var valid = new SegmenterTrainingOptions { Adversarial = new AdversarialTrainingOptions() };
        valid.Validate();
        Assert.Equal("SemiThreshold", Assert.Throws<ArgumentException>(() => (valid with { Adversarial = new() { SemiThreshold = 1f } }).Validate()).ParamName);
        Assert.Equal("AdversarialWeight", Assert.Throws<ArgumentException>(() => (valid with { Adversarial = new() { AdversarialWeight = -1f } }).Validate()).ParamName);
        Assert.Equal("SemiStart", Assert.Throws<ArgumentException>(() => (valid with { Adversarial = new() { SemiStart = -1 } }).Validate()).ParamName);
        Assert.Equal("RealLabelSmoothing", Assert.Throws<ArgumentException>(() => (valid with { Adversarial = new() { RealLabelSmoothing = 1f } }).Validate()).ParamName);
        Assert.Equal("DiscriminatorLearningRate", Assert.Throws<ArgumentException>(() => (valid with { Adversarial = new() { DiscriminatorLearningRate = 0f } }).Validate()).ParamName);
        Assert.Equal("Adversarial", Assert.Throws<ArgumentException>(() => (valid with { Loss = new WsssOnnx.Training.Seeding.SegmenterLossOptions() }).Validate()).ParamName);
    }
}
