using WsssOnnx.Imaging;

namespace WsssOnnx.Cli;

/// <summary>Reading and decoding the image files commands are given, local and remote, each failure one sentence.</summary>
internal static class ImageFile
{
    /// <summary>The file's bytes, refused with one sentence if unreadable.</summary>
    public static byte[] ReadBytes(FileInfo file)
    {
        try
        {
            return File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"cannot read {file.FullName}: {e.Message}", e);
        }
    }

    /// <summary>Decodes the file's bytes here (overlays, local segmentation) within <paramref name="limits"/>.</summary>
    public static RgbImage Decode(byte[] bytes, FileInfo file, ImageLimits? limits = null)
    {
        try
        {
            return new ImageDecoder(limits).DecodeRgb(bytes);
        }
        catch (ImageDecodeException e)
        {
            throw new CommandFailedException($"cannot decode {file.FullName}: {e.Message}", e);
        }
    }
}
