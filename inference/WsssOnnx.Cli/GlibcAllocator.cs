using System.Runtime.InteropServices;

namespace WsssOnnx.Cli;

/// <summary>
/// glibc malloc settings for a long-running server. ONNX Runtime's buffers come from malloc; by default glibc raises its
/// mmap threshold dynamically (up to 32 MiB) after large blocks are freed, so later large blocks come from the heap
/// and stay resident after free: measured, RSS stayed 0.9 GB over a 0.28 GB steady state 30 s after a burst of 1024 px
/// requests. A fixed 128 KiB mmap threshold (which also turns the dynamic one off), a 128 KiB trim threshold and two
/// arenas return it: 0.22 GB against 0.18 GB (README "Memory"). The environment (MALLOC_*_) overrides nothing here:
/// these calls only run when the variables are not set.
/// </summary>
internal static class GlibcAllocator
{
    private const int TrimThreshold = -1;   // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3;   // M_MMAP_THRESHOLD
    private const int ArenaMax = -8;        // M_ARENA_MAX

    /// <summary>Applies the settings on Linux with glibc; elsewhere, or where the user set MALLOC_* variables, does nothing.</summary>
    public static void ReturnFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null) _ = Mallopt(MmapThreshold, 128 * 1024);
            if (Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is null) _ = Mallopt(TrimThreshold, 128 * 1024);
            if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null) _ = Mallopt(ArenaMax, 2);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl and other C libraries have no mallopt: their allocator is not glibc's.
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for one int call
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
#pragma warning restore SYSLIB1054
}
