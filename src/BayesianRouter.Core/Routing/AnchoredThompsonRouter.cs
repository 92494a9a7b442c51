using BayesianRouter.State;

namespace BayesianRouter.Routing;

/// <summary>
/// Do no harm (issue 17): Thompson sampling anchored on an incumbent. For a pair, the incumbent is the arm the offline
/// router picks (its argmax-BT choice, or the best single RM when the offline router was shrunk to it). An arm n
/// competes with the incumbent i on the pair only when the posterior gives it a credible advantage,
/// <code>
///   P(s_n > s_i | data) = Phi((m_n - m_i) / sqrt(v_n + v_i)) >= c           (c = Confidence, 0.95 by default)
/// </code>
/// with (m, v) the mean and variance of the distribution each arm's score is drawn from
/// (<see cref="IThompsonRouter.ScoreMoments"/>, independent across arms): the posterior of the arm's expected score on
/// the pair. For the paper's linear model that is the posterior of h^T w_n; for the hierarchical model, with its default
/// exploration (no draw at the prompt level), the posterior of f_n(h) plus the prompt's expected offset given the shared
/// levels, so a prompt's own fresh offset, which nothing learned can tell, does not count as evidence either way. The
/// decision is the inner router's Thompson draw restricted to these eligible arms: the argmax of the draws over {i} and
/// the credible challengers. Every arm the router may choose has a posterior mean
/// above the incumbent's (m_n - m_i >= z_c sqrt(v_n + v_i) > 0), so each decision's posterior expected accuracy is at
/// least the incumbent's, and with weak evidence (a wide posterior, or feedback as noisy as DPO losses) the router is
/// the offline router. Exploration happens only among credible challengers: the incumbent's own feedback moves its
/// posterior, and a challenger becomes eligible when the incumbent does worse than the challenger's posterior, which
/// pools what its own pairs (in the same domain, or anywhere) said.
/// <para>
/// For callers that take the argmax of the draws themselves (a live session, the cost-aware router), the draws and the
/// moments of the arms that are not eligible are moved below every eligible draw: an excluded arm's score is its
/// posterior mean minus a shift that exceeds every eligible arm's 20 standard deviations, with standard deviation 0
/// (the generator's normals are bounded by about 12 in absolute value), so the argmax over all arms is the argmax over
/// the eligible ones, the excluded arms keep their order (fallbacks), and a choice probability computed from the
/// moments (independent normals, one of them per eligible arm) is the decision's.
/// </para>
/// <para>
/// Under a budget B (<see cref="Affordable"/>) the incumbent is the offline router's pick among the RMs whose cost fits
/// B on every pair, i_B(h) = argmax_{n : c_n &lt;= B} s_n(h) with s the offline BT scores (for an artifact shrunk to the
/// best single RM, the best affordable RM by offline accuracy). The cost-aware router then spends draws only on i_B and
/// its credible challengers: an RM that costs more than i_B is bought where its posterior makes it credibly more
/// accurate, and the price decides whether it is worth its cost. The incumbent alone keeps every budget, so with weak
/// evidence the cost-aware router is the best RM the budget affords, not a gamble on the unanchored draws. An excluded
/// arm could win only where the price of a cost difference exceeds the shift below (a budget forcing a cheaper RM).
/// </para>
/// </summary>
public sealed class AnchoredThompsonRouter : RouterBase, IThompsonRouter, IKeyedRouter, ICheckpointable
{
    private readonly IThompsonRouter _inner;
    private readonly ICheckpointable _state;
    private readonly Func<double[], int> _incumbent;
    private readonly Func<double[], double[]>? _incumbentScores;
    private readonly int _featureDimension;
    private readonly double _z;

    /// <param name="inner">The model: its score distribution decides which arms are credible, its draws decide among them.</param>
    /// <param name="incumbent">The incumbent's arm for a pair, from h (the first <paramref name="featureDimension"/> entries of its context).</param>
    /// <param name="featureDimension">Length of h in the inner router's contexts.</param>
    /// <param name="confidence">The posterior probability of beating the incumbent an arm needs, in [0.5, 1).</param>
    public AnchoredThompsonRouter(IThompsonRouter inner, Func<double[], int> incumbent, int featureDimension, double confidence = DefaultConfidence)
        : this(inner, incumbent, null, featureDimension, confidence)
    {
    }

