using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>The random-router baseline: every pair goes to an arm drawn uniformly (seeded); probability 1 / arms.</summary>
public sealed class RandomRouter : RouterBase, ICheckpointable
{
    private SeededRandom _random;

    /// <param name="arms">Pool size.</param>
    /// <param name="seed">Seed of the router's generator.</param>
    /// <param name="dimension">Context length to check (0 = accept contexts of any length: features are ignored).</param>
    public RandomRouter(int arms, long seed, int dimension = 0) : base(arms, dimension)
    {
        _random = new SeededRandom(seed);
    }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++) decisions[p] = new RoutingDecision(_random.NextInt(Arms), 1.0 / Arms);
        return decisions;
    }

    public string StateKind => "random";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        _random.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        r.ReadExpected(Arms, "arms");
        var random = SeededRandom.ReadState(r);
        return () => _random = random;
    }
}
