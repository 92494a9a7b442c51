namespace BayesianRouter.Evaluation;

/// <summary>Mean and sample standard deviation of one method's accuracy over seeds.</summary>
public readonly record struct SeedStat(double Mean, double Std, int Seeds)
{
    public static SeedStat Of(IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n == 0) return new SeedStat(double.NaN, double.NaN, 0);
        double mean = values.Average();
        double std = n < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        return new SeedStat(mean, std, n);
    }
}

/// <summary>
/// Routing accuracy over several seeded runs (one <see cref="RoutingReport"/> per seed, same pool and routers):
/// per method, the mean and spread of its accuracy on all held-out pairs. "best single" is the best single RM of
/// each seed's held-out side, chosen with hindsight.
/// </summary>
public sealed record RoutingSummary(IReadOnlyList<string> Methods, IReadOnlyDictionary<string, SeedStat> Filtered,
    IReadOnlyDictionary<string, SeedStat> Unfiltered, int Seeds)
{
    public const string BestSingle = "best single";
    public const string Majority = "majority";
    public const string Random = "random";
    public const string Oracle = "oracle";

    public static RoutingSummary Of(IReadOnlyList<RoutingReport> reports)
    {
        if (reports.Count == 0) throw new ArgumentException("no reports to summarise");
        var pool = reports[0].Pool;
        if (reports.Any(r => !r.Pool.SequenceEqual(pool))) throw new ArgumentException("the reports have different pools");
        var routers = reports[0].Filtered.All.Routers.Keys.ToArray();
        var methods = routers.Concat(pool).Append(BestSingle).Append(Majority).Append(Random).Append(Oracle).ToArray();
        return new RoutingSummary(methods, Stats(reports.Select(r => r.Filtered.All).ToArray(), methods),
            Stats(reports.Select(r => r.Unfiltered.All).ToArray(), methods), reports.Count);
    }

    /// <summary>One method's accuracy in one table.</summary>
    public static double Value(RoutingScores s, string method) => method switch
    {
        BestSingle => s.BestSingle.Accuracy,
        Majority => s.Majority,
        Random => s.Random,
        Oracle => s.Oracle,
        _ when s.Routers.TryGetValue(method, out var a) => a,
        _ when s.Single.TryGetValue(method, out var a) => a,
        _ => throw new ArgumentException($"no method \"{method}\" in the report"),
    };

    private static Dictionary<string, SeedStat> Stats(RoutingScores[] tables, string[] methods) =>
        methods.ToDictionary(m => m, m => SeedStat.Of(tables.Select(t => Value(t, m)).ToArray()), StringComparer.Ordinal);
}
