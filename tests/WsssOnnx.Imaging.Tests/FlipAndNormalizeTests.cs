using WsssOnnx.Packages;
using Xunit.Abstractions;

namespace WsssOnnx.Imaging.Tests;

public sealed class FlipAndNormalizeTests(ITestOutputHelper output)
{
    [Fact]
    public void Flipping_twice_is_identity()
    {
        Random random = TestImages.Seeded(13001, output);
        RgbImage rgb = TestImages.RandomRgb(random, 19, 6);
        GrayImage gray = TestImages.RandomGray(random, 19, 6);
        var maps = HostTensor<float>.Zeros(2, 6, 19);
        for (int i = 0; i < maps.Data.Length; i++) maps.Data[i] = random.NextSingle();

        Assert.Equal(rgb.Pixels, ImageFlip.FlipHorizontal(ImageFlip.FlipHorizontal(rgb)).Pixels);
        Assert.Equal(gray.Pixels, ImageFlip.FlipHorizontal(ImageFlip.FlipHorizontal(gray)).Pixels);
        Assert.Equal(maps.Data, ImageFlip.FlipHorizontal(ImageFlip.FlipHorizontal(maps)).Data);
    }

    [Fact]
    public void Flip_moves_pixel_x_to_width_minus_one_minus_x_keeping_channel_order()
    {
        var rgb = new RgbImage(3, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
        var maps = new HostTensor<float>([1, 2, 3, 4, 5, 6], 1, 2, 3);

        Assert.Equal([7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12], ImageFlip.FlipHorizontal(rgb).Pixels);
        Assert.Equal([3f, 2, 1, 6, 5, 4], ImageFlip.FlipHorizontal(maps).Data);
        Assert.Equal([1L, 2, 3], ImageFlip.FlipHorizontal(maps).Shape);
    }

    [Fact]
    public void Normalise_gives_the_imagenet_value_for_a_known_pixel()
    {
        var image = new RgbImage(3, 2);
        (image.Pixels[3], image.Pixels[4], image.Pixels[5]) = (255, 0, 128); // pixel (x = 1, y = 0)

        HostTensor<float> tensor = ImageTensor.FromRgb(image);

        Assert.Equal([1L, 3, 2, 3], tensor.Shape);
        const int plane = 6, at = 1; // NCHW offset of (c, y = 0, x = 1) is c·H·W + 1
        Assert.Equal((1 - 0.485f) / 0.229f, tensor.Data[at], 1e-6f);                 // 2.2489
        Assert.Equal((0 - 0.456f) / 0.224f, tensor.Data[plane + at], 1e-6f);         // −2.0357
        Assert.Equal((128 / 255f - 0.406f) / 0.225f, tensor.Data[2 * plane + at], 1e-6f); // 0.4265
        Assert.Equal((0 - 0.485f) / 0.229f, tensor.Data[0], 1e-6f);                  // a black pixel
    }

    [Fact]
    public void Custom_normalisation_is_applied_per_channel()
    {
        var image = new RgbImage(1, 1, [51, 102, 255]);
        var normalization = new ImageNormalization { Mean = (0, 0.5f, 1), Std = (0.5f, 1, 2) };

        HostTensor<float> tensor = ImageTensor.FromRgb(image, normalization);

        Assert.Equal([0.4f, -0.1f, 0f], tensor.Data.Select(v => MathF.Round(v, 5)).ToArray());
    }

    [Fact]
    public void Invalid_normalisation_is_rejected_naming_the_field_and_range()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ImageTensor.FromRgb(new RgbImage(1, 1), new ImageNormalization { Std = (0.2f, 0, 0.2f) }));
        Assert.Contains("ImageNormalization.Std.G must be finite and in (0, +inf)", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => ImageTensor.FromRgb(new RgbImage(1, 1), new ImageNormalization { Mean = (float.NaN, 0, 0) }));
        Assert.Contains("ImageNormalization.Mean.R", e.Message);
    }

    [Fact]
    public void The_manifest_form_round_trips_and_imagenet_is_the_manifests_imagenet()
    {
        var custom = new ImageNormalization { Mean = (0.1f, 0.2f, 0.3f), Std = (0.4f, 0.5f, 0.6f) };
        var manifest = custom.ToManifest();
        Assert.Equal([0.1f, 0.2f, 0.3f], manifest.Mean);
        Assert.Equal([0.4f, 0.5f, 0.6f], manifest.Std);
        Assert.Equal(custom, ImageNormalization.From(manifest));
        Assert.Equal(InputNormalization.ImageNet.Mean, ImageNormalization.ImageNet.ToManifest().Mean);
        Assert.Equal(InputNormalization.ImageNet.Std, ImageNormalization.ImageNet.ToManifest().Std);
    }

    [Fact]
    public void A_manifest_normalisation_without_three_values_per_field_is_invalid_data()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageNormalization.From(new InputNormalization([0.5f, 0.5f], [0.2f, 0.2f, 0.2f])));
        Assert.Contains("got 2 and 3", e.Message);
    }
}
