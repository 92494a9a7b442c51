namespace BayesianRouter.RewardModels;

/// <summary>Ways to make an <see cref="IRewardModel"/> from your own code.</summary>
public static class RewardModel
{
    /// <summary>
    /// An RM from a scoring function (prompt, response) -&gt; score, higher is better: a scalar RM you run in-process.
    /// Both responses of a pair are scored; equal scores are a tie, a non-finite score fails the pair, an exception
    /// fails the call (the router then falls back to its next choice).
    /// </summary>
    /// <param name="name">The RM's name in the router's pool.</param>
    /// <param name="score">The scoring function (called from one thread at a time per call).</param>
    public static IRewardModel Scoring(string name, Func<string, string, double> score)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(score);
        return new ScoringRewardModel(new FunctionScorer(name, score));
    }

    private sealed class FunctionScorer(string name, Func<string, string, double> score) : IRewardScorer
    {
        public string Name => name;

        public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<ResponseText> items, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult<IReadOnlyList<double>>(items.Select(i => score(i.Prompt, i.Response)).ToArray());
        }
    }
}
