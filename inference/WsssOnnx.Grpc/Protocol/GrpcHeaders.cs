namespace WsssOnnx.Grpc.Protocol;

/// <summary>Header names and values of PROTOCOL-HTTP2, and the content-type rule.</summary>
internal static class GrpcHeaders
{
    public const string ContentType = "application/grpc";
    public const string Timeout = "grpc-timeout";
    public const string Encoding = "grpc-encoding";
    public const string AcceptEncoding = "grpc-accept-encoding";
    public const string Status = "grpc-status";
    public const string Message = "grpc-message";
    public const string Gzip = "gzip";
    public const string Identity = "identity";
    /// <summary>What we can read, in the order we prefer (compression.md).</summary>
    public const string SupportedEncodings = "gzip,identity";

    /// <summary>
    /// PROTOCOL-HTTP2: Content-Type is "application/grpc" [("+proto" / "+json" / {custom})]; we speak proto only,
    /// so "application/grpc", "application/grpc+proto", each optionally with parameters.
    /// </summary>
    public static bool IsGrpcContentType(string? value)
    {
        if (value is null) return false;
        var semicolon = value.IndexOf(';');
        var media = (semicolon < 0 ? value : value[..semicolon]).Trim();
        return media.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || media.Equals(ContentType + "+proto", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether a comma-separated grpc-accept-encoding list names gzip.</summary>
    public static bool AcceptsGzip(string? acceptEncoding) =>
        acceptEncoding is not null && acceptEncoding.Split(',', StringSplitOptions.TrimEntries)
            .Any(e => e.Equals(Gzip, StringComparison.OrdinalIgnoreCase));
}
