using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// A router that decides by Thompson sampling over per-arm scores: for every pair it draws one score per arm from the
/// arm's posterior and picks the argmax (lowest index on ties). The paper's linear model
/// (<see cref="ThompsonSamplingRouter"/>, Eq. 4-6) and the hierarchical model (<see cref="HierarchicalThompsonRouter"/>)
/// are both such routers. Exposing the draws and their distribution lets callers build on the same decision rule:
/// a fallback order (the arms by their drawn scores), choice probabilities for off-policy evaluation (Monte-Carlo
/// from <see cref="ScoreMoments"/>, <see cref="ThompsonChoice"/>), and cost-aware choices (a price per arm
/// subtracted from the draws). The live session (<c>Live.RoutingSession</c>) routes through this interface only.
/// </summary>
public interface IThompsonRouter : IRouter
{
    /// <summary>
    /// Mean and standard deviation of every arm's score draw for every context, [pair, arm]. The draws of
    /// <see cref="SampleScores"/> are independent normals with these moments across arms, so a Monte-Carlo estimate of a
    /// choice's probability from them has the decisions' distribution. Does not advance the decision generator.
    /// </summary>
    ScoreMoments ScoreMoments(IReadOnlyList<double[]> contexts);

    /// <summary>
    /// One draw of every arm's score for every context, [pair][arm], from the decision generator: exactly the draws
    /// that <see cref="IRouter.Select"/> would take the argmax of (calling one instead of the other advances the
    /// generator the same way).
    /// </summary>
    double[][] SampleScores(IReadOnlyList<double[]> contexts);

    /// <summary>
    /// The draws of <see cref="SampleScores"/> taken from <paramref name="random"/> instead of the router's own decision
    /// generator (which stays untouched), together with their <see cref="ScoreMoments"/>, computed once. For a caller
    /// that owns the generator: a live session logs its state with every batch of decisions, so a restart continues the
    /// draws where the log stands. The whole batch is checked before the first draw.
    /// </summary>
    ScoreDraws Sample(IReadOnlyList<double[]> contexts, SeededRandom random);
}

/// <summary>One Thompson draw of every arm's score for a batch, [pair][arm], and the normals they were drawn from.</summary>
public sealed record ScoreDraws(double[][] Scores, ScoreMoments Moments);
