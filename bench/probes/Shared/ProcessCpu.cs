/// <summary>CPU time another process has used (utime + stime from /proc/PID/stat), for the edge's cost per probe.</summary>
internal static class ProcessCpu
{
    /// <summary>Zero when no process id was given.</summary>
    public static TimeSpan Of(int? pid)
    {
        if (pid is not { } id)
        {
            return TimeSpan.Zero;
        }
        var stat = File.ReadAllText($"/proc/{id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // In clock ticks: 100 per second on Linux.
        return TimeSpan.FromSeconds((long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0);
    }
}
