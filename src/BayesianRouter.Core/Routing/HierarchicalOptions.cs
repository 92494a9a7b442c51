using System.Globalization;

namespace BayesianRouter.Routing;

/// <summary>
/// Options of <see cref="HierarchicalThompsonRouter"/>: the prior variance of each level of the random-effects model
/// (global, domain, prompt), the observation noise, and how much each level explores (the scale of its Thompson draw:
/// 1 = an exact posterior draw, 0 = its posterior mean). Defaults are the empirical-Bayes values measured on RewardMATH
/// validation parts; <see cref="Offline.OnlineCalibration"/> estimates them for any offline artifact.
/// </summary>
public sealed record HierarchicalOptions
{
    /// <summary>tau_0^2: prior variance of an arm's global offset from the offline prediction.</summary>
    public double GlobalVariance { get; init; } = 1e-3;

    /// <summary>tau_d^2: prior variance of a domain's offset around the arm's global offset.</summary>
    public double DomainVariance { get; init; } = 5e-3;

    /// <summary>tau_p^2: prior variance of a prompt's offset around its domain's.</summary>
    public double PromptVariance { get; init; } = 0.05;

    /// <summary>sigma^2: variance of one reward around its prompt's mean (a 0/1 reward has at most 0.25).</summary>
    public double NoiseVariance { get; init; } = 0.19;

    /// <summary>Scale of the global level's draw (1 = Thompson sampling, 0 = posterior mean).</summary>
    public double GlobalExploration { get; init; } = 1;

    /// <summary>Scale of the domain level's draw.</summary>
    public double DomainExploration { get; init; } = 1;

    /// <summary>
    /// Scale of the prompt level's draw. 0 (default): the prompt's offset is its posterior mean given the drawn domain
    /// value, so the router never explores per prompt (a prompt has a handful of pairs: exploring each one costs more
    /// than it teaches) but still uses what the chosen RM's feedback said about the prompt.
    /// </summary>
    public double PromptExploration { get; init; }

    /// <summary>
    /// Fit the rewards' units online (<see cref="RewardMap"/>: r = a + b (f + theta) + noise, pooled over the arms,
    /// with the noise's variance measured within prompts) instead of taking them as 0/1 units with
    /// <see cref="NoiseVariance"/> (the calibration's, measured on 0/1 rewards). On by default: shaped DPO losses are
    /// not in 0/1 units, and 0/1 rewards give a = 0, b = 1 back.
    /// </summary>
    public bool FitRewardScale { get; init; } = true;

    /// <summary>
    /// Weight of the fit's prior in pseudo-pairs: half at (m = 0, r = 0), half at (m = 1, r = 1) for the map (<see cref="RewardMap"/>), and as many
    /// pseudo degrees of freedom at <see cref="NoiseVariance"/> (in the prior prediction's units) for the noise. 256 was
    /// chosen among 1, 16, 64, 256 and 1024 on validation data only: the simulation's validation replays (RewardMATH,
    /// dpo:2 and dpo:3, 5 seeds: all within a point) and align's validation prompts (in distribution and with a domain
    /// unseen offline, 3 seeds: 1 and 16 learn the unseen domain in fewer seeds); docs/online-model.md.
    /// </summary>
    public double RewardScalePriorWeight { get; init; } = 256;

    /// <summary>Seed of the decision generator.</summary>
    public long Seed { get; init; }

    internal void Validate()
    {
        foreach (var (name, v) in new[] { ("global variance", GlobalVariance), ("domain variance", DomainVariance),
                     ("prompt variance", PromptVariance), ("noise variance", NoiseVariance) })
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"{name} must be positive and finite (got {v})");
        foreach (var (name, v) in new[] { ("global exploration", GlobalExploration), ("domain exploration", DomainExploration),
                     ("prompt exploration", PromptExploration) })
            if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentException($"{name} must be a finite number >= 0 (got {v})");
        if (!(RewardScalePriorWeight > 0) || !double.IsFinite(RewardScalePriorWeight))
            throw new ArgumentException($"reward scale prior weight must be positive and finite (got {RewardScalePriorWeight})");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"tau0^2={GlobalVariance:G3} tau_d^2={DomainVariance:G3} tau_p^2={PromptVariance:G3} sigma^2={NoiseVariance:G3} exploration={GlobalExploration:G3}/{DomainExploration:G3}/{PromptExploration:G3} units={(FitRewardScale ? "fitted(" + RewardScalePriorWeight.ToString("R", CultureInfo.InvariantCulture) + ")" : "0/1")}");
}
