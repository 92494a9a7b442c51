using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Routing;

/// <summary>Which online model "the bayesian-router" runs on top of the offline artifact.</summary>
public enum OnlineModel
{
    /// <summary>
    /// <see cref="HierarchicalThompsonRouter"/>: the calibrated offline prediction plus global, domain and prompt
    /// random effects learned online (this project's default: see README, departures).
    /// </summary>
    Hierarchical,

    /// <summary>The paper's model (section 3.3-3.4): linear Thompson sampling on h, prior mean E_bt, sigma_w^2 = 0.02.</summary>
    Paper,
}

/// <summary>Options of <see cref="BayesianRouterFactory"/>.</summary>
public sealed record BayesianRouterOptions
{
    public OnlineModel Model { get; init; } = OnlineModel.Hierarchical;

    /// <summary>Let the online model learn per domain (the pair's domain at decision time, also one the offline router never saw).</summary>
    public bool UseDomain { get; init; } = true;

    /// <summary>Let the online model learn per prompt (the pair's group: pairs sharing a prompt, as a stream revisits it).</summary>
    public bool UsePrompt { get; init; } = true;

    /// <summary>Calibration and level variances; null = those recorded in the artifact (<c>online.*</c>), else the defaults.</summary>
    public OnlineCalibration? Calibration { get; init; }

    /// <summary>Scale of each level's Thompson draw (global, domain, prompt); see <see cref="HierarchicalOptions"/>.</summary>
    public double GlobalExploration { get; init; } = 1;
    public double DomainExploration { get; init; } = 1;
    public double PromptExploration { get; init; }

    /// <summary>The hierarchical model fits the rewards' units online (<see cref="HierarchicalOptions.FitRewardScale"/>);
    /// false takes them as 0/1 units with the calibrated sigma^2.</summary>
    public bool FitRewardScale { get; init; } = true;

    /// <summary>Weight of the reward units' prior in pseudo-pairs (<see cref="HierarchicalOptions.RewardScalePriorWeight"/>).</summary>
    public double RewardScalePriorWeight { get; init; } = 256;

    /// <summary>
    /// Do no harm (issue 17): the posterior probability another arm must have of beating the incumbent (the offline
    /// router's pick) on a pair before the router may choose it (<see cref="AnchoredThompsonRouter"/>); default 0.95,
    /// fixed before any reported stream was run. 0 = plain Thompson sampling over every arm (the model alone).
    /// </summary>
    public double IncumbentConfidence { get; init; } = AnchoredThompsonRouter.DefaultConfidence;

    /// <summary>The paper model's sigma_w^2 (paper: 0.02) and sigma^2 (paper: 1).</summary>
    public double PaperPriorVariance { get; init; } = 0.02;
    public double PaperNoiseVariance { get; init; } = 1.0;

    /// <summary>The paper model's threads over arms for large batches (<see cref="ThompsonSamplingOptions.MaxDegreeOfParallelism"/>;
    /// decisions do not depend on it). A service that serves many requests at once wants 1.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// The one place that builds "the bayesian-router" from an offline artifact: its features (the offline router's h,
/// plus, for the hierarchical model, the domain and prompt ids) and its prior (E_bt, or the calibrated offline
/// prediction). The simulation, the live session (<c>serve</c>, <c>label</c>, the library's <c>PairRouter</c>) all
/// construct it here:
/// <code>
///   var factory = new BayesianRouterFactory(OfflineRouter.Load("router.bin"));
///   var router = factory.Create(seed: 1);
///   var x = factory.Features(router, embedding, pair.Domain, pair.Group);   // per pair, at decision time
///   var arm = router.Select([x])[0].Arm;  ...  router.Update([new ArmFeedback(x, arm, reward)]);
/// </code>
/// </summary>
public sealed class BayesianRouterFactory
{
    public BayesianRouterFactory(OfflineRouter offline, BayesianRouterOptions? options = null)
    {
        Offline = offline ?? throw new ArgumentNullException(nameof(offline));
        Options = options ?? new BayesianRouterOptions();
        Calibration = Options.Calibration ?? OnlineCalibration.FromMetadata(offline.Metadata) ?? OnlineCalibration.Default;
    }

