namespace BayesianRouter.Routing;

/// <summary>
/// A router's choice for one pair: the arm (index of an RM in the pool) and the probability with which the
/// router's policy picks that arm for this context. Deterministic routers give 1; Thompson sampling gives a
/// seeded Monte-Carlo estimate when asked (<see cref="double.NaN"/> when not estimated).
/// </summary>
public readonly record struct RoutingDecision(int Arm, double Probability);

/// <summary>The feedback for one routed pair: its context, the arm that labelled it, and the (shaped) reward.</summary>
public readonly record struct ArmFeedback(double[] Context, int Arm, double Reward);
