using static TorchSharp.torch;

namespace BayesianRouter.Training;

/// <summary>The multi-task objective of paper section 3.2: L = L_bt + lambda L_cls.</summary>
internal static class MultiTaskLoss
{
    /// <summary>
    /// Eq. 2 over the batch's disagreement triples (i, n, n') with delta[i,n] = 1 and delta[i,n'] = 0 (both
    /// known): -mean log sigma(s[i,n] - s[i,n']). Zero when the batch has no disagreement.
    /// </summary>
    public static Tensor BradleyTerry(Tensor scores, Tensor delta, Tensor known)
    {
        var diff = scores.unsqueeze(2).sub(scores.unsqueeze(1));                  // [B, N, N]: s_n - s_n'
        var wrong = known.sub(delta);                                               // known and not right
        var triples = delta.unsqueeze(2).mul(wrong.unsqueeze(1));                    // [B, N, N] indicator
        var count = triples.sum().ClampMin(1.0);
        return nn.functional.logsigmoid(diff).mul(triples).sum().neg().div(count);
    }

    /// <summary>Eq. 3: per-RM binary cross-entropy of the CLS logits on every known behaviour label.</summary>
    public static Tensor Classification(Tensor logits, Tensor delta, Tensor known)
    {
        var bce = nn.functional.binary_cross_entropy_with_logits(logits, delta, weight: known, reduction: nn.Reduction.Sum);
        return bce.div(known.sum().ClampMin(1.0));
    }

    public static Tensor Total(Tensor scores, Tensor logits, Tensor delta, Tensor known, double lambda)
    {
        var bt = BradleyTerry(scores, delta, known);
        return lambda == 0 ? bt : bt.Plus(Classification(logits, delta, known).Mul(lambda));
    }
}
