using WsssOnnx.Attribution.Crf;
using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Tests.Crf;

/// <summary>Mean-field inference stops when its request is cancelled (a deadline), between and inside its iterations.</summary>
public sealed class DenseCrfCancellationTests
{
    private static (RgbImage Image, GrayImage Labels) Scene(int side)
    {
        var image = new RgbImage(side, side);
        new Random(side).NextBytes(image.Pixels);
        var labels = new GrayImage(side, side);
        for (int i = 0; i < labels.Pixels.Length; i++) labels.Pixels[i] = (byte)(i % side < side / 2 ? 0 : 1 + i % 3);
        return (image, labels);
    }

    [Fact]
    public void A_cancelled_token_stops_inference_before_it_starts()
    {
        var (image, labels) = Scene(32);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new DenseCrf().InferLabels(image, labels, 4, cancelled.Token));
    }

    [Fact]
    public void Cancelling_during_many_iterations_stops_them()
    {
        // 1000 iterations on 256x256 take minutes; a cancellation after 100 ms must end the call long before that.
        // The cancel comes from a thread of its own: a CancellationTokenSource timer fires on the thread pool, which the
        // CRF's own parallel passes and other test classes can keep busy for as long as the whole inference (seen once).
        var (image, labels) = Scene(256);
        var crf = new DenseCrf(new DenseCrfOptions { Iterations = DenseCrfOptions.MaxIterations });
        using var cancel = new CancellationTokenSource();
        var canceller = new Thread(() => { Thread.Sleep(100); cancel.Cancel(); }) { IsBackground = true };
        var started = DateTime.UtcNow;
        canceller.Start();
        Assert.ThrowsAny<OperationCanceledException>(() => crf.InferLabels(image, labels, 4, cancel.Token));
        canceller.Join();
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "inference ran on after its cancellation");
    }

    [Fact]
    public void An_uncancelled_token_changes_nothing()
    {
        var (image, labels) = Scene(40);
        using var live = new CancellationTokenSource();
        Assert.Equal(new DenseCrf().InferLabels(image, labels, 4).Pixels, new DenseCrf().InferLabels(image, labels, 4, live.Token).Pixels);
    }
}
