using System.Globalization;

namespace BayesianRouter.Cli;

/// <summary>Parsing of option values shared by several commands (lists and name=value maps).</summary>
public static class CliParsing
{
    /// <summary>A comma-separated list of names, e.g. <c>--pool a,b,c</c>; empty entries are an error.</summary>
    public static IReadOnlyList<string> List(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Length == 0 || items.Any(string.IsNullOrEmpty))
            throw new CliUsageException($"{option} {text}: expected a comma-separated list of names, e.g. {option} a,b,c");
        return items;
    }

    /// <summary><c>a=1,b=4</c> into a map of finite numbers &gt;= 0; null or empty gives an empty map.</summary>
    public static IReadOnlyDictionary<string, double> Costs(string? text)
    {
        var costs = new Dictionary<string, double>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text)) return costs;
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var kv = item.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || kv[0].Length == 0 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var c)
                || !double.IsFinite(c) || c < 0)
                throw new CliUsageException($"--costs: \"{item}\" is not NAME=COST with a number >= 0, e.g. --costs ArmoRM=1,internlm2_20b=4");
            if (!costs.TryAdd(kv[0], c)) throw new CliUsageException($"--costs names {kv[0]} twice");
        }
        return costs;
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order (unlike <see cref="Progress{T}"/>).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly object _gate = new();

    public void Report(T value)
    {
        lock (_gate) report(value);
    }
}
