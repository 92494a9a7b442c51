namespace BayesianRouter.Features;

/// <summary>
/// The frozen encoder's view of one pair (paper section 3.2): e = Enc(x || y_a) and e' = Enc(x || y_b),
/// each L2-normalised, of the encoder's dimension.
/// </summary>
public sealed record PairEmbedding(float[] E, float[] EPrime)
{
    /// <summary>The symmetric fusion input [e + e'; |e - e'|] (length 2 x encoder dimension).</summary>
    public double[] FusionInput()
    {
        int n = E.Length;
        var x = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (double)E[i] + EPrime[i];
            x[n + i] = Math.Abs((double)E[i] - EPrime[i]);
        }
        return x;
    }
}
