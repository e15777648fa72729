using WsssOnnx.Attribution.Crf;

namespace WsssOnnx.Attribution.Tests.Crf;

public sealed class DenseCrfOptionsTests
{
    [Fact]
    public void Defaults_are_irns_crf_inference_label()
    {
        var options = new DenseCrfOptions();

        Assert.Equal(10, options.Iterations);
        Assert.Equal(0.7f, options.GroundTruthProbability);
        Assert.Equal((3f, 3f), (options.GaussianSxy, options.GaussianCompat));
        Assert.Equal((50f, 5f, 10f), (options.BilateralSxy, options.BilateralSrgb, options.BilateralCompat));
        options.Validate();
    }

    public static TheoryData<DenseCrfOptions, string, string> Invalid => new()
    {
        { new() { Iterations = -1 }, nameof(DenseCrfOptions.Iterations), "[0, 1000]" },
        { new() { Iterations = 1001 }, nameof(DenseCrfOptions.Iterations), "[0, 1000]" },
        { new() { GroundTruthProbability = 0f }, nameof(DenseCrfOptions.GroundTruthProbability), "(0, 1)" },
        { new() { GroundTruthProbability = 1f }, nameof(DenseCrfOptions.GroundTruthProbability), "(0, 1)" },
        { new() { GroundTruthProbability = float.NaN }, nameof(DenseCrfOptions.GroundTruthProbability), "(0, 1)" },
        { new() { GaussianSxy = 0f }, nameof(DenseCrfOptions.GaussianSxy), "> 0" },
        { new() { GaussianCompat = -1f }, nameof(DenseCrfOptions.GaussianCompat), ">= 0" },
        { new() { BilateralSxy = float.PositiveInfinity }, nameof(DenseCrfOptions.BilateralSxy), "> 0" },
        { new() { BilateralSrgb = -5f }, nameof(DenseCrfOptions.BilateralSrgb), "> 0" },
        { new() { BilateralCompat = float.NaN }, nameof(DenseCrfOptions.BilateralCompat), ">= 0" },
        { new() { MaxDegreeOfParallelism = 0 }, nameof(DenseCrfOptions.MaxDegreeOfParallelism), "-1" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_options_name_the_field_and_its_range(DenseCrfOptions options, string field, string range)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(field, error.ParamName);
        Assert.Contains($"DenseCrfOptions.{field}", error.Message);
        Assert.Contains(range, error.Message);

        // The CRF validates at construction, so a bad option never reaches inference.
        Assert.Equal(field, Assert.Throws<ArgumentOutOfRangeException>(() => new DenseCrf(options)).ParamName);
    }

    [Fact]
    public void A_zero_weight_switches_its_kernel_off()
    {
        // With both Potts weights 0 the messages vanish and Q stays softmax(−U), whatever the iterations.
        var image = new WsssOnnx.Imaging.RgbImage(6, 5);
        new Random(9701).NextBytes(image.Pixels);
        var labels = new WsssOnnx.Imaging.GrayImage(6, 5);
        for (int i = 0; i < labels.Pixels.Length; i++) labels.Pixels[i] = (byte)(i % 3);

        var crf = new DenseCrf(new DenseCrfOptions { GaussianCompat = 0f, BilateralCompat = 0f });

        Assert.Equal(labels.Pixels, crf.InferLabels(image, labels, 3).Pixels);
    }
}
