using BayesianRouter.Offline;

namespace BayesianRouter.Simulation;

/// <summary>Turns per-seed outcomes into per-method figures (mean and spread over seeds, shares, stream, domains).</summary>
public static class SimulationAggregator
{
    public const string NoDomain = "(none)";

    public static SimulationResult Aggregate(IReadOnlyList<SeedRun> runs, SimulationOptions options, bool separateOffline,
        int withoutTruth, IReadOnlyDictionary<string, string> info)
    {
        var names = runs[0].Outcomes.Keys.ToList();
        var methods = new List<MethodResult>();
        var budgeted = new Dictionary<string, MethodResult>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var kind = runs[0].Kinds[name];
            var perSeed = runs.Select(r => Mean(r.Outcomes[name], o => o.Correct ? 1 : 0)).ToArray();
            var costPerSeed = runs.Select(r => Mean(r.Outcomes[name], o => o.Cost)).ToArray();
            var all = runs.SelectMany(r => r.Outcomes[name]).ToArray();
            double weightSum = all.Sum(o => o.Weight);
            double weighted = weightSum > 0 ? all.Sum(o => o.Correct ? o.Weight : 0) / weightSum : double.NaN;
            bool routed = kind != MethodKind.Ensemble;

            var share = new Dictionary<string, double>(StringComparer.Ordinal);
            if (routed)
                for (int n = 0; n < options.Pool.Count; n++)
                    share[options.Pool[n]] = all.Count(o => o.Arm == n) / (double)all.Length;

            int windows = options.StreamWindows;
            var streamAcc = new double[windows];
            var streamShare = new List<IReadOnlyList<double>>();
            for (int w = 0; w < windows; w++)
            {
                var accs = new List<double>();
                var shares = new double[options.Pool.Count];
                int seedsWithWindow = 0;
                foreach (var r in runs)
                {
                    var o = r.Outcomes[name];
                    int lo = (int)((long)w * o.Length / windows), hi = (int)((long)(w + 1) * o.Length / windows);
                    if (hi <= lo) continue;
                    seedsWithWindow++;
                    accs.Add(Mean(o.AsSpan(lo, hi - lo).ToArray(), x => x.Correct ? 1 : 0));
                    if (routed)
                        for (int i = lo; i < hi; i++)
                            if (o[i].Arm >= 0) shares[o[i].Arm] += 1.0 / (hi - lo);
                }
                streamAcc[w] = accs.Count > 0 ? accs.Average() : double.NaN;
                if (routed) streamShare.Add(shares.Select(s => seedsWithWindow > 0 ? s / seedsWithWindow : double.NaN).ToArray());
            }

            var domains = new SortedDictionary<string, DomainAccuracy>(StringComparer.Ordinal);
            foreach (var g in runs.SelectMany(r => r.Stream.Select((p, i) => (Domain: p.Domain ?? NoDomain, r.Outcomes[name][i].Correct)))
                         .GroupBy(x => x.Domain))
            {
                var list = g.ToList();
                domains[g.Key] = new DomainAccuracy(list.Count(x => x.Correct) / (double)list.Count, list.Count / runs.Count);
            }

            var result = new MethodResult
            {
                Name = name,
                Kind = kind,
                AccuracyPerSeed = perSeed,
                Accuracy = Summary.Of(perSeed),
                WeightedAccuracy = weighted,
                RmCallsPerPair = all.Average(o => (double)o.Calls),
                CostPerPair = all.Average(o => o.Cost),
                CostPerSeed = costPerSeed,
                Share = share,
                StreamAccuracy = streamAcc,
                StreamShare = streamShare,
                Domains = domains,
            };
            if (runs[0].BudgetOf.ContainsKey(name)) budgeted[name] = result;
            else methods.Add(result);
        }

