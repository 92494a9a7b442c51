using System.Globalization;
using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// Thompson sampling on a random-effects (hierarchical) model of each arm's reward, on top of a fixed prior prediction
/// (the offline router's calibrated probability that the arm is right on the pair):
/// <code>
///   r = f_n(h) + theta_{n,g} + eps,   eps ~ N(0, sigma^2)
///   theta_{n,g} = theta_{n,d} + delta_g,   delta_g ~ N(0, tau_p^2)      (prompt g in domain d)
///   theta_{n,d} = theta_{n,0} + delta_d,   delta_d ~ N(0, tau_d^2)
///   theta_{n,0} ~ N(0, tau_0^2)
/// </code>
/// This is the Bayesian linear model whose features are [1; onehot(domain); onehot(prompt)] with level-specific prior
/// variances and prior mean 0 on the offset of f_n (so the router starts as the offline router and learns about any
/// domain or prompt met at decision time, also domains the offline router never saw). Because the one-hot levels nest,
/// the posterior is a Gaussian tree and is exact in O(1) per decision: an upward pass of sufficient statistics (per
/// prompt the count k_g and the residual sum S_g; per domain the precision and information of its prompts' messages)
/// and a downward draw theta_0, then theta_d | theta_0, then theta_g | theta_d (Gelman et al., BDA ch. 5, known
/// variances). The dimension never grows with the number of prompts beyond three numbers per prompt met.
/// <para>
/// Reward units (<see cref="HierarchicalOptions.FitRewardScale"/>): the model is r = a + b (f_n(h) + theta_{n,g}) + eps,
/// eps ~ N(0, s^2), with (a, b, s^2) fitted online (<see cref="RewardMap"/>, pooled over the arms; a = 0, b = 1 at the
/// start, and for 0/1 rewards), so the random effects and their level variances stay in the prior prediction's units
/// and a reward counts as (r - a) / b with noise s^2 / b^2. The prompts' statistics are raw sums (count, sum of rewards,
/// sum of prior predictions), so the tree is rebuilt exactly in the new units when the map is refitted (after a batch
/// that grew the observations by an eighth since the last fit: amortised O(1) per observation).
/// </para>
/// <para>
/// Context layout: [h (the offline router's features, length <c>featureDimension</c>); domain id; prompt id]. Ids are
/// whole numbers from <see cref="Context"/>, which interns the domain and prompt names (the names are part of the
/// saved state); -1 = unknown. An unknown prompt is a fresh prompt every time. <see cref="Context"/> with
/// <c>intern: false</c> gives a name not met yet the id <see cref="Unseen"/> instead: no statistics, exactly as a freshly
/// interned name, but the name table does not change, so it grows only with what the router learns from (a live
/// session interns at feedback time, in the logged order, so a replay of its log rebuilds the same table).
/// </para>
/// </summary>
public sealed class HierarchicalThompsonRouter : RouterBase, IThompsonRouter, IKeyedRouter, ICheckpointable
{
    private readonly Func<double[], double[]> _prior;
    private readonly int _featureDimension;
    private readonly ArmTree[] _arms;
    private readonly List<string> _domains = [];
    private readonly List<string> _prompts = [];
    private readonly Dictionary<string, int> _domainIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _promptIds = new(StringComparer.Ordinal);
    private SeededRandom _random;
    private RewardScale _scale = new();
    private RewardMap _map;
    private double _fittedAt;

    /// <summary>A refit of the reward map waits until the observations have grown by this share since the last one.</summary>
    private const double RefitGrowth = 0.125;

    /// <param name="arms">Pool size.</param>
    /// <param name="featureDimension">Length of h.</param>
    /// <param name="prior">f(h): one prior prediction per arm, in reward units (e.g. the calibrated offline probability).</param>
    /// <param name="options">Level variances, noise, exploration, seed.</param>
    public HierarchicalThompsonRouter(int arms, int featureDimension, Func<double[], double[]> prior, HierarchicalOptions? options = null)
        : base(arms, featureDimension + 2)
    {
        if (featureDimension < 0) throw new ArgumentOutOfRangeException(nameof(featureDimension));
        _prior = prior ?? throw new ArgumentNullException(nameof(prior));
        _featureDimension = featureDimension;
        Options = options ?? new HierarchicalOptions();
        Options.Validate();
        _arms = Enumerable.Range(0, arms).Select(_ => new ArmTree()).ToArray();
        _map = new RewardMap(0, 1, Options.NoiseVariance);
        foreach (var t in _arms) t.Summarise(Options);
        _random = new SeededRandom(Options.Seed);
    }

