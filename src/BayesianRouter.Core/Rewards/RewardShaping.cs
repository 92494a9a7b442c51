namespace BayesianRouter.Rewards;

/// <summary>
/// The first stage of the paper's reward (section 3.3, appendix B): the raw reward of a pair is minus its training
/// (DPO) loss under the chosen RM's label; the batch-centred reward is r_i = mean batch loss - loss_i, which removes
/// the batch's overall difficulty. <see cref="QuantileNormaliser"/> is the second stage.
/// </summary>
public static class RewardShaping
{
    /// <summary>Raw rewards -L_i.</summary>
    public static double[] Raw(IReadOnlyList<double> losses)
    {
        CheckLosses(losses);
        return losses.Select(l => -l).ToArray();
    }

    /// <summary>Batch-centred rewards r_i(t) = mean_j L_j(t) - L_i(t) (appendix B).</summary>
    public static double[] BatchCentred(IReadOnlyList<double> losses)
    {
        CheckLosses(losses);
        if (losses.Count == 0) return [];
        double mean = 0;
        foreach (var l in losses) mean += l;
        mean /= losses.Count;
        return losses.Select(l => mean - l).ToArray();
    }

    internal static void CheckLosses(IReadOnlyList<double> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        for (int i = 0; i < losses.Count; i++)
            if (!double.IsFinite(losses[i])) throw new ArgumentException($"loss {i} is not finite ({losses[i]})");
    }
}
