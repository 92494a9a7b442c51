using System.Globalization;

namespace BayesianRouter.Routing;

/// <summary>
/// The units of the rewards a <see cref="HierarchicalThompsonRouter"/> learns from: r = A + B (f + theta) + eps with
/// eps ~ N(0, <see cref="NoiseVariance"/>), where f + theta is in the prior prediction's units (the probability that the
/// RM is right). 0/1 rewards are A = 0, B = 1; shaped DPO losses sit in a narrower band around 0.5 (a right label earns
/// less than 1, a wrong one more than 0) with more noise.
/// </summary>
/// <param name="A">Intercept: the reward of a label the model is sure is wrong.</param>
/// <param name="B">Slope: how much more a sure-right label earns (floored at <see cref="RewardScale.MinimumSlope"/>).</param>
/// <param name="NoiseVariance">Variance of one reward around its prompt's mean, in reward units.</param>
public readonly record struct RewardMap(double A, double B, double NoiseVariance)
{
    /// <summary>The noise in the prior prediction's units (what the random effects' posterior uses): sigma^2 / B^2.</summary>
    public double EffectiveNoiseVariance => NoiseVariance / (B * B);

    /// <summary>A reward in the prior prediction's units: (r - A) / B.</summary>
    public double ToPrediction(double reward) => (reward - A) / B;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"a={A:G4} b={B:G4} sigma_r^2={NoiseVariance:G4}");
}