    public OfflineRouter Offline { get; }
    public BayesianRouterOptions Options { get; }
    public OnlineCalibration Calibration { get; }

    /// <summary>The level options the hierarchical router gets (calibrated variances, this factory's exploration).</summary>
    public HierarchicalOptions Levels(long seed) => Calibration.Levels with
    {
        GlobalExploration = Options.GlobalExploration,
        DomainExploration = Options.DomainExploration,
        PromptExploration = Options.PromptExploration,
        FitRewardScale = Options.FitRewardScale,
        RewardScalePriorWeight = Options.RewardScalePriorWeight,
        Seed = seed,
    };

    /// <summary>
    /// A fresh router (at its prior) whose decisions draw from a generator seeded by <paramref name="seed"/>: the model,
    /// anchored on the offline router's pick (<see cref="AnchoredThompsonRouter"/>) unless
    /// <see cref="BayesianRouterOptions.IncumbentConfidence"/> is 0.
    /// </summary>
    public IThompsonRouter Create(long seed)
    {
        var model = CreateModel(seed);
        return Options.IncumbentConfidence > 0
            ? AnchoredThompsonRouter.OnScores(model, Offline.BtScores, Offline.FeatureDimension, Options.IncumbentConfidence)
            : model;
    }

    /// <summary>The online model alone (no incumbent anchor), at its prior.</summary>
    public IThompsonRouter CreateModel(long seed) => Options.Model switch
    {
        OnlineModel.Paper => new ThompsonSamplingRouter(Offline.Pool.Count, Offline.FeatureDimension,
            ThompsonSamplingOptions.WithOfflinePrior(Offline, seed, Options.PaperPriorVariance) with
            {
                NoiseVariance = Options.PaperNoiseVariance, MaxDegreeOfParallelism = Options.MaxDegreeOfParallelism,
            }),
        _ => new HierarchicalThompsonRouter(Offline.Pool.Count, Offline.FeatureDimension,
            h => Calibration.Probabilities(Offline.BtScores(h)), Levels(seed)),
    };

    /// <summary>The router's input for one pair: computes h from the embedding and the domain, then <see cref="Features(IRouter, double[], string?, string?, bool)"/>.</summary>
    public double[] Features(IRouter router, PairEmbedding embedding, string? domain, string? prompt) =>
        Features(router, Offline.Features(embedding, domain), domain, prompt);

    /// <summary>
    /// The router's input for a pair whose h is known: h itself (paper model), or [h; domain id; prompt id]. New domain
    /// and prompt names are interned (they become part of the router's state); with <paramref name="intern"/> false they
    /// are routed as names without statistics and the router's state does not change (a decision-only context: learn
    /// from a context made with <paramref name="intern"/> true).
    /// </summary>
    public double[] Features(IRouter router, double[] h, string? domain, string? prompt, bool intern = true) => router switch
    {
        IKeyedRouter t => t.Context(h, Options.UseDomain ? domain ?? "" : null, Options.UsePrompt ? prompt : null, intern),
        _ => h,
    };

    /// <summary>
    /// What a state made with this factory's routers depends on beyond the artifact: the model and, for the
    /// hierarchical one, its levels, calibration and exploration (a live session's log records it and refuses another).
    /// </summary>
    public string Describe()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var model = Options.Model == OnlineModel.Paper
            ? string.Create(inv, $"paper(sigma_w2={Options.PaperPriorVariance:R},sigma2={Options.PaperNoiseVariance:R})")
            : string.Create(inv, $"hierarchical(domain={Options.UseDomain},prompt={Options.UsePrompt},explore={Options.GlobalExploration:R},{Options.DomainExploration:R},{Options.PromptExploration:R},a={Calibration.Scale:R},c={Calibration.Offset:R},{Calibration.Levels})");
        return Options.IncumbentConfidence > 0 ? string.Create(inv, $"{model}+anchored({Options.IncumbentConfidence:R})") : model;
    }
}
