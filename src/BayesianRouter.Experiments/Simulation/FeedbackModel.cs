using BayesianRouter.Data;

namespace BayesianRouter.Simulation;

/// <summary>
/// What an online router learns from after each batch in the controlled simulation (paper section 4.3).
/// A live trainer feeds per-pair DPO losses (appendix B), which the router shapes per batch
/// (<see cref="Rewards.QuantileNormaliser.ShapeLosses"/>); <see cref="Dpo"/> simulates such losses from the ground
/// truth, the other kinds give the reward directly.
/// </summary>
public abstract record FeedbackModel
{
    /// <summary>Reward 1 when the chosen RM's label matches the ground truth, else 0, for every routed pair.</summary>
    public sealed record Truth : FeedbackModel
    {
        public override string ToString() => "truth";
    }

    /// <summary>
    /// Truth feedback for a seeded random share <paramref name="Share"/> of routed pairs; the rest give no update. Whether
    /// a pair is audited depends only on the run's seed and the pair's id, so every method is audited on the same pairs.
    /// </summary>
    public sealed record Audit(double Share) : FeedbackModel
    {
        public override string ToString() => $"audit:{Share.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// No ground truth: reward 1 when the chosen RM agrees with the majority of <paramref name="Others"/> other pool
    /// RMs sampled for the pair (a tie among them counts 0.5); their calls are counted as extra RM calls.
    /// </summary>
    public sealed record Agreement(int Others) : FeedbackModel
    {
        public override string ToString() => $"agreement:{Others}";
    }

    /// <summary>
    /// Rank-agreement audit, the feedback of the reward endpoints (<c>/get_reward</c>, docs/integrations.md) that a
    /// trainer gives without sending anything: a seeded share <paramref name="Share"/> of the groups (pairs sharing a
    /// prompt) is also scored by a second RM, the auditor, drawn per group from the pool's other RMs (seeded by the run's
    /// seed and the group); each audited pair's reward is its concordance with the auditor (1 when both prefer the same
    /// response, 0 when they prefer opposite ones, 0.5 when either ties), so the mean over a group's pairs routed to one RM
    /// is that RM's rank agreement with the auditor on the group (Kendall's (1 + tau) / 2). The auditor's calls are
    /// counted. No ground truth is read.
    /// </summary>
    public sealed record RankAgreement(double Share) : FeedbackModel
    {
        public override string ToString() => $"rank:{Share.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// Simulated DPO losses, shaped per batch as a live trainer's (batch-centred, then rescaled by the 20/80 quantiles of
    /// the method's past rewards to [0, 1]). The policy's implicit-reward margin on the truly preferred response is
    /// m = 1 + <paramref name="Noise"/> z, z ~ N(0, 1) drawn from the run's seed and the pair's id (the same for every
    /// method); the pair's loss is the DPO loss under the chosen RM's label, -log sigmoid(m) when the label is right and
    /// -log sigmoid(-m) when it is wrong or a tie. So a right label has the lower loss on average, and Noise sets how
    /// often a single pair's loss says the opposite.
    /// </summary>
    public sealed record Dpo(double Noise) : FeedbackModel
    {
        public override string ToString() => $"dpo:{Noise.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

        /// <summary>The loss of <paramref name="pair"/> in the run of <paramref name="seed"/> under a label that is right or not.</summary>
        public double Loss(PreferencePair pair, int seed, bool right)
        {
            var hex = StableHash.Hex($"{seed}/dpo/{pair.Id}", 26);
            double u1 = (Convert.ToUInt64(hex[..13], 16) + 0.5) / (1UL << 52), u2 = Convert.ToUInt64(hex[13..], 16) / (double)(1UL << 52);
            double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            double margin = 1 + Noise * z;
            return Softplus(right ? -margin : margin);
        }

        private static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));
    }

