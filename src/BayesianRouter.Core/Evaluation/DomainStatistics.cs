namespace BayesianRouter.Evaluation;

/// <summary>
/// The pool on one domain's pairs with a ground truth (pairs without a domain under <see cref="PairStatistics.NoDomain"/>):
/// each pool RM's accuracy, majority vote, oracle and the best pool RM there.
/// </summary>
public sealed record DomainStatistics(
    string Domain,
    int Pairs,
    IReadOnlyDictionary<string, double> Accuracy,
    double Majority,
    double Oracle,
    string Best,
    double BestAccuracy);
