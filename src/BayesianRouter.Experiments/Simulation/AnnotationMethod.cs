using BayesianRouter.Data;

namespace BayesianRouter.Simulation;

/// <summary>What kind of labelling a method is: one fixed RM, a router (one RM per pair), an ensemble (every RM), or the oracle.</summary>
public enum MethodKind
{
    Single,
    Router,
    Ensemble,
    Oracle,
}

/// <summary>
/// How one method labelled one pair: whether its label is right, the RM it routed to (-1 for ensembles), RM calls and
/// cost spent on the pair (feedback calls included), and the pair's training weight (UWO; 1 otherwise).
/// </summary>
public readonly record struct PairOutcome(bool Correct, int Arm, int Calls, double Cost, double Weight);

/// <summary>One batch of the online stream as every method sees it.</summary>
public sealed class SimulationBatch
{
    public required IReadOnlyList<PreferencePair> Pairs { get; init; }

    /// <summary>h from the offline router of this seed (paper Eq. in section 3.2), one per pair.</summary>
    public required IReadOnlyList<double[]> Features { get; init; }

    /// <summary>Untrained features: the frozen encoder's [e + e'; |e - e'|] projected to the same size.</summary>
    public required IReadOnlyList<double[]> RawFeatures { get; init; }
}

/// <summary>A labelling method replayed on the online stream: it labels a batch, then (if it learns) takes feedback.</summary>
public abstract class AnnotationMethod(string name, MethodKind kind)
{
    public string Name { get; } = name;
    public MethodKind Kind { get; } = kind;

    /// <summary>The mean cost per pair the method runs under (the budget methods); null for the others.</summary>
    public double? Budget { get; init; }

    /// <summary>Labels every pair of the batch (and learns from the batch's feedback, for online routers).</summary>
    public abstract void Annotate(SimulationBatch batch, Span<PairOutcome> outcomes);
}
