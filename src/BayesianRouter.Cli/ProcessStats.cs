using System.Globalization;

namespace BayesianRouter.Cli;

/// <summary>This process's resident memory and the machine's load (Linux /proc), for the figures benchmarks and runs report.</summary>
internal static class ProcessStats
{
    public static double RssMegabytes() => Read("VmRSS:");

    public static double PeakRssMegabytes() => Read("VmHWM:");

    private static double Read(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return double.NaN;
    }

    /// <summary>The 1-minute load average, or "unknown".</summary>
    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }
}
