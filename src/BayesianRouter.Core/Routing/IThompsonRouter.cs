namespace BayesianRouter.Routing;

/// <summary>
/// A router that decides by Thompson sampling over per-arm scores: for every pair it draws one score per arm from the
/// arm's posterior and picks the argmax (lowest index on ties). The paper's linear model
/// (<see cref="ThompsonSamplingRouter"/>, Eq. 4-6) and the hierarchical model (<see cref="HierarchicalThompsonRouter"/>)
/// are both such routers. Exposing the draws and their distribution lets callers build on the same decision rule:
/// a fallback order (the arms by their drawn scores), choice probabilities for off-policy evaluation (Monte-Carlo
/// from <see cref="ScoreMoments"/>), and cost-aware choices (a price per arm subtracted from the draws).
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
}
