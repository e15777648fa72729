namespace WsssOnnx.Imaging.Tests;

public sealed class JpegStreamTests
{
    private static readonly byte[] Jpeg = JpegEncoder.Encode(TestImages.Smooth(48, 32), quality: 85);

    [Fact]
    public void An_encoded_jpeg_reaches_its_end_of_image_marker()
    {
        Assert.Equal(new JpegStreamScan(true, false), JpegStream.Scan(Jpeg));
    }

    [Fact]
    public void Every_proper_prefix_of_a_jpeg_runs_out_without_irregularity()
    {
        for (int length = 2; length < Jpeg.Length; length++)
            Assert.Equal(new JpegStreamScan(false, false), JpegStream.Scan(Jpeg.AsSpan(0, length)));
    }

    [Fact]
    public void Bytes_after_the_end_of_image_marker_are_not_read()
    {
        Assert.Equal(new JpegStreamScan(true, false), JpegStream.Scan([.. Jpeg, 0xFF, 0x47, 0x00, 0x01]));
    }

    [Fact]
    public void Junk_between_segments_is_skipped_and_flagged()
    {
        int sof = TestImages.FindJpegMarker(Jpeg, 0xC0);
        byte[] withJunk = [.. Jpeg.AsSpan(0, sof), 0x12, 0x34, .. Jpeg.AsSpan(sof)];

        Assert.Equal(new JpegStreamScan(true, true), JpegStream.Scan(withJunk));
    }

    [Fact]
    public void Restart_markers_and_stuffed_bytes_inside_entropy_data_do_not_end_the_scan()
    {
        // SOI, SOS with a minimal 2-byte length, entropy data containing FF 00 and FF D3, then EOI.
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x11, 0xFF, 0x00, 0x22, 0xFF, 0xD3, 0x33, 0xFF, 0xD9];

        Assert.Equal(new JpegStreamScan(true, false), JpegStream.Scan(jpeg));
        Assert.Equal(new JpegStreamScan(false, false), JpegStream.Scan(jpeg.AsSpan(0, jpeg.Length - 1)));
    }

    [Fact]
    public void A_reserved_marker_or_a_bogus_length_is_irregular()
    {
        Assert.Equal(new JpegStreamScan(false, true), JpegStream.Scan([0xFF, 0xD8, 0xFF, 0x47, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xD9]));
        Assert.Equal(new JpegStreamScan(false, true), JpegStream.Scan([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9]));
    }
}
