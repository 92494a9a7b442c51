namespace BayesianRouter.Evaluation;

/// <summary>
/// What a pool of RMs achieves together on the pairs that have a ground truth (all shares in [0, 1]; null when no
/// pair has a ground truth).
/// </summary>
/// <param name="Names">The pool, in the order given.</param>
/// <param name="BestSingle">The pool RM with the highest accuracy (the first of equals in pool order).</param>
/// <param name="Majority">
/// Majority vote: credit 1 when more than half of the pool's RMs are right, 0.5 when exactly half are, else 0. An
/// RM that ties or did not judge counts as not right (a vote against), which reproduces the RewardMATH README.
/// </param>
/// <param name="MajorityAbstain">The same vote where RMs that tie or did not judge abstain (right vs wrong only).</param>
/// <param name="Oracle">Some pool RM is right: the ceiling of any router over this pool.</param>
/// <param name="BestPerDomain">The best pool RM chosen per domain with hindsight (pairs without a domain form one domain).</param>
/// <param name="BestPerGroup">The best pool RM chosen per group (prompt) with hindsight.</param>
/// <param name="Disagreement">
/// [n][m] = share of pairs where pool RM n is right and pool RM m is not: the size of the paper's disagreement set
/// of (n, m), on which the Bradley-Terry head learns that n beats m.
/// </param>
public sealed record PoolStatistics(
    IReadOnlyList<string> Names,
    string BestSingle,
    double? BestSingleAccuracy,
    double? Majority,
    double? MajorityAbstain,
    double? Oracle,
    double? BestPerDomain,
    double? BestPerGroup,
    IReadOnlyList<IReadOnlyList<double>> Disagreement);