        methods = WithDifferences(methods);
        return new SimulationResult
        {
            Pool = options.Pool,
            Seeds = runs.Select(r => r.Seed).ToArray(),
            Feedback = options.Feedback.ToString()!,
            Split = separateOffline ? "offline-pairs" : options.Split == SplitKind.Domain ? "domain" : "random",
            BatchSize = options.BatchSize,
            Batches = Describe(options),
            EpochsOnline = options.EpochsOnline,
            BaselineFeatures = options.BaselineFeatures == BaselineFeatures.Shared ? "shared" : "projection",
            OnlineModel = options.ChooseOnlineModel ? "chosen per seed on the validation part"
                : (options.Online.Model == Routing.OnlineModel.Paper ? "paper" : options.Online.UsePrompt ? "hierarchical" : "hierarchical, no prompt level")
                  + (options.Online.IncumbentConfidence > 0
                      ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", anchored on the offline router's pick (confidence {options.Online.IncumbentConfidence:R})")
                      : ", plain Thompson sampling"),
            OfflineFraction = options.OfflineFraction,
            SeparateOfflinePairs = separateOffline,
            PairsOnlinePerSeed = runs.Select(r => r.Stream.Count).ToArray(),
            PairsOfflinePerSeed = runs.Select(r => r.OfflineCount).ToArray(),
            PairsWithoutTruth = withoutTruth,
            Methods = methods,
            Budgets = Budgets(options, methods, budgeted),
            OfflineRouterInfo = info,
        };
    }

    /// <summary>
    /// Every method's paired differences to the references the run has (<see cref="PairedDifference.References"/>): the
    /// best single RM in hindsight is the single RM with the highest mean accuracy over the seeds.
    /// </summary>
    public static List<MethodResult> WithDifferences(IReadOnlyList<MethodResult> methods)
    {
        var best = methods.Where(m => m.Kind == MethodKind.Single).MaxBy(m => m.Accuracy.Mean);
        var references = new List<(string Role, MethodResult Method)>();
        foreach (var role in PairedDifference.References)
        {
            var m = role == PairedDifference.BestSingle ? best : methods.FirstOrDefault(x => x.Name == role);
            if (m != null) references.Add((role, m));
        }
        return methods.Select(m => m with
        {
            Differences = references.Select(r => PairedDifference.Of(r.Role, r.Method.Name, m.AccuracyPerSeed, r.Method.AccuracyPerSeed)).ToArray(),
        }).ToList();
    }

    /// <summary>
    /// Per budget: the cost-aware router, the threshold router, the random mixture (by their short names) and every
    /// single RM whose cost fits the budget.
    /// </summary>
    private static IReadOnlyList<BudgetResult> Budgets(SimulationOptions options, IReadOnlyList<MethodResult> methods,
        IReadOnlyDictionary<string, MethodResult> budgeted)
    {
        var list = new List<BudgetResult>();
        foreach (var budget in options.Budgets)
        {
            var at = new List<MethodResult>();
            foreach (var method in new[] { SimulationMethods.CostAware, SimulationMethods.Threshold, SimulationMethods.RandomMix })
                if (budgeted.TryGetValue(SimulationMethods.BudgetName(budget, method), out var m)) at.Add(m with { Name = method });
            at.AddRange(methods.Where(m => m.Kind == MethodKind.Single && options.CostOf(m.Name["single:".Length..]) <= budget));
            list.Add(new BudgetResult(budget, at));
        }
        return list;
    }

    /// <summary>The batches in words: <c>prompts: 16 prompts x all pairs of each</c>, <c>shuffled: 64 pairs</c>, with the epochs when more than one.</summary>
    public static string Describe(SimulationOptions options) =>
        (options.Composition == BatchComposition.Prompts
            ? $"prompts: {options.PromptsPerBatch} prompts x {(options.PairsPerPrompt == SimulationOptions.AllPairs ? "all pairs of each" : $"{options.PairsPerPrompt} pairs")}"
            : $"shuffled: {options.BatchSize} pairs")
        + (options.EpochsOnline > 1 ? $", {options.EpochsOnline} epochs" : "");

    private static double Mean(PairOutcome[] o, Func<PairOutcome, double> f) => o.Length == 0 ? double.NaN : o.Average(f);
}
