using BayesianRouter.Data;

namespace BayesianRouter.Offline;

/// <summary>
/// The behaviour data D_beh of paper section 3.2 for a pool: delta[i, n] = 1 when RM n strictly prefers pair i's
/// ground-truth response (a tie is 0), and whether that label is known at all (the pair has a ground truth and
/// RM n judged it). Row-major [pairs, pool].
/// </summary>
public sealed record BehaviourLabels(int Pairs, int Arms, double[] Delta, double[] Known)
{
    public static BehaviourLabels Of(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<string> pool)
    {
        int m = pairs.Count, n = pool.Count;
        var delta = new double[m * n];
        var known = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            var p = pairs[i];
            if (p.Preferred is null) continue;
            for (int k = 0; k < n; k++)
            {
                if (!p.Judgments.ContainsKey(pool[k])) continue;
                known[i * n + k] = 1;
                delta[i * n + k] = p.IsRight(pool[k]) ? 1 : 0;
            }
        }
        return new BehaviourLabels(m, n, delta, known);
    }

    /// <summary>|D_bt|: the ordered (pair, n, n') triples with RM n right and RM n' known and wrong (Eq. 2).</summary>
    public long DisagreementCount()
    {
        long total = 0;
        for (int i = 0; i < Pairs; i++)
        {
            int right = 0, wrong = 0;
            for (int k = 0; k < Arms; k++)
            {
                if (Known[i * Arms + k] == 0) continue;
                if (Delta[i * Arms + k] == 1) right++; else wrong++;
            }
            total += (long)right * wrong;
        }
        return total;
    }

    /// <summary>Per RM, the share of its known labels that are right (NaN where none is known).</summary>
    public double[] Accuracy()
    {
        var acc = new double[Arms];
        for (int k = 0; k < Arms; k++)
        {
            double r = 0, c = 0;
            for (int i = 0; i < Pairs; i++) { r += Delta[i * Arms + k]; c += Known[i * Arms + k]; }
            acc[k] = c == 0 ? double.NaN : r / c;
        }
        return acc;
    }
}
