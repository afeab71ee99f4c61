using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Tests.Hosting;

public sealed class NativeHeapTrimmerTests
{
    [Fact]
    public void Trimming_gives_native_memory_freed_below_a_live_block_back_to_the_system()
    {
        // 48 MB in 4 KB blocks, all freed but the last: free() keeps such space resident, since it is not at the top.
        var blocks = new nint[12_288];
        var page = new byte[4096];
        Array.Fill(page, (byte)1);
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(page.Length);
            Marshal.Copy(page, 0, blocks[i], page.Length);
        }
        for (var i = 0; i < blocks.Length - 1; i++)
        {
            Marshal.FreeHGlobal(blocks[i]);
        }

        var before = ResidentKilobytes();
        Assert.True(NativeHeapTrimmer.TryTrim());
        var after = ResidentKilobytes();
        Marshal.FreeHGlobal(blocks[^1]);

        Assert.True(before - after >= 32 * 1024, $"RSS went from {before} KB to {after} KB");
    }

    [Fact]
    public async Task The_service_trims_on_every_interval()
    {
        var log = new TrimLog();
        using var trimmer = new NativeHeapTrimmer(
            Options.Create(new NativeHeapTrimOptions { Interval = TimeSpan.FromMilliseconds(20) }), TimeProvider.System, log);

        await trimmer.StartAsync(CancellationToken.None);
        var waited = Stopwatch.StartNew();
        while (log.Trims < 3 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, CancellationToken.None);
        }
        await trimmer.StopAsync(CancellationToken.None);

        Assert.True(log.Trims >= 3, $"{log.Trims} trims in 10 s at a 20 ms interval");
    }

    [Fact]
    public async Task A_zero_interval_turns_trimming_off()
    {
        var log = new TrimLog();
        using var trimmer = new NativeHeapTrimmer(
            Options.Create(new NativeHeapTrimOptions { Interval = TimeSpan.Zero }), TimeProvider.System, log);

        await trimmer.StartAsync(CancellationToken.None);

        await trimmer.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, log.Trims);
    }

    private static long ResidentKilobytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class TrimLog : ILogger<NativeHeapTrimmer>
    {
        private readonly ConcurrentQueue<string> messages = new();

        public int Trims => messages.Count(m => m.StartsWith("Native heap trimmed", StringComparison.Ordinal));

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception));
    }
}
