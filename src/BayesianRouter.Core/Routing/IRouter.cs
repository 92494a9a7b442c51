namespace BayesianRouter.Routing;

/// <summary>
/// A reward-model router: picks one arm (RM) for every pair of a batch of pair feature vectors, and learns from
/// the batch's (pair, arm, reward) feedback. Implementations own their random generator, seeded by the caller.
/// </summary>
public interface IRouter
{
    /// <summary>Number of arms (RMs in the pool), indexed 0..Arms-1 in pool order.</summary>
    int Arms { get; }

    /// <summary>Dimension of the pair feature vectors it reads (0 for routers that ignore features).</summary>
    int Dimension { get; }

    /// <summary>One decision per context, in order. Throws on a context of the wrong dimension or with non-finite values.</summary>
    IReadOnlyList<RoutingDecision> Select(IReadOnlyList<double[]> contexts);

    /// <summary>Learns from one batch of feedback. Throws, leaving the state untouched, on invalid feedback.</summary>
    void Update(IReadOnlyList<ArmFeedback> feedback);
}
