using BayesianRouter.LinearAlgebra;

namespace BayesianRouter.Routing;

/// <summary>
/// The common frame of every router: it checks a whole batch (dimension, finite values, known arms, finite
/// rewards) before the router sees it, so a bad batch raises an <see cref="ArgumentException"/> naming the item
/// and leaves the router's state untouched. A router implements <see cref="SelectValidated"/>; learners also
/// override <see cref="UpdateValidated"/>.
/// </summary>
public abstract class RouterBase : IRouter
{
    protected RouterBase(int arms, int dimension)
    {
        if (arms <= 0) throw new ArgumentOutOfRangeException(nameof(arms), arms, "a router needs at least one arm");
        if (dimension < 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension cannot be negative");
        Arms = arms;
        Dimension = dimension;
    }

    public int Arms { get; }

    public int Dimension { get; }

    public IReadOnlyList<RoutingDecision> Select(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        return contexts.Count == 0 ? [] : SelectValidated(contexts);
    }

    public void Update(IReadOnlyList<ArmFeedback> feedback)
    {
        CheckFeedback(feedback, Arms, Dimension);
        if (feedback.Count > 0) UpdateValidated(feedback);
    }

    /// <summary>One decision per context; the contexts are known to be valid and non-empty.</summary>
    protected abstract IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts);

    /// <summary>Learns from a valid, non-empty batch. Routers that do not learn ignore feedback.</summary>
    protected virtual void UpdateValidated(IReadOnlyList<ArmFeedback> feedback) { }

    /// <summary>
    /// Checks every context: not null, of length <paramref name="dimension"/>, finite. A router that ignores features
    /// (dimension 0) accepts contexts of any length but still rejects null and non-finite values.
    /// </summary>
    public static void CheckContexts(IReadOnlyList<double[]> contexts, int dimension)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        for (int i = 0; i < contexts.Count; i++) CheckContext(contexts[i], dimension, $"context {i}");
    }

    /// <summary>Checks every feedback item: valid context, arm in 0..arms-1, finite reward.</summary>
    public static void CheckFeedback(IReadOnlyList<ArmFeedback> feedback, int arms, int dimension)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        for (int i = 0; i < feedback.Count; i++)
        {
            var f = feedback[i];
            CheckContext(f.Context, dimension, $"feedback {i}: context");
            if (f.Arm < 0 || f.Arm >= arms)
                throw new ArgumentException($"feedback {i}: arm {f.Arm} is not in the pool (arms 0..{arms - 1})");
            if (!double.IsFinite(f.Reward))
                throw new ArgumentException($"feedback {i}: reward {f.Reward} is not finite");
        }
    }

    private static void CheckContext(double[]? h, int dimension, string what)
    {
        if (h is null) throw new ArgumentException($"{what} is null");
        if (dimension > 0 && h.Length != dimension)
            throw new ArgumentException($"{what} has dimension {h.Length}, the router expects {dimension}");
        for (int k = 0; k < h.Length; k++)
            if (!double.IsFinite(h[k])) throw new ArgumentException($"{what} holds a non-finite value ({h[k]}) at index {k}");
    }

    /// <summary>Index of the largest value; ties go to the lowest index.</summary>
    public static int ArgMax(ReadOnlySpan<double> scores)
    {
        int best = 0;
        for (int n = 1; n < scores.Length; n++) if (scores[n] > scores[best]) best = n;
        return best;
    }

    /// <summary>Checks a score vector given by a caller-supplied function: one finite score per arm.</summary>
    protected static double[] CheckScores(double[]? scores, int arms, string source)
    {
        if (scores is null || scores.Length != arms)
            throw new ArgumentException($"{source} returned {scores?.Length ?? 0} scores, expected one per arm ({arms})");
        if (!VectorOps.AllFinite(scores)) throw new ArgumentException($"{source} returned a non-finite score");
        return scores;
    }
}
