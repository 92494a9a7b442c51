namespace BayesianRouter.Offline;

/// <summary>Options of offline router training (paper section 3.2 and appendix A.1; defaults noted per field).</summary>
public sealed record OfflineTrainingOptions
{
    /// <summary>Dimension d of the fused pair feature h (before the constant bias feature is appended).</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>Weight lambda of the CLS loss in L_bt + lambda L_cls (paper: 0.2; 0 = the "w/o CLS" ablation).</summary>
    public double Lambda { get; init; } = 0.2;

    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW weight decay (paper: 0.01).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Feed the pair's domain (one-hot) to the fusing layer beside [e + e'; |e - e'|].</summary>
    public bool UseDomain { get; init; }

    public int Seed { get; init; } = 1;

    public FusionActivation Activation { get; init; } = FusionActivation.Tanh;
}

/// <summary>The non-linearity of the single fusing layer h = act(W x + b).</summary>
public enum FusionActivation
{
    Identity,
    Tanh,
    Relu,
}
