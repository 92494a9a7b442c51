using BayesianRouter.Data;

namespace BayesianRouter.RewardModels;

/// <summary>
/// A scalar RM as a pairwise <see cref="IRewardModel"/>: both responses of every pair are scored in one call
/// (2 x pairs items: a0, b0, a1, b1, ...); the judgment is the two scores (equal scores are a tie). A pair with a
/// non-finite score, or a reply of the wrong length, is a failed judgment (reasons <see cref="RmFailure.NonFinite"/>,
/// <see cref="RmFailure.Malformed"/>), never a label.
/// </summary>
public sealed class ScoringRewardModel(IRewardScorer scorer) : IRewardModel
{
    public IRewardScorer Scorer { get; } = scorer ?? throw new ArgumentNullException(nameof(scorer));

    public string Name => Scorer.Name;

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return [];
        var items = new ResponseText[2 * pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            items[2 * i] = new ResponseText(pairs[i].Prompt, pairs[i].ResponseA);
            items[2 * i + 1] = new ResponseText(pairs[i].Prompt, pairs[i].ResponseB);
        }
        var scores = await Scorer.ScoreAsync(items, cancellationToken).ConfigureAwait(false);
        var results = new RmJudgment[pairs.Count];
        if (scores is null || scores.Count != items.Length)
        {
            var failed = RmFailure.Judgment(RmFailure.Malformed, $"{Name} returned {scores?.Count ?? 0} scores for {items.Length} responses");
            Array.Fill(results, failed);
            return results;
        }
        for (int i = 0; i < pairs.Count; i++)
        {
            double a = scores[2 * i], b = scores[2 * i + 1];
            results[i] = double.IsFinite(a) && double.IsFinite(b)
                ? RmJudgment.Of(Judgment.FromScores(a, b))
                : RmFailure.Judgment(RmFailure.NonFinite, $"{Name} returned a non-finite score ({a}, {b})");
        }
        return results;
    }
}
