namespace BayesianRouter.Routing;

/// <summary>
/// For a batch of contexts and every arm: the mean h^T mu_n and variance h^T Sigma_n h of the score h^T w_n under
/// arm n's posterior. A fresh Thompson draw of w_n gives h^T w_n ~ N(mean, variance), independently across arms,
/// so drawing this scalar is the same distribution as drawing w_n. Indexed [pair, arm].
/// </summary>
public sealed class ScoreMoments
{
    internal ScoreMoments(int pairs, int arms)
    {
        Pairs = pairs;
        Arms = arms;
        Means = new double[pairs * arms];
        StdDevs = new double[pairs * arms];
    }

    public int Pairs { get; }
    public int Arms { get; }

    /// <summary>h_p^T mu_n at [p * Arms + n].</summary>
    internal double[] Means { get; }

    /// <summary>sqrt(h_p^T Sigma_n h_p) at [p * Arms + n].</summary>
    internal double[] StdDevs { get; }

    public double Mean(int pair, int arm) => Means[pair * Arms + arm];
    public double Variance(int pair, int arm) => StdDevs[pair * Arms + arm] * StdDevs[pair * Arms + arm];
    public double StdDev(int pair, int arm) => StdDevs[pair * Arms + arm];
}
