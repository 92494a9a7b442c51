namespace BayesianRouter.Evaluation;

/// <summary>
/// One RM's behaviour over a pair file. <see cref="Accuracy"/> = right / pairs with a ground truth (a tie or a
/// missing judgment is not right: the paper's delta); <see cref="TieRate"/> = ties / pairs the RM judged.
/// Null where the denominator is zero.
/// </summary>
public sealed record RmStatistics(
    string Name,
    int Judged,
    int Missing,
    int Right,
    int Ties,
    double? Accuracy,
    double? TieRate);
