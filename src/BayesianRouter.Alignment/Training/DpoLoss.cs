using BayesianRouter.Training;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Training;

/// <summary>
/// The DPO loss (Rafailov et al. 2023; the paper's Eq. 1): for a pair with preferred y_w and rejected y_l,
/// L = -log sigma(beta [(log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))]).
/// </summary>
public static class DpoLoss
{
    /// <summary>The margin beta [(pi_w - ref_w) - (pi_l - ref_l)] per pair.</summary>
    public static Tensor Margin(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected, double beta) =>
        policyChosen.Plus(refChosen.neg()).Plus(policyRejected.Plus(refRejected.neg()).neg()).Mul(beta);

    /// <summary>Per-pair losses -log sigma(margin), [n].</summary>
    public static Tensor PerPair(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected, double beta) =>
        FromMargins(Margin(policyChosen, policyRejected, refChosen, refRejected, beta));

    /// <summary>-log sigma(m) per pair (stable; no number enters as an implicit TorchSharp Scalar).</summary>
    public static Tensor FromMargins(Tensor margins) => nn.functional.logsigmoid(margins).neg();

    /// <summary>The weighted mean loss sum_i w_i L_i / sum_i w_i (weights: UWO's consensus; 1 otherwise).</summary>
    public static Tensor Mean(Tensor perPair, Tensor? weights = null)
    {
        if (weights is null) return perPair.mean();
        return (perPair * weights).sum() / weights.sum().ClampMin(1e-12);
    }

    /// <summary>The loss of a pair for either labelling from its margin under label "a preferred" (m): L(a) = softplus(-m), L(b) = softplus(m).</summary>
    public static (double IfA, double IfB) BothLabels(double marginIfA) => (Softplus(-marginIfA), Softplus(marginIfA));

    /// <summary>log(1 + e^x), stable for large |x|.</summary>
    public static double Softplus(double x) => x > 30 ? x : x < -30 ? Math.Exp(x) : Math.Log(1 + Math.Exp(x));
}
