using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.Data.Splits;
using BayesianRouter.Evaluation;
using BayesianRouter.Features;

namespace BayesianRouter.Offline;

/// <summary>The outcome of one seeded split + train + evaluate run.</summary>
public sealed record OfflineExperimentResult(
    OfflineRouter Router, OfflineRouter? RouterWithoutCls, PairSplit Split, RoutingReport Report);

/// <summary>
/// One offline-router experiment as in the paper's Table 2: split the pairs by group (seeded), train on one side,
/// report routing accuracy on the held-out side. Reused by <c>bayesrouter offline</c> and by the simulation,
/// which trains one router per seed.
/// </summary>
public static class OfflineExperiment
{
    /// <summary>Name of the trained router's row in the report.</summary>
    public const string RouterName = "router";

    /// <summary>Name of the "w/o CLS" ablation's row (the same run with lambda = 0).</summary>
    public const string RouterWithoutClsName = "router_no_cls";

    /// <summary>Splits a seeded <paramref name="testFraction"/> of the groups off, trains with options.Seed = seed, evaluates.</summary>
    public static OfflineExperimentResult Run(
        IOfflineRouterTrainer trainer, IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool, OfflineTrainingOptions options, double testFraction, int seed,
        bool ablationWithoutCls = false, IProgress<string>? progress = null)
    {
        var split = GroupSplit.ByFraction(pairs, testFraction, seed);
        return Run(trainer, pairs, embeddings, pool, options with { Seed = seed }, split, ablationWithoutCls, progress);
    }

    /// <summary>Trains on <paramref name="split"/>'s training side and evaluates on its held-out side.</summary>
    public static OfflineExperimentResult Run(
        IOfflineRouterTrainer trainer, IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool, OfflineTrainingOptions options, PairSplit split,
        bool ablationWithoutCls, IProgress<string>? progress)
    {
        if (embeddings.Count != pairs.Count) throw new ArgumentException($"{embeddings.Count} embeddings for {pairs.Count} pairs");
        if (split.Train.Count == 0) throw new ArgumentException("the split leaves no pair to train on");
        if (split.Test.Count == 0) throw new ArgumentException("the split leaves no held-out pair to evaluate on");
        var trainPairs = split.TrainOf(pairs);
        var trainEmb = split.TrainOf(embeddings);
        var router = trainer.Train(trainPairs, trainEmb, pool, options, progress).WithMetadata(SplitMetadata(split));
        OfflineRouter? noCls = ablationWithoutCls
            ? trainer.Train(trainPairs, trainEmb, pool, options with { Lambda = 0 }, progress).WithMetadata(SplitMetadata(split))
            : null;
        var report = Evaluate(router, noCls, split.TestOf(pairs), split.TestOf(embeddings));
        return new OfflineExperimentResult(router, noCls, split, report);
    }

    /// <summary>Routing accuracy of a router (and optionally its w/o-CLS twin) on labelled pairs.</summary>
    public static RoutingReport Evaluate(
        OfflineRouter router, OfflineRouter? withoutCls, IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings)
    {
        var routers = new List<(string, IReadOnlyList<int>)> { (RouterName, router.Route(embeddings, pairs)) };
        if (withoutCls != null)
        {
            if (!withoutCls.Pool.SequenceEqual(router.Pool)) throw new ArgumentException("the two routers have different pools");
            routers.Add((RouterWithoutClsName, withoutCls.Route(embeddings, pairs)));
        }
        return RoutingAccuracy.Evaluate(pairs, router.Pool, routers);
    }

    private static Dictionary<string, string> SplitMetadata(PairSplit split) => new(StringComparer.Ordinal)
    {
        ["split.train_pairs"] = split.Train.Count.ToString(CultureInfo.InvariantCulture),
        ["split.test_pairs"] = split.Test.Count.ToString(CultureInfo.InvariantCulture),
        ["split.test_groups"] = split.TestGroups.Count.ToString(CultureInfo.InvariantCulture),
    };
}
