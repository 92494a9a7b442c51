namespace BayesianRouter.Evaluation;

/// <summary>
/// Everything <c>bayesrouter data stats</c> shows about a pair file (see <see cref="PairStatistics.Compute"/>).
/// </summary>
/// <param name="Pairs">Pairs in the file.</param>
/// <param name="Groups">Distinct groups.</param>
/// <param name="Labelled">Pairs with a ground truth (<c>preferred</c>); accuracies are over these.</param>
/// <param name="PreferredB">Pairs whose preferred response is b (about half after a seeded import).</param>
/// <param name="Domains">Distinct domains (not counting pairs without one).</param>
/// <param name="Rms">Every RM of the file, in order of first appearance.</param>
public sealed record PairStatisticsReport(
    int Pairs,
    int Groups,
    int Labelled,
    int PreferredB,
    int Domains,
    IReadOnlyList<RmStatistics> Rms,
    PoolStatistics Pool,
    IReadOnlyList<DomainStatistics> ByDomain);
