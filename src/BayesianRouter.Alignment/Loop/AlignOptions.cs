using BayesianRouter.Alignment.Model;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>How a router's reward is computed from the DPO losses (paper appendix B and C).</summary>
public enum RewardVariant
{
    /// <summary>Batch-centred negative DPO loss, 20/80-quantile rescaled over past rewards (appendix B; the paper's default).</summary>
    BatchLoss,

    /// <summary>1 when the chosen RM's loss is no greater than the mean over every RM's label (N RM calls per pair).</summary>
    FullAdvantage,

    /// <summary>The same against the mean over C sampled RMs (C extra calls at most).</summary>
    LightAdvantage,
}

/// <summary>The DPO learning rate and beta of one method's runs.</summary>
public sealed record MethodSettings(double LearningRate, double Beta);

/// <summary>Settings of the online DPO experiment (paper section 4.1, appendix A.1, B), defaults sized for 2 CPU cores.</summary>
public sealed record AlignOptions
{
    /// <summary>Methods to run, by name (see <see cref="AlignMethods"/>); null = the whole catalogue.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Seeds: each trains its own offline router and draws its own stream; every method runs on every seed (default 1-10).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = Enumerable.Range(1, 10).ToArray();

    /// <summary>What happens to the pool while the policy trains (<see cref="TaskScenario"/>).</summary>
    public TaskScenario Scenario { get; init; } = TaskScenario.Static;

    /// <summary>What the online routers learn from (<see cref="FeedbackProtocol"/>: the DPO losses, the paper's, by default).</summary>
    public FeedbackProtocol Feedback { get; init; } = FeedbackProtocol.Loss;

    /// <summary>
    /// Learning rate and beta per method where they differ from <see cref="LearningRate"/> and <see cref="Beta"/> (the
    /// choices of the validation protocol, docs/alignment.md).
    /// </summary>
    public IReadOnlyDictionary<string, MethodSettings> PerMethod { get; init; } = new Dictionary<string, MethodSettings>();

    /// <summary>The learning rate and beta a method runs with.</summary>
    public MethodSettings SettingsOf(string method) => PerMethod.TryGetValue(method, out var s) ? s : new MethodSettings(LearningRate, Beta);

    /// <summary>DPO steps per method and seed (200: enough for the drift scenario's habit to take hold under the offline router's routing).</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Prompts per step (paper: 16).</summary>
    public int PromptsPerStep { get; init; } = 16;

    /// <summary>Responses sampled per prompt (paper: 6).</summary>
    public int SamplesPerPrompt { get; init; } = 4;

    /// <summary>Pairs formed per prompt at most, from samples with different answers (paper: 4).</summary>
    public int PairsPerPrompt { get; init; } = 2;

    /// <summary>
    /// DPO beta (paper: 1 with LoRA on a 8B policy). 0.3, with the learning rate 1e-3: the point of the grid
    /// {5e-4, 1e-3, 2e-3} x {0.1, 0.3} with the best validation accuracy averaged over every method (the validation
    /// protocol, <see cref="AlignTuning"/>; seeds 101-102, static scenario; docs/alignment.md).
    /// </summary>
    public double Beta { get; init; } = 0.3;

    /// <summary>Adam learning rate of the LoRA adapters (chosen with <see cref="Beta"/> by the validation protocol).</summary>
    public double LearningRate { get; init; } = 1e-3;

    public LoraOptions Lora { get; init; } = new() { Rank = 8, Alpha = 16, TargetModules = LlamaModel.Projections };

    /// <summary>Sampling temperature of the online responses (paper: 0.8).</summary>
    public double Temperature { get; init; } = 1.0;

    public double TopP { get; init; } = 1.0;

    /// <summary>New tokens per response at most (the longest answer is 5 digits plus the end token).</summary>
    public int MaxNewTokens { get; init; } = 7;

    /// <summary>How many times along the run the policy is scored on the test prompts (the last is the final score).</summary>
    public int Evaluations { get; init; } = 4;

    /// <summary>C of Light-advantage (paper: 3).</summary>
    public int LightComparisons { get; init; } = 3;

    /// <summary>
    /// The bayesian-router's online model. Default: the live path's default (<see cref="RouterSetup.DefaultLiveModel"/>,
    /// the hierarchical model), because the loop feeds DPO losses, as a live trainer does (docs/alignment.md).
    /// </summary>
    public OnlineModel OnlineModel { get; init; } = RouterSetup.DefaultLiveModel;

    /// <summary>
    /// Calibrate the paper model's sigma_w^2 per seed on the held-out part of the offline pairs
    /// (<see cref="PriorVarianceCalibration"/>; the default, chosen on validation prompts: docs/alignment.md, the fixed
    /// 0.02 sent a fifth of the pairs away from the specialists the offline router rightly picks); false = use
    /// <see cref="PriorVarianceWithOffline"/>.
    /// </summary>
    public bool CalibratePriorVariance { get; init; } = true;

