namespace WsssOnnx.Server.Tests;

public sealed class AdmissionControllerTests
{
    [Fact]
    public async Task Beyond_the_limit_requests_queue_and_beyond_the_queue_they_are_refused()
    {
        var admission = new AdmissionController(concurrencyLimit: 2, queueCapacity: 1);
        using var a = await admission.EnterAsync(CancellationToken.None);
        var b = await admission.EnterAsync(CancellationToken.None);
        Assert.Equal(2, admission.Running);
        var queued = admission.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(queued.IsCompleted);
        Assert.Equal(1, admission.Queued);
        var refused = await Assert.ThrowsAsync<AdmissionRejectedException>(() => admission.EnterAsync(CancellationToken.None).AsTask());
        Assert.Equal(AdmissionRejection.QueueFull, refused.Reason);
        b.Dispose();
        using var c = await queued.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, admission.Queued);
        Assert.Equal(2, admission.Running);
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_queue_and_unbounded_waits_ignore_its_capacity()
    {
        var admission = new AdmissionController(1, 1);
        var running = await admission.EnterAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => admission.EnterAsync(cancel.Token).AsTask());
        Assert.Equal(0, admission.Queued);
        var streamItem = admission.EnterAsync(CancellationToken.None, bounded: false).AsTask();
        Assert.False(streamItem.IsCompleted);
        running.Dispose();
        (await streamItem.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, admission.Running);
    }

    [Fact]
    public async Task After_close_new_requests_are_refused_as_shutting_down()
    {
        var admission = new AdmissionController(1, 4);
        admission.Close();
        var e = await Assert.ThrowsAsync<AdmissionRejectedException>(() => admission.EnterAsync(CancellationToken.None).AsTask());
        Assert.Equal(AdmissionRejection.ShuttingDown, e.Reason);
    }
}
