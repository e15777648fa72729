using WsssOnnx.Packages;
using Xunit.Abstractions;

namespace WsssOnnx.Imaging.Tests;

public sealed class ResizeTests(ITestOutputHelper output)
{
    public static TheoryData<Interpolation> Modes => new() { Interpolation.Bilinear, Interpolation.Bicubic };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Resizing_to_the_same_size_is_identity(Interpolation mode)
    {
        Random random = TestImages.Seeded(12001, output);
        RgbImage image = TestImages.RandomRgb(random, 23, 17);
        HostTensor<float> maps = RandomMaps(random, 2, 17, 23);

        Assert.Equal(image.Pixels, ImageResize.Resize(image, 23, 17, mode).Pixels);
        Assert.Equal(maps.Data, ImageResize.Resize(maps, 23, 17, mode).Data);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Unit_scale_taps_pick_exactly_the_same_sample(Interpolation mode)
    {
        // The identity above takes a shortcut; this checks the kernel itself is the identity at scale 1
        // (half-pixel: x = o, so t = 0 and the weights are W(0) = 1 and W(±1) = W(2) = 0).
        ResampleAxis axis = ResampleAxis.Create(9, 9, mode);
        for (int o = 0; o < 9; o++)
            for (int k = 0; k < axis.Taps; k++)
            {
                float weight = axis.Weight[o * axis.Taps + k];
                if (axis.Index[o * axis.Taps + k] == o && weight != 0) Assert.Equal(1f, weight);
                else Assert.Equal(0f, weight);
            }
    }

    [Theory]
    [InlineData(10, 8, 25, 19)]
    [InlineData(31, 27, 12, 10)]
    public void Bilinear_of_a_linear_ramp_stays_linear_in_the_interior(int inWidth, int inHeight, int outWidth, int outHeight)
    {
        // f(i, j) = a·i + b·j + c resamples to f(x, y) at x = (o + 0.5)·in/out − 0.5 wherever x, y lie within the
        // input (outside, the clamp makes it the edge value). Bicubic is not tested this way: Keys' kernel reproduces
        // ramps only for a = −0.5; with PyTorch's a = −0.75 its first moment is non-zero except at t = 0 and 0.5.
        const float a = 1.5f, b = -0.75f, c = 3f;
        var ramp = HostTensor<float>.Zeros(1, inHeight, inWidth);
        for (int j = 0; j < inHeight; j++)
            for (int i = 0; i < inWidth; i++)
                ramp.Data[j * inWidth + i] = a * i + b * j + c;

        HostTensor<float> resized = ImageResize.Resize(ramp, outWidth, outHeight, Interpolation.Bilinear);

        int checkedPoints = 0;
        for (int oy = 0; oy < outHeight; oy++)
            for (int ox = 0; ox < outWidth; ox++)
            {
                double x = (ox + 0.5) * inWidth / outWidth - 0.5, y = (oy + 0.5) * inHeight / outHeight - 0.5;
                if (x < 0 || x > inWidth - 1 || y < 0 || y > inHeight - 1) continue;
                Assert.Equal(a * x + b * y + c, resized.Data[oy * outWidth + ox], 1e-4);
                checkedPoints++;
            }
        Assert.True(checkedPoints > outWidth * outHeight / 2, $"only {checkedPoints} interior points");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Resizing_a_constant_image_gives_the_constant(Interpolation mode)
    {
        // Weights sum to 1 for every output sample, border clamping included.
        RgbImage solid = TestImages.Solid(37, 29, 200, 17, 99);
        var maps = HostTensor<float>.Zeros(2, 29, 37);
        maps.Span.Fill(-2.25f);

        foreach ((int w, int h) in new[] { (10, 7), (5, 13), (80, 61) })
        {
            Assert.Equal(TestImages.Solid(w, h, 200, 17, 99).Pixels, ImageResize.Resize(solid, w, h, mode).Pixels);
            Assert.All(ImageResize.Resize(maps, w, h, mode).Data, v => Assert.Equal(-2.25f, v, 1e-5f));
        }
    }

    [Fact]
    public void Bilinear_matches_hand_computed_half_pixel_values()
    {
        // 2×2 → 4×4: x = (o + 0.5)/2 − 0.5 = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (i0 = 1 = last, edge),
        // so each axis uses weights (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1); the same result as
        // F.interpolate(t, size=(4, 4), mode="bilinear", align_corners=False).
        var input = new HostTensor<float>([0, 10, 20, 30], 2, 2);

        HostTensor<float> up = ImageResize.Resize(input, 4, 4, Interpolation.Bilinear);

        float[] expected =
        [
            0, 2.5f, 7.5f, 10,
            5, 7.5f, 12.5f, 15,
            15, 17.5f, 22.5f, 25,
            20, 22.5f, 27.5f, 30,
        ];
        Assert.Equal(expected, up.Data);

        // 4 → 2 samples: x = (o + 0.5)·2 − 0.5 = 0.5, 2.5: the midpoints, no antialiasing.
        HostTensor<float> down = ImageResize.Resize(new HostTensor<float>([0, 10, 20, 40], 1, 4), 2, 1, Interpolation.Bilinear);
        Assert.Equal([5f, 30f], down.Data);
    }

    [Fact]
    public void Bicubic_matches_hand_computed_keys_kernel_values()
    {
        // 1×4 → 1×8, row [0, 0, 10, 0]; a = −0.75, W(d) = (a+2)d³ − (a+3)d² + 1 (d ≤ 1), a·d³ − 5a·d² + 8a·d − 4a (1 < d < 2).
        // o = 2: x = 0.75, taps −1…2 (−1 clamped to 0) → 10·W(1.25) = −1.0546875 (the negative lobe).
        // o = 3: x = 1.25, taps 0…3 → 10·W(0.75) = 2.6171875.   o = 4: x = 1.75 → 10·W(0.25) = 8.7890625.
        var input = new HostTensor<float>([0, 0, 10, 0], 1, 4);

        HostTensor<float> up = ImageResize.Resize(input, 8, 1, Interpolation.Bicubic);

        Assert.Equal(-1.0546875f, up.Data[2], 1e-5f);
        Assert.Equal(2.6171875f, up.Data[3], 1e-5f);
        Assert.Equal(8.7890625f, up.Data[4], 1e-5f);
    }

    [Fact]
    public void Bicubic_rgb_overshoot_is_clamped_not_wrapped()
    {
        // A 0/255 step overshoots below 0 and above 255 in float; 8-bit output must saturate.
        var step = new RgbImage(4, 1, [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
        var plane = new HostTensor<float>([0, 0, 255, 255], 1, 4);

        RgbImage resized = ImageResize.Resize(step, 8, 1, Interpolation.Bicubic);
        HostTensor<float> reference = ImageResize.Resize(plane, 8, 1, Interpolation.Bicubic);

        Assert.True(reference.Data.Min() < 0 && reference.Data.Max() > 255, "the float result should overshoot");
        for (int x = 0; x < 8; x++)
            Assert.Equal((byte)Math.Clamp(MathF.Round(reference.Data[x]), 0, 255), resized.Pixels[3 * x]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Rgb_resize_equals_the_float_resize_of_each_channel_rounded(Interpolation mode)
    {
        Random random = TestImages.Seeded(12002, output);
        RgbImage image = TestImages.RandomRgb(random, 41, 30);
        var planes = HostTensor<float>.Zeros(3, 30, 41);
        for (int i = 0; i < 41 * 30; i++)
            for (int c = 0; c < 3; c++)
                planes.Data[c * 41 * 30 + i] = image.Pixels[3 * i + c];

        RgbImage resized = ImageResize.Resize(image, 67, 19, mode);
        HostTensor<float> reference = ImageResize.Resize(planes, 67, 19, mode);

        for (int i = 0; i < 67 * 19; i++)
            for (int c = 0; c < 3; c++)
                Assert.Equal((byte)Math.Clamp(MathF.Round(reference.Data[c * 67 * 19 + i]), 0, 255), resized.Pixels[3 * i + c]);
    }

    [Fact]
    public void Float_resize_keeps_leading_axes_and_treats_planes_independently()
    {
        Random random = TestImages.Seeded(12003, output);
        HostTensor<float> maps = RandomMaps(random, 6, 5, 7);
        var batched = new HostTensor<float>(maps.Data, 2, 3, 5, 7);

        HostTensor<float> resized = ImageResize.Resize(batched, 14, 10, Interpolation.Bilinear);

        Assert.Equal([2L, 3, 10, 14], resized.Shape);
        for (int p = 0; p < 6; p++)
        {
            var plane = new HostTensor<float>(maps.Data.AsSpan(p * 35, 35).ToArray(), 5, 7);
            Assert.Equal(ImageResize.Resize(plane, 14, 10, Interpolation.Bilinear).Data, resized.Data.AsSpan(p * 140, 140).ToArray());
        }
    }

    private static HostTensor<float> RandomMaps(Random random, int planes, int height, int width)
    {
        var maps = HostTensor<float>.Zeros(planes, height, width);
        for (int i = 0; i < maps.Data.Length; i++) maps.Data[i] = (float)(random.NextDouble() * 4 - 2);
        return maps;
    }
}
