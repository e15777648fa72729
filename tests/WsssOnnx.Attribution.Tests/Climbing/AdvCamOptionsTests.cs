using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Tests.Climbing;

public sealed class AdvCamOptionsTests
{
    [Fact]
    public void Defaults_are_the_authors()
    {
        var options = new AdvCamOptions();

        Assert.Equal(27, options.Steps);
        Assert.Equal(0.08f, options.StepSize);
        Assert.Equal(7f, options.MaskWeight);
        Assert.Equal(0.5f, options.MaskThreshold);
        Assert.Equal([1.0f, 0.5f, 1.5f, 2.0f], options.Scales);
        Assert.Equal(1024, options.MaxSide);
        Assert.Same(options, options.Validate());
        Assert.Equal(1, AdvCamOptions.Cam.Steps);
    }

    [Fact]
    public void Package_defaults_map_field_by_field()
    {
        var defaults = new AdvCamDefaults { Steps = 9, StepSize = 0.008f, MaskWeight = 3f, MaskThreshold = 0.4f, Scales = [1f, 2f] };

        var options = AdvCamOptions.FromDefaults(defaults);

        Assert.Equal((9, 0.008f, 3f, 0.4f), (options.Steps, options.StepSize, options.MaskWeight, options.MaskThreshold));
        Assert.Equal([1f, 2f], options.Scales);
        Assert.Equal(new AdvCamOptions().MaxSide, options.MaxSide);
        Assert.Equal(new AdvCamOptions() with { Scales = options.Scales }, AdvCamOptions.FromDefaults(new AdvCamDefaults()) with { Scales = options.Scales });
        Assert.Equal("Steps", Assert.Throws<ArgumentOutOfRangeException>(() => AdvCamOptions.FromDefaults(new AdvCamDefaults { Steps = 0 })).ParamName);
    }

    public static TheoryData<AdvCamOptions, string, string> Invalid => new()
    {
        { new() { Steps = 0 }, nameof(AdvCamOptions.Steps), "[1, 1000]" },
        { new() { Steps = 1001 }, nameof(AdvCamOptions.Steps), "[1, 1000]" },
        { new() { StepSize = -0.01f }, nameof(AdvCamOptions.StepSize), "[0, 10]" },
        { new() { StepSize = float.NaN }, nameof(AdvCamOptions.StepSize), "[0, 10]" },
        { new() { MaskWeight = -1f }, nameof(AdvCamOptions.MaskWeight), "[0, 1000]" },
        { new() { MaskWeight = float.PositiveInfinity }, nameof(AdvCamOptions.MaskWeight), "[0, 1000]" },
        { new() { MaskThreshold = 1.5f }, nameof(AdvCamOptions.MaskThreshold), "[0, 1]" },
        { new() { MaskThreshold = float.NaN }, nameof(AdvCamOptions.MaskThreshold), "[0, 1]" },
        { new() { Scales = [] }, nameof(AdvCamOptions.Scales), "1 to 8 scales" },
        { new() { Scales = [1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f] }, nameof(AdvCamOptions.Scales), "1 to 8 scales" },
        { new() { Scales = [1f, 0f] }, nameof(AdvCamOptions.Scales), "[0.125, 4]" },
        { new() { Scales = [8f] }, nameof(AdvCamOptions.Scales), "[0.125, 4]" },
        { new() { Scales = [float.NaN] }, nameof(AdvCamOptions.Scales), "[0.125, 4]" },
        { new() { PairsPerCall = -1 }, nameof(AdvCamOptions.PairsPerCall), "[0, 1024]" },
        { new() { MaxSide = 8 }, nameof(AdvCamOptions.MaxSide), "[16, 8192]" },
        { new() { MaxSide = 10000 }, nameof(AdvCamOptions.MaxSide), "[16, 8192]" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_options_name_the_field_and_its_range(AdvCamOptions options, string field, string range)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate());
        Assert.Equal(field, error.ParamName);
        Assert.Contains($"AdvCamOptions.{field}", error.Message);
        Assert.Contains(range, error.Message);

        // The climber validates before touching the image or the model.
        var image = ClimbingModel.SmoothImage(1, 32, 32);
        Assert.Equal(field, Assert.Throws<ArgumentOutOfRangeException>(() => ClimbingModel.Tiny.Climber.Climb(image, [0], options)).ParamName);
    }
}
