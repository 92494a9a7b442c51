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
        OfflineRouter? bestRouter = null;
        int best = -1;
        for (int i = 0; i < candidates.Count; i++)
        {
            var router = trainer.Train(trainP, trainE, pool, candidates[i], progress);
            var choice = router.Route(valE, valP);
            double acc = Enumerable.Range(0, valP.Count).Average(j => valP[j].IsRight(pool[choice[j]]) ? 1.0 : 0.0);
            scores.Add(acc);
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"candidate {i + 1}/{candidates.Count}: validation accuracy {acc:F4}"));
            if (best < 0 || acc > scores[best] + 1e-12)
            {
                best = i;
                bestRouter = router;
            }
        }
        var chosen = candidates[best];
        var calibration = OnlineCalibration.Fit(bestRouter!, valP, valE, chosen.UseDomain);
        var final = trainer.Train(pairs, embeddings, pool, chosen, progress);
        var inv = CultureInfo.InvariantCulture;
        var meta = new Dictionary<string, string>(calibration.ToMetadata().ToDictionary(), StringComparer.Ordinal)
        {
            ["nested.validation_pairs"] = valP.Count.ToString(inv),
            ["nested.validation_split"] = validationSplit.ToString(),
            ["nested.candidates"] = candidates.Count.ToString(inv),
            ["nested.chosen_embedding_scale"] = chosen.EmbeddingScale.ToString("R", inv),
            ["nested.chosen_epochs"] = chosen.Epochs.ToString(inv),
            ["nested.validation_accuracy"] = scores[best].ToString("R", inv),
        };
        return new NestedSelectionResult(final.WithMetadata(meta), chosen, calibration, scores, valP.Count)
        {
            NestedRouter = bestRouter!, Validation = valP, ValidationEmbeddings = valE,
        };
    }
}

/// <summary>The retrained router (with the calibration in its metadata), the chosen options and each candidate's validation accuracy.</summary>
public sealed record NestedSelectionResult(
    OfflineRouter Router, OfflineTrainingOptions Chosen, OnlineCalibration Calibration, IReadOnlyList<double> ValidationAccuracy, int ValidationPairs)
{
    /// <summary>The chosen candidate as trained without the validation part (what the validation part may score).</summary>
    public OfflineRouter? NestedRouter { get; init; }

    /// <summary>The validation part (empty when the offline side was too small to carve one).</summary>
    public IReadOnlyList<PreferencePair> Validation { get; init; } = [];
    public IReadOnlyList<PairEmbedding> ValidationEmbeddings { get; init; } = [];
}
