using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.Data.Splits;
using BayesianRouter.Features;

namespace BayesianRouter.Offline;

/// <summary>
/// Nested hyper-parameter choice on the offline side only: a validation part is carved out of the offline pairs (by
/// group, or by domain when the stream is out of domain, so validation mirrors what the stream asks), each candidate
/// option set trains on the rest and is scored by routing accuracy on the validation part, the online calibration and
/// level variances (<see cref="OnlineCalibration"/>) are fitted on that part with the chosen candidate, and the chosen
/// candidate is retrained on every offline pair. Nothing the reported figures score is ever seen.
/// <para>
/// Do no harm (issue 17): the artifact routes by an incumbent chosen on the validation part. The fallback is the best
/// single RM of the whole offline side (what a shrunk router deploys, <see cref="OfflineRouter.ShrinkToSingle"/>); two
/// candidates may replace it: the chosen neural router and the per-domain table of the part the candidates trained on
/// (<see cref="DomainTable"/>, encoded by <see cref="OfflineRouter.WithDomainTable"/>). A candidate is credible where
/// the one-sided 95% lower bound of its advantage over the fallback (<see cref="Advantage"/>; for the router after the
/// optimism of choosing the best of several option sets) is above zero; <see cref="ChooseIncumbent"/> takes the
/// credible one, or the better of two. Small or shifted training data then costs nothing against the RM a user would
/// deploy without a router. The calibration is fitted for the incumbent that is kept.
/// </para>
/// </summary>
public static class NestedSelection
{
    /// <summary>The grid of <paramref name="baseOptions"/> crossed with each listed embedding scale and epoch count.</summary>
    public static IReadOnlyList<OfflineTrainingOptions> Grid(OfflineTrainingOptions baseOptions, IReadOnlyList<double> embeddingScales, IReadOnlyList<int> epochs)
    {
        var grid = new List<OfflineTrainingOptions>();
        foreach (var s in embeddingScales.DefaultIfEmpty(baseOptions.EmbeddingScale))
            foreach (var e in epochs.DefaultIfEmpty(baseOptions.Epochs))
                grid.Add(baseOptions with { EmbeddingScale = s, Epochs = e });
        return grid;
    }