    /// <summary>Parses <c>truth</c>, <c>audit:P</c> (0 &lt; P &lt;= 1), <c>agreement:C</c> (C &gt;= 1), <c>rank:P</c> (0 &lt; P &lt;= 1) or <c>dpo:NOISE</c> (NOISE &gt;= 0).</summary>
    public static FeedbackModel Parse(string text)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (text == "truth") return new Truth();
        if (text.StartsWith("audit:", StringComparison.Ordinal))
        {
            if (!double.TryParse(text["audit:".Length..], System.Globalization.NumberStyles.Float, inv, out var p) || !(p > 0 && p <= 1))
                throw new ArgumentException($"--feedback {text}: the audit share must be a number in (0, 1], e.g. audit:0.25");
            return new Audit(p);
        }
        if (text.StartsWith("agreement:", StringComparison.Ordinal))
        {
            if (!int.TryParse(text["agreement:".Length..], inv, out var c) || c < 1)
                throw new ArgumentException($"--feedback {text}: the number of other RMs must be a whole number >= 1, e.g. agreement:2");
            return new Agreement(c);
        }
        if (text.StartsWith("rank:", StringComparison.Ordinal))
        {
            if (!double.TryParse(text["rank:".Length..], System.Globalization.NumberStyles.Float, inv, out var p) || !(p > 0 && p <= 1))
                throw new ArgumentException($"--feedback {text}: the audited share of groups must be a number in (0, 1], e.g. rank:0.1");
            return new RankAgreement(p);
        }
        if (text.StartsWith("dpo:", StringComparison.Ordinal))
        {
            if (!double.TryParse(text["dpo:".Length..], System.Globalization.NumberStyles.Float, inv, out var noise) || !(noise >= 0) || !double.IsFinite(noise))
                throw new ArgumentException($"--feedback {text}: the noise of the simulated DPO margin must be a finite number >= 0, e.g. dpo:1");
            return new Dpo(noise);
        }
        throw new ArgumentException($"--feedback {text}: expected truth, audit:P, agreement:C, rank:P or dpo:NOISE");
    }

    /// <summary>True when the feedback is a loss to shape per batch (<see cref="Dpo"/>), not a reward.</summary>
    public bool IsLoss => this is Dpo;

    /// <summary>
    /// The reward for one routed pair, or null when the pair gives no feedback. <paramref name="extraArms"/> lists the
    /// RMs called only to compute the feedback (agreement feedback), whose calls and costs are counted. For
    /// <see cref="Dpo"/> feedback this is the pair's loss (<see cref="IsLoss"/>): shape a batch of them into rewards.
    /// </summary>
    public double? Reward(PreferencePair pair, IReadOnlyList<string> pool, int arm, Random rng, out int[] extraArms) =>
        Reward(pair, pool, arm, rng, 0, out extraArms);

    /// <summary>Whether the audit of seed <paramref name="seed"/> checks <paramref name="pair"/> (the same for every method).</summary>
    public static bool Audited(PreferencePair pair, int seed, double share) =>
        Convert.ToUInt64(StableHash.Hex($"{seed}/audit/{pair.Id}", 13), 16) / (double)(1UL << 52) < share;

    /// <summary>The reward for one routed pair in the run of <paramref name="seed"/> (see the overload without a seed).</summary>
    public double? Reward(PreferencePair pair, IReadOnlyList<string> pool, int arm, Random rng, int seed, out int[] extraArms)
    {
        extraArms = [];
        switch (this)
        {
            case Truth:
                return pair.IsRight(pool[arm]) ? 1 : 0;
            case Dpo d:
                return d.Loss(pair, seed, pair.IsRight(pool[arm]));
            case Audit a:
                return Audited(pair, seed, a.Share) ? (pair.IsRight(pool[arm]) ? 1 : 0) : null;
            case Agreement g:
            {
                var others = Enumerable.Range(0, pool.Count).Where(n => n != arm).ToArray();
                if (g.Others > others.Length)
                    throw new ArgumentException($"--feedback {g}: the pool has only {others.Length} other RMs");
                int c = g.Others;
                rng.Shuffle(others);
                extraArms = others[..c];
                var chosen = Prefers(pair, pool[arm]);
                int forA = 0, forB = 0;
                for (int k = 0; k < c; k++)
                {
                    var p = Prefers(pair, pool[others[k]]);
                    if (p == Preference.A) forA++;
                    else if (p == Preference.B) forB++;
                }
                if (forA == forB) return 0.5;
                var majority = forA > forB ? Preference.A : Preference.B;
                return chosen == majority ? 1 : 0;
            }
            case RankAgreement r:
            {
                if (pool.Count < 2) throw new ArgumentException($"--feedback {r}: rank-agreement audits need a second RM in the pool");
                if (!(Fraction($"{seed}/rank/{pair.Group}") < r.Share)) return null;
                // the auditor: one of the other RMs, fixed per (seed, group) for a given chosen RM
                int k = (int)(Fraction($"{seed}/rank-auditor/{pair.Group}") * (pool.Count - 1));
                int auditor = k < arm ? k : k + 1;
                extraArms = [auditor];
                var chosen = Prefers(pair, pool[arm]);
                var audit = Prefers(pair, pool[auditor]);
                return chosen == Preference.Tie || audit == Preference.Tie ? 0.5 : chosen == audit ? 1 : 0;
            }
            default:
                throw new InvalidOperationException(ToString());
        }
    }

    private static double Fraction(string key) => Convert.ToUInt64(StableHash.Hex(key, 13), 16) / (double)(1UL << 52);

    private static Preference Prefers(PreferencePair pair, string rm) =>
        pair.Judgments.TryGetValue(rm, out var j) ? j.Prefers() : Preference.Tie;
}