    /// <param name="incumbentScores">The scores <paramref name="incumbent"/> is an argmax of, kept for <see cref="Affordable"/>; null when unknown.</param>
    private AnchoredThompsonRouter(IThompsonRouter inner, Func<double[], int> incumbent, Func<double[], double[]>? incumbentScores, int featureDimension, double confidence)
        : base(inner?.Arms ?? throw new ArgumentNullException(nameof(inner)), inner.Dimension)
    {
        _inner = inner;
        _state = inner as ICheckpointable ?? throw new ArgumentException($"{inner.GetType().Name} cannot save its state");
        _incumbent = incumbent ?? throw new ArgumentNullException(nameof(incumbent));
        _incumbentScores = incumbentScores;
        if (featureDimension < 0 || featureDimension > inner.Dimension)
            throw new ArgumentOutOfRangeException(nameof(featureDimension), featureDimension, $"h must fit the inner router's contexts ({inner.Dimension})");
        if (!(confidence >= 0.5 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "the confidence must be in [0.5, 1)");
        _featureDimension = featureDimension;
        Confidence = confidence;
        _z = NormalQuantile(confidence);
    }

    /// <summary>
    /// Anchored on the argmax (lowest index on ties) of <paramref name="incumbentScores"/>, the offline scores of the arms
    /// for a pair computed from h: the incumbent the bayesian-router uses (<see cref="BayesianRouterFactory"/>, the offline
    /// router's BT scores), which <see cref="Affordable"/> can restrict to a budget.
    /// </summary>
    public static AnchoredThompsonRouter OnScores(IThompsonRouter inner, Func<double[], double[]> incumbentScores, int featureDimension, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(incumbentScores);
        return new AnchoredThompsonRouter(inner, h => ArgMax(incumbentScores(h)), incumbentScores, featureDimension, confidence);
    }

    /// <summary>
    /// The router a budget of <paramref name="budget"/> spends (null: no budget): an anchored router re-anchored on the
    /// incumbent the budget affords (<see cref="Affordable"/>), any other router as it is. The one place the cost-aware
    /// router, the live session and the simulation's plans take it from.
    /// </summary>
    public static IThompsonRouter UnderBudget(IThompsonRouter router, IReadOnlyList<double> costs, double? budget) =>
        budget is { } b && router is AnchoredThompsonRouter anchored ? anchored.Affordable(costs, b) : router;

    /// <summary>
    /// The same model (shared, not copied: its posterior and generator are this router's) anchored on the incumbent a
    /// budget of <paramref name="budget"/> mean cost per pair affords on every pair: the highest-scoring RM of cost at
    /// most the budget. Where every RM fits, its decisions are this router's. Needs a router built with incumbent scores.
    /// </summary>
    public AnchoredThompsonRouter Affordable(IReadOnlyList<double> costs, double budget)
    {
        ArgumentNullException.ThrowIfNull(costs);
        if (costs.Count != Arms) throw new ArgumentException($"{costs.Count} costs for a router of {Arms} arms");
        var scores = _incumbentScores ?? throw new InvalidOperationException("this anchored router was built from an incumbent function, not from incumbent scores: it cannot restrict its incumbent to a budget");
        var allowed = costs.Select(c => c <= budget).ToArray();
        if (!allowed.Any(a => a)) throw new ArgumentException($"a budget of {budget} affords no RM (the cheapest costs {costs.Min()})");
        return new AnchoredThompsonRouter(_inner, h =>
        {
            // the argmax over the affordable arms, lowest index on ties (RouterBase.ArgMax's rule)
            var s = scores(h);
            int best = -1;
            for (int n = 0; n < s.Length; n++)
                if (allowed[n] && (best < 0 || s[n] > s[best])) best = n;
            return best;
        }, scores, _featureDimension, Confidence);
    }

    /// <summary>The default confidence, 0.95 (a one-sided 95% posterior probability), fixed before any reported stream was run.</summary>
    public const double DefaultConfidence = 0.95;

    /// <summary>The posterior probability of beating the incumbent that an arm needs to be chosen.</summary>
    public double Confidence { get; }

    /// <summary>The model underneath.</summary>
    public IThompsonRouter Inner => _inner;

    /// <summary>The incumbent's arm for a context.</summary>
    public int Incumbent(double[] context)
    {
        ArgumentNullException.ThrowIfNull(context);
        int arm = _incumbent(context[.._featureDimension]);
        if (arm < 0 || arm >= Arms) throw new InvalidOperationException($"the incumbent function chose arm {arm} of {Arms}");
        return arm;
    }

    /// <summary>For every context, which arms may be chosen: the incumbent and the arms the posterior credibly prefers to it.</summary>
    public bool[][] Eligible(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        return Eligible(contexts, _inner.ScoreMoments(contexts));
    }

    private bool[][] Eligible(IReadOnlyList<double[]> contexts, ScoreMoments posterior)
    {
        var eligible = new bool[contexts.Count][];
        for (int p = 0; p < contexts.Count; p++)
        {
            int i = Incumbent(contexts[p]);
            var e = eligible[p] = new bool[Arms];
            e[i] = true;
            double mi = posterior.Mean(p, i), vi = posterior.Variance(p, i);
            for (int n = 0; n < Arms; n++)
                if (n != i && posterior.Mean(p, n) - mi >= _z * Math.Sqrt(posterior.Variance(p, n) + vi) && posterior.Mean(p, n) > mi)
                    e[n] = true;
        }
        return eligible;
    }

    /// <summary>The shift that puts the excluded arms of pair p below every draw of its eligible arms.</summary>
    private static double Shift(ScoreMoments drawn, int p, bool[] eligible)
    {
        double top = double.NegativeInfinity, floor = double.PositiveInfinity, sd = 0;
        for (int n = 0; n < eligible.Length; n++)
        {
            top = Math.Max(top, drawn.Mean(p, n));
            if (!eligible[n]) continue;
            floor = Math.Min(floor, drawn.Mean(p, n));
            sd = Math.Max(sd, drawn.StdDev(p, n));
        }
        return top - floor + 20 * sd + 1;
    }

    /// <summary>The inner router's moments with the excluded arms moved below the eligible ones (standard deviation 0).</summary>
    private ScoreMoments Anchor(ScoreMoments drawn, bool[][] eligible)
    {
        var m = new ScoreMoments(drawn.Pairs, drawn.Arms);
        for (int p = 0; p < drawn.Pairs; p++)
        {
            double shift = Shift(drawn, p, eligible[p]);
            for (int n = 0; n < Arms; n++)
            {
                bool ok = eligible[p][n];
                m.Means[p * Arms + n] = ok ? drawn.Mean(p, n) : drawn.Mean(p, n) - shift;
                m.StdDevs[p * Arms + n] = ok ? drawn.StdDev(p, n) : 0;
            }
        }
        return m;
    }

    private double[][] Anchor(double[][] draws, ScoreMoments drawn, bool[][] eligible)
    {
        for (int p = 0; p < draws.Length; p++)
        {
            double shift = Shift(drawn, p, eligible[p]);
            for (int n = 0; n < Arms; n++)
                if (!eligible[p][n]) draws[p][n] = drawn.Mean(p, n) - shift;
        }
        return draws;
    }

    /// <summary>The inner router's moments, with the arms that are not eligible moved below the eligible ones (standard deviation 0).</summary>
    public ScoreMoments ScoreMoments(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        var drawn = _inner.ScoreMoments(contexts);
        return Anchor(drawn, Eligible(contexts, drawn));
    }

    /// <inheritdoc />
    public double[][] SampleScores(IReadOnlyList<double[]> contexts)
    {
        CheckContexts(contexts, Dimension);
        var drawn = _inner.ScoreMoments(contexts);
        return Anchor(_inner.SampleScores(contexts), drawn, Eligible(contexts, drawn));
    }

    /// <inheritdoc />
    public ScoreDraws Sample(IReadOnlyList<double[]> contexts, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckContexts(contexts, Dimension);
        var inner = _inner.Sample(contexts, random);
        var eligible = Eligible(contexts, inner.Moments);
        return new ScoreDraws(Anchor(inner.Scores, inner.Moments, eligible), Anchor(inner.Moments, eligible));
    }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var scores = SampleScores(contexts);
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++) decisions[p] = new RoutingDecision(ArgMax(scores[p]), double.NaN);
        return decisions;
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback) => _inner.Update(feedback);

    /// <inheritdoc />
    public double[] Context(double[] h, string? domain, string? prompt, bool intern = true) =>
        _inner is IKeyedRouter keyed ? keyed.Context(h, domain, prompt, intern) : h;

    /// <summary>The inner router's state: the anchor holds none of its own (its decisions are a function of the posterior).</summary>
    public string StateKind => _state.StateKind;
    public int StateVersion => _state.StateVersion;
    public void WriteState(BinaryWriter writer) => _state.WriteState(writer);
    public Action ReadState(BinaryReader reader, int version) => _state.ReadState(reader, version);

    /// <summary>The standard normal quantile Phi^-1(p), by Acklam's rational approximation (relative error below 1.2e-9).</summary>
    public static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "a probability in (0, 1)");
        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        if (p < 0.02425)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p <= 1 - 0.02425)
        {
            double q = p - 0.5, r = q * q;
            return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        double t = Math.Sqrt(-2 * Math.Log(1 - p));
        return -(((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    }
}