    public static NestedSelectionResult Run(
        IOfflineRouterTrainer trainer, IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool, IReadOnlyList<OfflineTrainingOptions> candidates, SplitKind validationSplit,
        double validationFraction, int seed, IProgress<string>? progress = null)
    {
        if (candidates.Count == 0) throw new ArgumentException("no candidate training options");
        if (!(validationFraction > 0 && validationFraction < 1)) throw new ArgumentException($"validation share {validationFraction} must lie in (0, 1)");
        int splitSeed = unchecked(seed * 7919 + 17);
        var split = validationSplit == SplitKind.Domain
            ? GroupSplit.ByDomain(pairs, validationFraction, splitSeed)
            : GroupSplit.ByFraction(pairs, validationFraction, splitSeed);
        if (split.Train.Count == 0 || split.Test.Count == 0)
        {
            // too little to validate on: the first candidate, default calibration
            var only = trainer.Train(pairs, embeddings, pool, candidates[0], progress);
            return new NestedSelectionResult(only, candidates[0], OnlineCalibration.Default, [], 0) { NestedRouter = only };
        }
        var (trainP, trainE) = (split.TrainOf(pairs), split.TrainOf(embeddings));
        var (valP, valE) = (split.TestOf(pairs), split.TestOf(embeddings));
        var scores = new List<double>();
        var right = new List<bool[]>();
        OfflineRouter? bestRouter = null;
        int best = -1;
        for (int i = 0; i < candidates.Count; i++)
        {
            var router = trainer.Train(trainP, trainE, pool, candidates[i], progress);
            var choice = router.Route(valE, valP);
            right.Add(Enumerable.Range(0, valP.Count).Select(j => valP[j].IsRight(pool[choice[j]])).ToArray());
            double acc = right[^1].Average(r => r ? 1.0 : 0.0);
            scores.Add(acc);
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"candidate {i + 1}/{candidates.Count}: validation accuracy {acc:F4}"));
            if (best < 0 || acc > scores[best] + 1e-12)
            {
                best = i;
                bestRouter = router;
            }
        }
        var chosen = candidates[best];
        // the RM a shrunk router deploys (the best single RM of the whole offline side), scored on the validation part:
        // the fallback. A candidate incumbent must be credibly better than it (the RM's choice saw the validation part,
        // which can only favour the RM: a conservative comparison)
        var offlineAccuracy = ArmAccuracies.Of(pairs, pool);
        int single = offlineAccuracy.Best;
        var singleRight = valP.Select(p => p.IsRight(pool[single])).ToArray();
        double singleAccuracy = singleRight.Average(r => r ? 1.0 : 0.0);
        // the chosen candidate's validation accuracy is the best of several: corrected by its expected optimism; a
        // candidate is credible where its advantage over the fallback is (one-sided 95%, clusters = the units the
        // stream differs by: groups, or domains with the domain split)
        double optimism = SelectionOptimism(right, valP.Select(p => p.Group).ToArray(), seed);
        var clusters = valP.Select(p => validationSplit == SplitKind.Domain ? p.Domain ?? "" : p.Group).ToArray();
        var advantage = Advantage(right[best], singleRight, clusters, optimism);
        // the per-domain table of the part the candidates trained on (no parameter chosen on the validation part: no
        // optimism), scored through the artifact that encodes it
        OfflineRouter? tableRouter = null;
        (double Mean, double Lower, int Clusters) tableAdvantage = (double.NaN, double.NegativeInfinity, 0);
        double tableAccuracy = double.NaN;
        if (chosen.ShrinkToBestSingle && bestRouter!.Domains.Count > 0)
        {
            tableRouter = bestRouter.WithDomainTable(DomainTable.Of(ArmAccuracies.Of(trainP, pool), bestRouter.Domains));
            var tableChoice = tableRouter.Route(valE, valP);
            var tableRight = Enumerable.Range(0, valP.Count).Select(j => valP[j].IsRight(pool[tableChoice[j]])).ToArray();
            tableAccuracy = tableRight.Average(r => r ? 1.0 : 0.0);
            tableAdvantage = Advantage(tableRight, singleRight, clusters);
        }
        var incumbent = chosen.ShrinkToBestSingle
            ? ChooseIncumbent(scores[best] - optimism, advantage.Lower, tableRouter == null ? null : (tableAccuracy, tableAdvantage.Lower))
            : OfflineIncumbent.Router;
        var inv0 = CultureInfo.InvariantCulture;
        switch (incumbent)
        {
            case OfflineIncumbent.DomainTable:
                bestRouter = tableRouter!;
                progress?.Report(string.Create(inv0,
                    $"the per-domain table ({tableAccuracy:F4}) is credibly better than {pool[single]} ({singleAccuracy:F4}) on the validation part (one-sided 95% lower bound {tableAdvantage.Lower:+0.0000;-0.0000} over {tableAdvantage.Clusters} clusters; the router's {advantage.Lower:+0.0000;-0.0000}): the incumbent is the table"));
                break;
            case OfflineIncumbent.BestSingle:
                bestRouter = bestRouter!.ShrinkToSingle(offlineAccuracy);
                progress?.Report(string.Create(inv0,
                    $"neither the router ({scores[best]:F4}) nor the per-domain table ({tableAccuracy:F4}) is credibly better than {pool[single]} ({singleAccuracy:F4}) on the validation part (router: advantage {advantage.Mean:+0.0000;-0.0000} less {optimism:F4} of optimism, one-sided 95% lower bound {advantage.Lower:+0.0000;-0.0000}; table: lower bound {tableAdvantage.Lower:+0.0000;-0.0000}; {advantage.Clusters} clusters): shrunk to the best single RM"));
                break;
        }
        var calibration = OnlineCalibration.Fit(bestRouter!, valP, valE, chosen.UseDomain);
        var final = trainer.Train(pairs, embeddings, pool, chosen, progress);
        final = incumbent switch
        {
            OfflineIncumbent.DomainTable => final.WithDomainTable(DomainTable.Of(offlineAccuracy, final.Domains)),
            OfflineIncumbent.BestSingle => final.ShrinkToSingle(offlineAccuracy),
            _ => final,
        };
        var inv = CultureInfo.InvariantCulture;
        var meta = new Dictionary<string, string>(calibration.ToMetadata().ToDictionary(), StringComparer.Ordinal)
        {
            ["nested.single_rm"] = pool[single],
            ["nested.selection_optimism"] = optimism.ToString("R", inv),
            ["nested.router_advantage"] = advantage.Mean.ToString("R", inv),
            ["nested.router_advantage_lower95"] = advantage.Lower.ToString("R", inv),
            ["nested.router_advantage_clusters"] = advantage.Clusters.ToString(inv),
            ["nested.single_validation_accuracy"] = singleAccuracy.ToString("R", inv),
            ["nested.validation_pairs"] = valP.Count.ToString(inv),
            ["nested.validation_split"] = validationSplit.ToString(),
            ["nested.candidates"] = candidates.Count.ToString(inv),
            ["nested.chosen_embedding_scale"] = chosen.EmbeddingScale.ToString("R", inv),
            ["nested.chosen_epochs"] = chosen.Epochs.ToString(inv),
            ["nested.validation_accuracy"] = scores[best].ToString("R", inv),
            ["nested.incumbent"] = IncumbentName(incumbent),
        };
        if (tableRouter != null)
        {
            meta["nested.table_validation_accuracy"] = tableAccuracy.ToString("R", inv);
            meta["nested.table_advantage"] = tableAdvantage.Mean.ToString("R", inv);
            meta["nested.table_advantage_lower95"] = tableAdvantage.Lower.ToString("R", inv);
        }
        return new NestedSelectionResult(final.WithMetadata(meta), chosen, calibration, scores, valP.Count)
        {
            NestedRouter = bestRouter!, Validation = valP, ValidationEmbeddings = valE, Incumbent = incumbent,
        };
    }

    /// <summary>
    /// The do-no-harm choice of the offline incumbent, fixed before any reported stream was run: a candidate replaces
    /// the fallback (the best single RM of the offline side) only where its one-sided 95% lower bound of the advantage
    /// over it on the validation part is above zero; between two credible candidates the one with the higher corrected
    /// validation accuracy (the router's less its selection optimism; the table has none), the table on an exact tie
    /// (it has fewer parameters). <paramref name="table"/> null: no table (the router reads no domain).
    /// </summary>
    public static OfflineIncumbent ChooseIncumbent(double routerCorrectedAccuracy, double routerLower, (double Accuracy, double Lower)? table)
    {
        bool router = routerLower > 0, byTable = table is { } t && t.Lower > 0;
        if (router && byTable) return routerCorrectedAccuracy > table!.Value.Accuracy ? OfflineIncumbent.Router : OfflineIncumbent.DomainTable;
        return router ? OfflineIncumbent.Router : byTable ? OfflineIncumbent.DomainTable : OfflineIncumbent.BestSingle;
    }

    /// <summary>The name an incumbent has in the artifact's metadata (<c>nested.incumbent</c>) and in reports.</summary>
    public static string IncumbentName(OfflineIncumbent incumbent) => incumbent switch
    {
        OfflineIncumbent.DomainTable => "domain-table",
        OfflineIncumbent.BestSingle => "best-single",
        _ => "router",
    };

    /// <summary>
    /// The router's advantage over the best single RM on the validation part, and whether it is credible: the mean of the
    /// paired differences d_j = [router right on pair j] - [RM right on pair j], less the selection optimism, and its
    /// one-sided 95% lower bound mean - optimism - t_0.95(C - 1) se, where se is the cluster-robust standard error over
    /// the C clusters (pairs of a cluster are not independent: a prompt's pairs share its difficulty, a domain's its RMs'
    /// strengths): se^2 = C / (C - 1) sum_k (T_k - n_k mean)^2 / N^2, T_k and n_k the cluster's sum of d and its size. With
    /// fewer than two clusters there is no standard error and no credible advantage (the lower bound is -infinity).
    /// </summary>
    public static (double Mean, double Lower, int Clusters) Advantage(IReadOnlyList<bool> router, IReadOnlyList<bool> single,
        IReadOnlyList<string> clusters, double optimism = 0)
    {
        if (router.Count != single.Count || router.Count != clusters.Count) throw new ArgumentException("one router, single-RM and cluster entry per pair");
        int n = router.Count;
        if (n == 0) return (double.NaN, double.NegativeInfinity, 0);
        var d = Enumerable.Range(0, n).Select(j => (router[j] ? 1.0 : 0.0) - (single[j] ? 1.0 : 0.0)).ToArray();
        double mean = d.Average();
        var byCluster = Enumerable.Range(0, n).GroupBy(j => clusters[j], StringComparer.Ordinal).Select(g => (T: g.Sum(j => d[j]), N: g.Count())).ToArray();
        int c = byCluster.Length;
        if (c < 2) return (mean, double.NegativeInfinity, c);
        double ss = byCluster.Sum(k => (k.T - k.N * mean) * (k.T - k.N * mean));
        double se = Math.Sqrt(c / (c - 1.0) * ss) / n;
        return (mean, mean - optimism - StudentT95(c - 1) * se, c);
    }

    /// <summary>The one-sided 95% quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then the Cornish-Fisher expansion to 1/df^2).</summary>
    public static double StudentT95(int df)
    {
        ReadOnlySpan<double> table =
        [
            6.3138, 2.9200, 2.3534, 2.1318, 2.0150, 1.9432, 1.8946, 1.8595, 1.8331, 1.8125,
            1.7959, 1.7823, 1.7709, 1.7613, 1.7531, 1.7459, 1.7396, 1.7341, 1.7291, 1.7247,
            1.7207, 1.7171, 1.7139, 1.7109, 1.7081, 1.7056, 1.7033, 1.7011, 1.6991, 1.6973,
        ];
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df));
        const double z = 1.6448536269514722;
        return df <= table.Length ? table[df - 1]
            : z + (z * z * z + z) / (4.0 * df) + (5 * Math.Pow(z, 5) + 16 * z * z * z + 3 * z) / (96.0 * df * df);
    }

    /// <summary>Bootstrap resamples of the validation groups behind <see cref="SelectionOptimism"/>.</summary>
    public const int OptimismResamples = 500;

    /// <summary>
    /// How much the best validation accuracy among the candidates overstates the chosen candidate's accuracy (the
    /// winner's curse of choosing on the same pairs), by the bootstrap (in the spirit of Tibshirani and Tibshirani 2009,
    /// "A bias correction for the minimum error rate in cross-validation"): resample the validation part by group (pairs
    /// of a prompt together), and average the best candidate's accuracy on the resample minus the accuracy there of the
    /// candidate chosen on the whole part. 0 with one candidate or identical ones, about 0 when one candidate is far
    /// ahead. <paramref name="right"/>[c][j]: candidate c right on validation pair j.
    /// </summary>
    public static double SelectionOptimism(IReadOnlyList<bool[]> right, IReadOnlyList<string> groups, int seed)
    {
        if (right.Count < 2 || groups.Count == 0) return 0;
        var byGroup = groups.Select((g, j) => (g, j)).GroupBy(x => x.g, StringComparer.Ordinal).Select(x => x.Select(y => y.j).ToArray()).ToArray();
        var full = right.Select(r => r.Count(b => b)).ToArray();
        int chosen = 0;
        for (int c = 1; c < full.Length; c++) if (full[c] > full[chosen]) chosen = c;
        var random = new State.SeededRandom(unchecked(seed * 31L + 7));
        double sum = 0;
        var hits = new double[right.Count];
        for (int b = 0; b < OptimismResamples; b++)
        {
            Array.Clear(hits);
            int n = 0;
            for (int k = 0; k < byGroup.Length; k++)
            {
                var members = byGroup[random.NextInt(byGroup.Length)];
                n += members.Length;
                for (int c = 0; c < right.Count; c++)
                    foreach (var j in members) if (right[c][j]) hits[c]++;
            }
            sum += (hits.Max() - hits[chosen]) / n;
        }
        return Math.Max(0, sum / OptimismResamples);
    }
}

