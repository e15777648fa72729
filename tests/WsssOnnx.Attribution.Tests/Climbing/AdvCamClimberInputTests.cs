using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Tests.Climbing;

/// <summary>What the climber refuses, and how it stops.</summary>
public sealed class AdvCamClimberInputTests
{
    private static AdvCamClimber Climber => ClimbingModel.Tiny.Climber;

    [Theory]
    [InlineData(-1)]
    [InlineData(ClimbingModel.Classes)]
    public void A_class_outside_the_model_is_rejected(int c)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Climber.Climb(ClimbingModel.SmoothImage(1, 32, 32), [0, c]));
        Assert.Equal("classes", error.ParamName);
        Assert.Contains($"class index {c} is outside the model's foreground classes [0, {ClimbingModel.Classes})", error.Message);
        Assert.Equal(ClimbingModel.Classes, Climber.ClassCount);
    }

    [Fact]
    public void A_repeated_class_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Climber.Climb(ClimbingModel.SmoothImage(1, 32, 32), [1, 2, 1]));
        Assert.Equal("classes", error.ParamName);
        Assert.Contains("class index 1 is given twice", error.Message);
    }

    [Theory]
    [InlineData(1025, 10, 1024)]
    [InlineData(40, 65, 64)]
    public void An_image_over_the_max_side_is_rejected_not_downscaled(int width, int height, int maxSide)
    {
        var options = new AdvCamOptions { MaxSide = maxSide };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Climber.Climb(new RgbImage(width, height), [0], options));
        Assert.Equal("image", error.ParamName);
        Assert.Contains($"AdvCamOptions.MaxSide = {maxSide}", error.Message);
        Assert.Contains($"{width}x{height}", error.Message);
    }

    [Fact]
    public void A_zero_size_image_cannot_reach_the_climber_and_a_one_pixel_image_works()
    {
        // RgbImage refuses a zero side at construction, so no zero-size image exists to climb; the smallest one does.
        Assert.Throws<ArgumentOutOfRangeException>(() => new RgbImage(0, 8));
        Assert.Throws<ArgumentNullException>(() => Climber.Climb(null!, [0]));

        var maps = Climber.Climb(new RgbImage(1, 1), [0, 1], new AdvCamOptions { Steps = 3 });
        Assert.Equal([2L, 1, 1], maps.Full.Shape);
        Assert.Equal([2L, 1, 1], maps.Stride4.Shape);
        Assert.All(maps.Full.Data, v => Assert.True(float.IsFinite(v) && v >= 0f));
    }

    [Fact]
    public void No_classes_give_empty_maps()
    {
        var maps = Climber.Climb(ClimbingModel.SmoothImage(2, 30, 20), []);
        Assert.Empty(maps.Classes);
        Assert.Equal([0L, 20, 30], maps.Full.Shape);
        Assert.Equal([0L, 5, 8], maps.Stride4.Shape);
    }

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var cancel = new CancellationTokenSource();
        var trace = new ClimbingTrace { OnStep = s => { if (s.Step == 2) cancel.Cancel(); } };

        Assert.ThrowsAny<OperationCanceledException>(() =>
            Climber.Climb(ClimbingModel.SmoothImage(3, 48, 48), [0, 1], new AdvCamOptions { Steps = 6 }, trace, cancel.Token));

        // Steps 0, 1, 2 of the first scale ran; step 3 never started.
        Assert.Equal([0, 1, 2], trace.Steps.Select(s => s.Step));
        Assert.All(trace.Steps, s => Assert.Equal(1f, s.Scale));
    }

    [Fact]
    public void A_cancelled_request_runs_nothing()
    {
        var trace = new ClimbingTrace();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Climber.Climb(ClimbingModel.SmoothImage(3, 48, 48), [0], null, trace, new CancellationToken(canceled: true)));
        Assert.Empty(trace.Steps);
    }

    [Fact]
    public void Without_a_climbing_session_only_plain_cam_runs()
    {
        var model = ClimbingModel.Tiny;
        var camOnly = new AdvCamClimber(model.Classifier, climber: null, model.Normalization);
        var image = ClimbingModel.SmoothImage(4, 40, 40);

        Assert.False(camOnly.CanClimb);
        Assert.Contains("climber.onnx", Assert.Throws<InvalidOperationException>(() => camOnly.Climb(image, [0])).Message);
        Assert.Equal(model.Climber.Climb(image, [0], AdvCamOptions.Cam).Full.Data, camOnly.Climb(image, [0], AdvCamOptions.Cam).Full.Data);
    }

    [Fact]
    public void Sessions_of_the_wrong_kind_are_refused_at_construction()
    {
        var model = ClimbingModel.Tiny;
        var error = Assert.Throws<ArgumentException>(() => new AdvCamClimber(model.Classifier, model.Classifier, model.Normalization));
        Assert.Equal("climber", error.ParamName);
        Assert.Contains("input 'target_class'", error.Message);

        error = Assert.Throws<ArgumentException>(() => new AdvCamClimber(model.ClimberSession, model.ClimberSession, model.Normalization));
        Assert.Equal("classifier", error.ParamName);
        Assert.Contains("output 'class_maps'", error.Message);
    }
}
