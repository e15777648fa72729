namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// Runs a body over [0, count) in contiguous chunks, in parallel when there is more than one chunk; the options'
/// cancellation token is checked before the body (and by Parallel.For between chunks).
/// </summary>
internal static class ParallelChunks
{
    public static void For(int count, int chunkSize, ParallelOptions parallel, Action<int, int> body)
    {
        int chunks = (int)((count + (long)chunkSize - 1) / chunkSize);
        parallel.CancellationToken.ThrowIfCancellationRequested();
        if (chunks <= 1 || parallel.MaxDegreeOfParallelism == 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        Parallel.For(0, chunks, parallel, c => body(c * chunkSize, (int)Math.Min(count, (long)(c + 1) * chunkSize)));
    }
}