/// <summary>The retrained router (with the calibration in its metadata), the chosen options and each candidate's validation accuracy.</summary>
public sealed record NestedSelectionResult(
    OfflineRouter Router, OfflineTrainingOptions Chosen, OnlineCalibration Calibration, IReadOnlyList<double> ValidationAccuracy, int ValidationPairs)
{
    /// <summary>True when the router was shrunk to the best single RM (its validation part found it no better).</summary>
    public bool Shrunk => Router.ShrunkTo != null;

    /// <summary>What the artifact routes by: the neural router, the per-domain table or the best single RM.</summary>
    public OfflineIncumbent Incumbent { get; init; } = OfflineIncumbent.Router;

    /// <summary>The chosen candidate as trained without the validation part (what the validation part may score), shrunk as the router is.</summary>
    public OfflineRouter? NestedRouter { get; init; }

    /// <summary>The validation part (empty when the offline side was too small to carve one).</summary>
    public IReadOnlyList<PreferencePair> Validation { get; init; } = [];
    public IReadOnlyList<PairEmbedding> ValidationEmbeddings { get; init; } = [];
}

/// <summary>What an offline artifact routes by after the do-no-harm choice (<see cref="NestedSelection"/>).</summary>
public enum OfflineIncumbent
{
    /// <summary>The neural offline router (its validation part credibly favours it, or <c>--no-shrink</c>).</summary>
    Router,

    /// <summary>The per-domain table (<see cref="DomainTable"/>, <see cref="OfflineRouter.WithDomainTable"/>).</summary>
    DomainTable,

    /// <summary>The best single RM of the offline side (<see cref="OfflineRouter.ShrinkToSingle"/>): the fallback.</summary>
    BestSingle,
}
