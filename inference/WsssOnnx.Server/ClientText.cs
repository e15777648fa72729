namespace WsssOnnx.Server;

/// <summary>
/// Client-provided strings as they may appear in a status message: a message echoes at most
/// <see cref="MaxEchoLength"/> characters of any one string (a 1 MB class name must not make a 1 MB trailer).
/// </summary>
public static class ClientText
{
    public const int MaxEchoLength = 200;

    /// <summary>A status message's whole length bound, whatever it quotes (grpc-message is a header).</summary>
    public const int MaxMessageLength = 2000;

    /// <summary><paramref name="text"/> cut to <paramref name="max"/> characters, an ellipsis marking the cut.</summary>
    public static string Truncate(string? text, int max = MaxEchoLength)
    {
        if (string.IsNullOrEmpty(text) || text.Length <= max) return text ?? "";
        int cut = max - 1;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;   // do not split a surrogate pair
        return string.Concat(text.AsSpan(0, cut), "…");
    }
}