    public HierarchicalOptions Options { get; }

    /// <summary>
    /// The reward units in use: a = 0, b = 1 and the calibrated sigma^2 at the start (and always, without
    /// <see cref="HierarchicalOptions.FitRewardScale"/>); refitted from the feedback as it comes.
    /// </summary>
    public RewardMap RewardMap => _map;

    /// <summary>The id of a domain or prompt name this router has not met (contexts made with <c>intern: false</c>):
    /// valid for decisions, refused by <see cref="IRouter.Update"/>.</summary>
    public const int Unseen = -2;

    /// <summary>
    /// The context of a pair: [h; domain id; prompt id] (null name = unknown, id -1). New names are interned (they join
    /// the saved name table), or with <paramref name="intern"/> false get the id <see cref="Unseen"/> (a decision-only
    /// context: routed exactly as an interned name without statistics, but it cannot be learned from).
    /// </summary>
    public double[] Context(double[] h, string? domain, string? prompt, bool intern = true)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.Length != _featureDimension) throw new ArgumentException($"h has dimension {h.Length}, expected {_featureDimension}");
        var x = new double[Dimension];
        h.CopyTo(x, 0);
        x[_featureDimension] = Intern(domain, _domains, _domainIds, intern);
        x[_featureDimension + 1] = Intern(prompt, _prompts, _promptIds, intern);
        return x;
    }

    /// <summary>Domain names met, in id order (part of the saved state).</summary>
    public IReadOnlyList<string> DomainNames => _domains;

    /// <summary>Prompt (group) names met, in id order (part of the saved state).</summary>
    public IReadOnlyList<string> PromptNames => _prompts;

    private static int Intern(string? name, List<string> names, Dictionary<string, int> ids, bool intern = true)
    {
        if (name == null) return -1;
        if (ids.TryGetValue(name, out var id)) return id;
        if (!intern) return Unseen;
        ids[name] = names.Count;
        names.Add(name);
        return names.Count - 1;
    }

    /// <summary>The posterior of arm n's offset theta_g for a prompt of a domain (ids as in <see cref="Context"/>): mean and variance.</summary>
    public (double Mean, double Variance) OffsetPosterior(int arm, int domain, int prompt) => Offset(arm, domain, prompt, 1, 1, 1);

    /// <summary>
    /// Mean and standard deviation of each arm's decision score f_n(h) + theta_g as this router draws it (the
    /// exploration scales applied), [pair, arm]. The decision is the argmax of independent draws from these normals,
    /// so a Monte-Carlo estimate of a choice's probability from them has the decisions' distribution (as for
    /// <see cref="ThompsonSamplingRouter.ScoreMoments"/>).
    /// </summary>
    public ScoreMoments ScoreMoments(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        var m = new ScoreMoments(contexts.Count, Arms);
        for (int p = 0; p < contexts.Count; p++)
        {
            var (h, domain, prompt) = Split(contexts[p], p, allowUnseen: true);
            Moments(m, p, domain, prompt, CheckScores(_prior(h), Arms, "the prior prediction"));
        }
        return m;
    }

    /// <summary>Row p of the moments: f_n(h) + the mean of theta_g as drawn, and its standard deviation.</summary>
    private void Moments(ScoreMoments m, int p, int domain, int prompt, double[] f)
    {
        for (int n = 0; n < Arms; n++)
        {
            var (mean, variance) = Offset(n, domain, prompt, Options.GlobalExploration, Options.DomainExploration, Options.PromptExploration);
            m.Means[p * Arms + n] = f[n] + mean;
            m.StdDevs[p * Arms + n] = Math.Sqrt(variance);
        }
    }

    /// <summary>
    /// theta_0 ~ N(m0, e0^2 v0); theta_d = ad theta_0 + bd + N(0, ed^2 vd); theta_g = ag theta_d + bg + N(0, ep^2 vg):
    /// the mean and variance of theta_g as drawn with exploration scales (e0, ed, ep); (1, 1, 1) is the posterior.
    /// </summary>
    private (double Mean, double Variance) Offset(int arm, int domain, int prompt, double e0, double ed, double ep)
    {
        var t = _arms[arm];
        var o = Options;
        double v0 = 1 / t.RootPrecision, m0 = t.RootInformation * v0;
        var (lam, eta) = t.DomainSummary(domain);
        double pd = 1 / o.DomainVariance + lam, ad = 1 / o.DomainVariance / pd, bd = eta / pd, vd = 1 / pd;
        var (k, s) = t.Residual(domain, prompt, _map);
        double noise = _map.EffectiveNoiseVariance;
        double pg = 1 / o.PromptVariance + k / noise, ag = 1 / o.PromptVariance / pg, bg = s / noise / pg, vg = 1 / pg;
        double mean = ag * (ad * m0 + bd) + bg;
        double variance = ag * ag * (ad * ad * e0 * e0 * v0 + ed * ed * vd) + ep * ep * vg;
        return (mean, variance);
    }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var scores = Sample(contexts, _random, null);
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++) decisions[p] = new RoutingDecision(ArgMax(scores[p]), double.NaN);
        return decisions;
    }

    /// <inheritdoc />
    public double[][] SampleScores(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        return Sample(contexts, _random, null);
    }

    /// <inheritdoc />
    public ScoreDraws Sample(IReadOnlyList<double[]> contexts, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckContexts(contexts, Dimension);
        var moments = new ScoreMoments(contexts.Count, Arms);
        return new ScoreDraws(Sample(contexts, random, moments), moments);
    }

    /// <summary>
    /// f_n(h) + one draw of theta_g per arm, for every context (and, when <paramref name="moments"/> is given, their
    /// moments). Every context's ids and prior are checked before the first draw, so a bad batch leaves the generator
    /// untouched.
    /// </summary>
    private double[][] Sample(IReadOnlyList<double[]> contexts, SeededRandom random, ScoreMoments? moments)
    {
        var parsed = new (int Domain, int Prompt, double[] Prior)[contexts.Count];
        for (int p = 0; p < contexts.Count; p++)
        {
            var (h, domain, prompt) = Split(contexts[p], p, allowUnseen: true);
            parsed[p] = (domain, prompt, CheckScores(_prior(h), Arms, "the prior prediction"));
        }
        var scores = new double[contexts.Count][];
        for (int p = 0; p < contexts.Count; p++)
        {
            var (domain, prompt, f) = parsed[p];
            var s = scores[p] = new double[Arms];
            for (int n = 0; n < Arms; n++) s[n] = f[n] + Draw(_arms[n], domain, prompt, random);
            if (moments != null) Moments(moments, p, domain, prompt, f);
        }
        return scores;
    }

    /// <summary>One draw of theta_g: the root, then the domain given the root, then the prompt given the domain.</summary>
    private double Draw(ArmTree t, int domain, int prompt, SeededRandom random)
    {
        var o = Options;
        double v0 = 1 / t.RootPrecision;
        double theta0 = t.RootInformation * v0 + Noise(o.GlobalExploration, v0, random);
        var (lam, eta) = t.DomainSummary(domain);
        double pd = 1 / o.DomainVariance + lam;
        double thetaD = (theta0 / o.DomainVariance + eta) / pd + Noise(o.DomainExploration, 1 / pd, random);
        var (k, s) = t.Residual(domain, prompt, _map);
        double noise = _map.EffectiveNoiseVariance;
        double pg = 1 / o.PromptVariance + k / noise;
        return (thetaD / o.PromptVariance + s / noise) / pg + Noise(o.PromptExploration, 1 / pg, random);
    }

    private static double Noise(double scale, double variance, SeededRandom random) =>
        scale == 0 ? 0 : scale * Math.Sqrt(variance) * random.NextGaussian();

    /// <summary>h, domain id and prompt id of a context; <see cref="Unseen"/> ids only where <paramref name="allowUnseen"/> (decisions).</summary>
    private (double[] H, int Domain, int Prompt) Split(double[] x, int index, bool allowUnseen)
    {
        double d = x[_featureDimension], g = x[_featureDimension + 1];
        int lowest = allowUnseen ? Unseen : -1;
        if (d != Math.Floor(d) || d < lowest || d >= _domains.Count || g != Math.Floor(g) || g < lowest || g >= _prompts.Count)
            throw new ArgumentException(allowUnseen || (d != Unseen && g != Unseen)
                ? $"context {index}: domain id {d} / prompt id {g} are not ids from Context()"
                : $"context {index}: a decision-only context (a name not interned, id {Unseen}) cannot be learned from: make the feedback's context with Context(..., intern: true)");
        return (x[.._featureDimension], (int)d, (int)g);
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback)
    {
        var parsed = feedback.Select((f, i) => Split(f.Context, i, allowUnseen: false)).ToArray();
        var changed = new bool[Arms];
        var priors = new double[feedback.Count];
        var predictions = new double[feedback.Count];
        for (int i = 0; i < feedback.Count; i++)
        {
            var (h, domain, prompt) = parsed[i];
            int arm = feedback[i].Arm;
            priors[i] = CheckScores(_prior(h), Arms, "the prior prediction")[arm];
            // the prediction the map is fitted on: prior plus the offset's posterior mean before this batch
            predictions[i] = Options.FitRewardScale ? priors[i] + Offset(arm, domain, prompt, 1, 1, 1).Mean : priors[i];
        }
        for (int i = 0; i < feedback.Count; i++)
        {
            var (_, domain, prompt) = parsed[i];
            int arm = feedback[i].Arm;
            _arms[arm].Add(domain, prompt, priors[i], feedback[i].Reward, predictions[i], _map, Options, Options.FitRewardScale ? _scale : null);
            changed[arm] = true;
        }
        if (Options.FitRewardScale && _scale.Count >= _fittedAt * (1 + RefitGrowth))
        {
            // new units: every prompt's message to its domain changes, so each arm's tree is rebuilt from its raw sums
            _map = _scale.Fit(Options.RewardScalePriorWeight, Options.NoiseVariance);
            _fittedAt = _scale.Count;
            foreach (var t in _arms) t.Rebuild(_map, Options);
            Array.Fill(changed, true);
        }
        for (int n = 0; n < Arms; n++) if (changed[n]) _arms[n].Summarise(Options);
    }

    public string StateKind => "hierarchical-thompson-sampling";
    public int StateVersion => 2;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        w.Write(_featureDimension);
        foreach (var v in new[] { Options.GlobalVariance, Options.DomainVariance, Options.PromptVariance, Options.NoiseVariance }) w.Write(v);
        w.Write(Options.FitRewardScale);
        w.Write(Options.RewardScalePriorWeight);
        foreach (var names in new[] { _domains, _prompts })
        {
            w.Write(names.Count);
            foreach (var s in names) w.Write(s);
        }
        foreach (var t in _arms) t.Write(w);
        _scale.Write(w);
        w.Write(_map.A);
        w.Write(_map.B);
        w.Write(_map.NoiseVariance);
        w.Write(_fittedAt);
        _random.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        if (version != StateVersion)
            throw new InvalidDataException(version == 1
                ? "hierarchical router state version 1 (before the reward units were fitted online) cannot be resumed: its prompt statistics are not raw sums; start a new session"
                : $"hierarchical router state version {version} is not supported");
        r.ReadExpected(Arms, "arms");
        r.ReadExpected(_featureDimension, "feature dimension");
        r.ReadExpected(Options.GlobalVariance, "global variance");
        r.ReadExpected(Options.DomainVariance, "domain variance");
        r.ReadExpected(Options.PromptVariance, "prompt variance");
        r.ReadExpected(Options.NoiseVariance, "noise variance");
        if (r.ReadBoolean() != Options.FitRewardScale) throw new InvalidDataException($"the state was saved with the reward units {(Options.FitRewardScale ? "fixed" : "fitted")}, this router has them {(Options.FitRewardScale ? "fitted" : "fixed")}");
        r.ReadExpected(Options.RewardScalePriorWeight, "reward scale prior weight");
        var domains = ReadNames(r, "domain");
        var prompts = ReadNames(r, "prompt");
        var trees = _arms.Select((_, n) => ArmTree.Read(r, domains.Count, prompts.Count, $"arm {n}")).ToArray();
        var scale = RewardScale.Read(r);
        var map = new RewardMap(r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        double fittedAt = r.ReadDouble();
        if (!(map.B >= RewardScale.MinimumSlope) || !double.IsFinite(map.A) || !(map.NoiseVariance > 0) || !double.IsFinite(map.NoiseVariance)
            || !(fittedAt >= 0 && fittedAt <= scale.Count))
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"reward map ({map}, fitted at {fittedAt}) is out of range"));
        var random = SeededRandom.ReadState(r);
        return () =>
        {
            _scale = scale;
            _map = map;
            _fittedAt = fittedAt;
            Reset(_domains, _domainIds, domains);
            Reset(_prompts, _promptIds, prompts);
            for (int n = 0; n < Arms; n++)
            {
                _arms[n] = trees[n];
                _arms[n].Summarise(Options);
            }
            _random = random;
        };
    }

    private static List<string> ReadNames(BinaryReader r, string what)
    {
        int count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException($"negative {what} count");
        var names = new List<string>(count);
        for (int i = 0; i < count; i++) names.Add(r.ReadString());
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) throw new InvalidDataException($"a {what} name appears twice");
        return names;
    }

    private static void Reset(List<string> names, Dictionary<string, int> ids, List<string> from)
    {
        names.Clear();
        ids.Clear();
        foreach (var s in from) Intern(s, names, ids);
    }

    /// <summary>
    /// One arm's sufficient statistics and the upward messages of its tree: per (domain, prompt) the count, the sum of
    /// rewards and the sum of prior predictions (raw sums: the residual sum in the prior prediction's units is
    /// (R - k a) / b - F for the map in use), per domain the same sums over observations of unknown prompts (each a
    /// prompt of its own), and per domain the precision and information of its prompts' messages, kept up to date as
    /// observations arrive (O(1) each), rebuilt from the raw sums when the map changes, and saved with the state, so a
    /// resumed run continues with the very same numbers; the root is summed over the domains in id order after each batch.
    /// </summary>
    private sealed class ArmTree
    {
        private readonly Dictionary<(int Domain, int Prompt), (int K, double R, double F)> _prompts = [];
        private readonly SortedDictionary<int, (int K, double R, double F)> _singletons = [];
        private readonly SortedDictionary<int, (double Lambda, double Eta)> _domainSummary = [];

        public double RootPrecision { get; private set; } = double.NaN;
        public double RootInformation { get; private set; }

        /// <summary>One observation: reward r of a pair whose prior prediction (for this arm) is f.</summary>
        public void Add(int domain, int prompt, double f, double r, double prediction, RewardMap map, HierarchicalOptions o, RewardScale? scale)
        {
            var (lam, eta) = DomainSummary(domain);
            double noise = map.EffectiveNoiseVariance;
            if (prompt >= 0)
            {
                var key = (domain, prompt);
                _prompts.TryGetValue(key, out var old);
                if (old.K > 0)
                {
                    // take the prompt's old message out of its domain before adding the new one
                    double oldLambda = Message(old.K, o, noise);
                    lam -= oldLambda;
                    eta -= oldLambda * (Residual(old, map) / old.K);
                }
                scale?.Observe(r, prediction, f, old.K, old.R, old.F);
                var cell = (old.K + 1, old.R + r, old.F + f);
                _prompts[key] = cell;
                double newLambda = Message(cell.Item1, o, noise);
                lam += newLambda;
                eta += newLambda * (Residual(cell, map) / cell.Item1);
            }
            else
            {
                // an unknown prompt is a prompt of its own, seen once: its message joins the domain for good
                scale?.Observe(r, prediction, f, 0, 0, 0);
                var (u, ur, uf) = _singletons.TryGetValue(domain, out var v) ? v : (0, 0.0, 0.0);
                _singletons[domain] = (u + 1, ur + r, uf + f);
                double lambda = Message(1, o, noise);
                lam += lambda;
                eta += lambda * (map.ToPrediction(r) - f);
            }
            _domainSummary[domain] = (lam, eta);
        }

        /// <summary>The domains' messages recomputed from the raw sums in the units of <paramref name="map"/>.</summary>
        public void Rebuild(RewardMap map, HierarchicalOptions o)
        {
            double noise = map.EffectiveNoiseVariance;
            var sums = new SortedDictionary<int, (double Lambda, double Eta)>();
            foreach (var ((d, _), cell) in _prompts)
            {
                var (lam, eta) = sums.TryGetValue(d, out var v) ? v : (0, 0);
                double lambda = Message(cell.K, o, noise);
                sums[d] = (lam + lambda, eta + lambda * (Residual(cell, map) / cell.K));
            }
            foreach (var (d, (u, ur, uf)) in _singletons)
            {
                var (lam, eta) = sums.TryGetValue(d, out var v) ? v : (0, 0);
                double lambda = Message(1, o, noise);
                sums[d] = (lam + u * lambda, eta + lambda * ((ur - u * map.A) / map.B - uf));
            }
            _domainSummary.Clear();
            foreach (var (d, v) in sums) _domainSummary[d] = v;
        }

        /// <summary>Sum of the residuals r - f of a cell in the prior prediction's units: (R - k a) / b - F.</summary>
        private static double Residual((int K, double R, double F) cell, RewardMap map) => (cell.R - cell.K * map.A) / map.B - cell.F;

        /// <summary>Precision of a prompt's mean residual as a message to its domain: 1 / (tau_p^2 + sigma^2 / k).</summary>
        private static double Message(int k, HierarchicalOptions o, double noise) => 1 / (o.PromptVariance + noise / k);

        /// <summary>A prompt's count and residual sum in the prior prediction's units (none for an unknown prompt).</summary>
        public (int K, double S) Residual(int domain, int prompt, RewardMap map) =>
            prompt >= 0 && _prompts.TryGetValue((domain, prompt), out var v) ? (v.K, Residual(v, map)) : (0, 0.0);

        public (double Lambda, double Eta) DomainSummary(int domain) => _domainSummary.TryGetValue(domain, out var v) ? v : (0, 0);

        /// <summary>The root's posterior: its prior and each domain's message (the domain's estimate eta / lambda ~ N(theta_0, tau_d^2 + 1 / lambda)).</summary>
        public void Summarise(HierarchicalOptions o)
        {
            double precision = 1 / o.GlobalVariance, information = 0;
            foreach (var (_, (l, e)) in _domainSummary)
            {
                if (!(l > 0)) continue;
                double w = 1 / (o.DomainVariance + 1 / l);
                precision += w;
                information += w * (e / l);
            }
            RootPrecision = precision;
            RootInformation = information;
        }

        public void Write(BinaryWriter w)
        {
            w.Write(_prompts.Count);
            foreach (var ((d, g), (k, r, f)) in _prompts)
            {
                w.Write(d);
                w.Write(g);
                w.Write(k);
                w.Write(r);
                w.Write(f);
            }
            w.Write(_singletons.Count);
            foreach (var (d, (k, r, f)) in _singletons)
            {
                w.Write(d);
                w.Write(k);
                w.Write(r);
                w.Write(f);
            }
            w.Write(_domainSummary.Count);
            foreach (var (d, (l, e)) in _domainSummary)
            {
                w.Write(d);
                w.Write(l);
                w.Write(e);
            }
        }

        public static ArmTree Read(BinaryReader r, int domains, int prompts, string what)
        {
            var t = new ArmTree();
            int count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException($"{what}: negative prompt count");
            for (int i = 0; i < count; i++)
            {
                int d = r.ReadInt32(), g = r.ReadInt32(), k = r.ReadInt32();
                double sr = r.ReadDouble(), sf = r.ReadDouble();
                if (d < -1 || d >= domains || g < 0 || g >= prompts || k < 1 || !double.IsFinite(sr) || !double.IsFinite(sf))
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{what}: prompt entry {i} ({d}, {g}, {k}, {sr}, {sf}) is out of range"));
                t._prompts[(d, g)] = (k, sr, sf);
            }
            int singles = r.ReadInt32();
            if (singles < 0) throw new InvalidDataException($"{what}: negative count of domains with unknown prompts");
            for (int i = 0; i < singles; i++)
            {
                int d = r.ReadInt32(), k = r.ReadInt32();
                double sr = r.ReadDouble(), sf = r.ReadDouble();
                if (d < -1 || d >= domains || k < 1 || !double.IsFinite(sr) || !double.IsFinite(sf))
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{what}: unknown-prompt entry {i} ({d}, {k}, {sr}, {sf}) is out of range"));
                t._singletons[d] = (k, sr, sf);
            }
            int summaries = r.ReadInt32();
            if (summaries < 0) throw new InvalidDataException($"{what}: negative domain count");
            for (int i = 0; i < summaries; i++)
            {
                int d = r.ReadInt32();
                double l = r.ReadDouble(), e = r.ReadDouble();
                if (d < -1 || d >= domains || !(l >= 0) || !double.IsFinite(l) || !double.IsFinite(e))
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{what}: domain entry {i} ({d}, {l}, {e}) is out of range"));
                t._domainSummary[d] = (l, e);
            }
            return t;
        }
    }
}
