namespace BayesianRouter.Simulation;

/// <summary>
/// The hindsight oracle: routes each pair to an RM that is right on it (the cheapest such RM), so it is right
/// whenever some pool RM is. An upper bound for every router; no real method can run it.
/// </summary>
public sealed class OracleMethod(IReadOnlyList<string> pool, IReadOnlyList<double> costs) : AnnotationMethod("oracle", MethodKind.Oracle)
{
    public override void Annotate(SimulationBatch batch, Span<PairOutcome> outcomes)
    {
        for (int i = 0; i < batch.Pairs.Count; i++)
        {
            var pair = batch.Pairs[i];
            int best = -1, cheapest = 0;
            for (int n = 0; n < pool.Count; n++)
            {
                if (costs[n] < costs[cheapest]) cheapest = n;
                if (pair.IsRight(pool[n]) && (best < 0 || costs[n] < costs[best])) best = n;
            }
            outcomes[i] = best >= 0
                ? new PairOutcome(true, best, 1, costs[best], 1.0)
                : new PairOutcome(false, cheapest, 1, costs[cheapest], 1.0);
        }
    }
}
