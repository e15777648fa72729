using System.Runtime.InteropServices;

namespace WsssOnnx.Cli;

/// <summary>
/// glibc malloc settings for a long-running server. ONNX Runtime's buffers come from malloc; by default glibc raises its
/// mmap threshold dynamically (up to 32 MiB) after large blocks are freed, so later large blocks come from the heap and
/// stay resident after free: measured, RSS stayed 0.9 GB over a 0.28 GB steady state 30 s after a burst of 1024 px
/// requests. A small fixed mmap threshold returns that memory but maps and faults in every large buffer of every ONNX
/// Runtime call afresh, which made a served AdvCAM 7x slower (88 s against 13 s, perf/serve-memory.sh). So requests run
/// on glibc's own thresholds (with two arenas), and <see cref="IdleMemoryRelease"/> hands the freed heap back once the
/// server has gone idle.
/// The environment (MALLOC_*_) overrides nothing here: a set variable turns off the setting it names.
/// </summary>
internal static class GlibcAllocator
{
    private const int ArenaMax = -8;        // M_ARENA_MAX

    /// <summary>Two malloc arenas on Linux with glibc unless MALLOC_ARENA_MAX is set; elsewhere nothing.</summary>
    public static void LimitArenas()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return;
        try
        {
            _ = Mallopt(ArenaMax, 2);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl and other C libraries have no mallopt: their allocator is not glibc's.
        }
    }

    /// <summary>Gives whole free pages of every malloc arena back to the kernel (malloc_trim(0)); false off glibc.</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for two int calls
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054
}
