using WsssOnnx.Attribution.Cam;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Tests.Cam;

/// <summary>The saved class maps that threshold sweeps read.</summary>
public sealed class ClassMapsFileTests
{
    [Fact]
    public void Maps_round_trip_within_half_precision_and_keep_their_classes()
    {
        var random = new Random(71);
        var full = HostTensor<float>.Zeros(3, 5, 7);
        for (int i = 0; i < full.Data.Length; i++) full.Data[i] = (float)random.NextDouble();
        var maps = new ClassMaps([6, 0, 2], HostTensor<float>.Zeros(3, 2, 2), full);

        var read = ClassMapsFile.Read(ClassMapsFile.Write(maps), "test");

        Assert.Equal([6, 0, 2], read.Classes);
        Assert.Equal(full.Shape, read.Full.Shape);
        // A half has 11 significant bits: relative error at most 2^-11 on [0, 1].
        for (int i = 0; i < full.Data.Length; i++) Assert.Equal(full.Data[i], read.Full.Data[i], 1f / 2048);
    }

    [Fact]
    public void A_truncated_or_foreign_file_is_invalid_data_naming_the_source()
    {
        var maps = new ClassMaps([1], HostTensor<float>.Zeros(1, 1, 1), HostTensor<float>.Zeros(1, 4, 4));
        byte[] bytes = ClassMapsFile.Write(maps);
        Assert.Contains("cut.maps", Assert.Throws<InvalidDataException>(() => ClassMapsFile.Read(bytes[..^2], "cut.maps")).Message);
        Assert.Contains("x.png", Assert.Throws<InvalidDataException>(() => ClassMapsFile.Read("\x89PNG\r\n\x1a\n........"u8.ToArray(), "x.png")).Message);
    }
}