    /// <summary>sigma_w^2 of the paper's model around the offline prior when it is not calibrated (the paper: 0.02).</summary>
    public double PriorVarianceWithOffline { get; init; } = 0.02;

    /// <summary>sigma_w^2 of ts-no-offline (zero prior; paper 1).</summary>
    public double PriorVarianceAlone { get; init; } = 1.0;

    /// <summary>What ts-no-offline and laser read: h like every other router (the paper's protocol), or the random projection.</summary>
    public BaselineFeatures BaselineFeatures { get; init; } = BaselineFeatures.Shared;

    /// <summary>
    /// Share of the offline pairs' prompts held out to calibrate the online stage (the hierarchical model's calibration and
    /// level variances, and a calibrated sigma_w^2); the offline router is then retrained on all of them.
    /// </summary>
    public double CalibrationShare { get; init; } = 0.25;

    /// <summary>sigma^2 (paper: 1).</summary>
    public double NoiseVariance { get; init; } = 1.0;

    public double LaserAlpha { get; init; } = 1.0;

    /// <summary>
    /// Offline router training (seed replaced per experiment seed): the defaults of <c>offline train</c> except the
    /// embedding scale, 1 (the paper's plain fusing layer) instead of 0.01, chosen on validation pairs: the prompt text
    /// tells the domain here, and at 0.01 the router learned too little of it in 40 epochs (routing accuracy
    /// 0.85-0.94 on the validation prompts' pairs against 1.000 at 0.1 and 1; docs/alignment.md).
    /// </summary>
    public OfflineTrainingOptions Offline { get; init; } = new() { EmbeddingScale = 1.0 };

    /// <summary>Responses sampled per offline prompt to record the pool's behaviour for the offline router.</summary>
    public int OfflineSamplesPerPrompt { get; init; } = 4;

    /// <summary>
    /// Domains whose offline prompts record the pool's behaviour for the offline router; null = all. Leaving a domain
    /// out makes the online stream partly out of the offline router's distribution (the paper's reason for the online part).
    /// </summary>
    public IReadOnlyList<string>? OfflineDomains { get; init; }

    /// <summary>Method runs trained at the same time, over all seeds and methods (each on one libtorch thread; default: both cores of the reference machine).</summary>
    public int Parallelism { get; init; } = 2;

    public void Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new ArgumentException(what); }
        Require(Seeds.Count >= 1, "--seeds must be at least 1");
        Require(Steps >= 1, "--steps must be at least 1");
        Require(PromptsPerStep >= 1, "--prompts-per-step must be at least 1");
        Require(SamplesPerPrompt >= 2, "--samples-per-prompt must be at least 2 (pairs need two responses)");
        Require(PairsPerPrompt >= 1, "--pairs-per-prompt must be at least 1");
        Require(Beta > 0 && double.IsFinite(Beta), "--beta must be > 0");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "--lr must be > 0");
        Require(Seeds.Distinct().Count() == Seeds.Count, "--seeds: a seed is listed twice");
        foreach (var (method, s) in PerMethod)
            Require(s.LearningRate > 0 && double.IsFinite(s.LearningRate) && s.Beta > 0 && double.IsFinite(s.Beta), $"{method}: learning rate and beta must be > 0");
        Require(Temperature > 0 && double.IsFinite(Temperature), "--temperature must be > 0 (sampled responses)");
        Require(TopP > 0 && TopP <= 1, "--top-p must be in (0, 1]");
        Require(MaxNewTokens >= 1, "--max-new-tokens must be at least 1");
        Require(Evaluations >= 1 && Evaluations <= Steps, "--evaluations must be in 1..steps");
        Require(LightComparisons >= 1, "--light-comparisons must be at least 1");
        Require(PriorVarianceWithOffline > 0 && double.IsFinite(PriorVarianceWithOffline) && PriorVarianceAlone > 0 && NoiseVariance > 0,
            "prior and noise variances must be finite and > 0");
        Require(CalibrationShare > 0 && CalibrationShare < 1, "the calibration share must be in (0, 1)");
        Require(OfflineSamplesPerPrompt >= 2, "offline samples per prompt must be at least 2");
        Require(Parallelism >= 1, "--parallel must be at least 1");
        if (OfflineDomains is { } domains)
        {
            Require(domains.Count >= 1, "--offline-domains needs at least one domain");
            foreach (var d in domains)
                Require(ArithmeticTask.Domains.Contains(d), $"--offline-domains: unknown domain \"{d}\" (known: {string.Join(", ", ArithmeticTask.Domains)})");
        }
        Lora.Validate();
        Offline.Validate();
    }

    /// <summary>The steps after which the policy is scored (the last step always).</summary>
    public int[] EvaluationSteps() =>
        Enumerable.Range(1, Evaluations).Select(k => (int)Math.Round((double)k * Steps / Evaluations)).Distinct().ToArray();
}
