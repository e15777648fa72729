using WsssOnnx.Graph.Networks;
using WsssOnnx.Training.Loop;
using Xunit.Abstractions;

namespace WsssOnnx.Training.Tests.Loop;

public sealed class SegmenterTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void Segmenter_loss_on_label_maps_falls()
    {
        string run = Directory.CreateTempSubdirectory("wsss-seg-").FullName;
        try
        {
            var options = new SegmenterTrainingOptions
            {
                Network = new DeepLabOptions
                {
                    Backbone = new ResNetOptions
                    {
                        Depth = 18,
                        Width = 4,
                        Layout = ResNetLayout.DilatedOutputStride8,
                        TrainableStages = ResNetStages.All,
                        BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
                    },
                    AtrousRates = [1, 2],
                },
                Augmentation = new Augmentation { CropSize = 32, LongSide = (30, 34), ColourJitter = 0f },
                Sgd = SegmenterTrainingOptions.DefaultSgd with { Epochs = 6, BatchSize = 8, LearningRate = 0.02f, Seed = 4, Threads = 1 },
            };
            int validations = 0;
            var trainer = new SegmenterTrainer(options, new ColourSquaresSource(96, 32, seed: 8), run)
            {
                Validation = (_, network) =>
                {
                    validations++;
                    Assert.Equal(4, network.Classes); // three colours and background
                    return ("calls", validations);
                },
            };
            var result = trainer.Train();
            foreach (var e in result.Epochs) output.WriteLine($"epoch {e.Epoch}: loss {e.Loss:F4}");
            Assert.Equal(6, validations);
            Assert.True(result.Epochs[^1].Loss < 0.6 * result.Epochs[0].Loss, "the pixel loss falls");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [Theory]
    [InlineData("Epochs")]
    [InlineData("BatchSize")]
    [InlineData("LearningRate")]
    [InlineData("HeadLearningRateMultiplier")]
    [InlineData("Threads")]
    public void Invalid_options_name_the_field(string field)
    {
        var valid = new SegmenterTrainingOptions();
        valid.Validate();
        var invalid = field switch
        {
            "Epochs" => valid with { Sgd = valid.Sgd with { Epochs = 0 } },
            "BatchSize" => valid with { Sgd = valid.Sgd with { BatchSize = 0 } },
            "LearningRate" => valid with { Sgd = valid.Sgd with { LearningRate = float.NaN } },
            "HeadLearningRateMultiplier" => valid with { Sgd = valid.Sgd with { HeadLearningRateMultiplier = 0 } },
            _ => valid with { Sgd = valid.Sgd with { Threads = -1 } },
        };
        var error = Assert.Throws<ArgumentException>(() => invalid.Validate());
        Assert.Equal(field, error.ParamName);
    }
}
