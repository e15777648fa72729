namespace WsssOnnx.Imaging;

/// <summary>What a walk over a JPEG datastream's markers found.</summary>
/// <param name="ReachesEndOfImage">An EOI marker (FF D9) closes the stream; bytes after it are ignored, as libjpeg does.</param>
/// <param name="Irregular">
/// The walk met something that is not JPEG structure: junk between segments (libjpeg skips it with an
/// "extraneous bytes" warning), a reserved marker code or an impossible segment length (the walk stops there).
/// </param>
internal readonly record struct JpegStreamScan(bool ReachesEndOfImage, bool Irregular)
{
    /// <summary>
    /// An APP14 segment whose data starts with "Adobe" precedes the first scan: Adobe's marker, whose presence on a
    /// four-component image means inverted CMYK (Photoshop's convention).
    /// </summary>
    public bool AdobeMarker { get; init; }
}

/// <summary>
/// Structural walk over a JPEG datastream (ITU-T T.81 B.1): marker segments are skipped by their length field and
/// entropy-coded data after SOS is skipped up to the next marker that is neither a stuffed FF 00 nor RSTn.
/// Used on the error path, to tell a truncated file (the data runs out) from a corrupt one, and on CMYK images to find
/// Adobe's marker.
/// </summary>
internal static class JpegStream
{
    private const byte Prefix = 0xFF;
    private const byte Tem = 0x01, LastReserved = 0xBF, Rst0 = 0xD0, Rst7 = 0xD7, Soi = 0xD8, Eoi = 0xD9, Sos = 0xDA, App14 = 0xEE;

    internal static JpegStreamScan Scan(ReadOnlySpan<byte> jpeg)
    {
        bool irregular = false, adobe = false, inHeader = true;
        JpegStreamScan End(bool reachesEnd, bool isIrregular) => new(reachesEnd, isIrregular) { AdobeMarker = adobe };
        if (jpeg.Length < 2 || jpeg[0] != Prefix || jpeg[1] != Soi) return End(false, true);
        int p = 2;
        while (true)
        {
            // Next marker: resynchronise on FF like libjpeg's next_marker, then skip FF fill bytes.
            int next = jpeg[p..].IndexOf(Prefix);
            if (next < 0) return End(false, irregular);
            irregular |= next > 0;
            p += next;
            while (p < jpeg.Length && jpeg[p] == Prefix) p++;
            if (p >= jpeg.Length) return End(false, irregular);
            byte marker = jpeg[p++];
            if (marker == Eoi) return End(true, irregular);
            if (marker == 0x00) { irregular = true; continue; }
            // Standalone markers carry no length field.
            if (marker == Tem || marker == Soi || marker is >= Rst0 and <= Rst7) continue;
            // 02–BF are reserved: libjpeg stops with "Unsupported marker type".
            if (marker <= LastReserved) return End(false, true);

            // Segment: 2-byte big-endian length that counts itself.
            if (p + 2 > jpeg.Length) return End(false, irregular);
            int length = jpeg[p] << 8 | jpeg[p + 1];
            if (length < 2) return End(false, true);
            if (p + length > jpeg.Length) return End(false, irregular);
            adobe |= inHeader && marker == App14 && length >= 2 + 5 && jpeg.Slice(p + 2, 5).SequenceEqual("Adobe"u8);
            p += length;
            if (marker != Sos) continue;
            inHeader = false;

            // Entropy-coded data: FF 00 is a stuffed FF, FF D0–D7 a restart marker; any other FF xx ends the scan.
            while (true)
            {
                int ff = jpeg[p..].IndexOf(Prefix);
                if (ff < 0) return End(false, irregular);
                p += ff;
                if (p + 1 >= jpeg.Length) return End(false, irregular);
                byte b = jpeg[p + 1];
                if (b == 0x00 || b is >= Rst0 and <= Rst7) p += 2;
                else if (b == Prefix) p++;
                else break;
            }
        }
    }
}
