using System.Runtime.InteropServices;

namespace WsssOnnx.Cli;

/// <summary>
/// Turns the given POSIX signals into a cancellation instead of the runtime's default of ending the process at once,
/// so a command can stop starting work, let what runs finish or cancel it, and report.
/// </summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;

    public SignalCancellation(params PosixSignal[] signals) =>
        _registrations = [.. signals.Select(signal => PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            _source.Cancel();
        }))];

    public CancellationToken Token => _source.Token;

    public bool IsCancellationRequested => _source.IsCancellationRequested;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _source.Dispose();
    }
}
