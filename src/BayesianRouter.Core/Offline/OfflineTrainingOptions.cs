using System.Globalization;
using System.Text.Json;

namespace BayesianRouter.Offline;

/// <summary>Options of offline router training (paper section 3.2 and appendix A.1; defaults noted per field).</summary>
public sealed record OfflineTrainingOptions
{
    /// <summary>Dimension d of the fused pair feature h (before the constant bias feature is appended).</summary>
    public int Dimension { get; init; } = 16;

    /// <summary>Weight lambda of the CLS loss in L_bt + lambda L_cls (paper: 0.2; 0 = the "w/o CLS" ablation).</summary>
    public double Lambda { get; init; } = 0.2;

    /// <summary>Passes over the training pairs (early stopping, when on, may end sooner).</summary>
    public int Epochs { get; init; } = 40;

    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>AdamW weight decay (paper: 0.01).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Dropout probability on the fused features h during training (0 = none).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>
    /// Share of the training groups held out (seeded, by group) to pick the epoch with the lowest validation
    /// loss (early stopping); 0 (default) trains on every pair for <see cref="Epochs"/> epochs. On RewardMATH a
    /// validation share of 0.2 cost more than it saved (docs/offline-router.md): the validation loss of ~50
    /// problems is too noisy to pick an epoch, and the training side loses a fifth of its problems.
    /// </summary>
    public double ValidationFraction { get; init; }

    /// <summary>Early stopping: stop after this many epochs without a better validation loss.</summary>
    public int Patience { get; init; } = 8;

    /// <summary>
    /// Training multiplies the embedding part [e + e'; |e - e'|] of the fusing layer's input by this constant (the
    /// artifact folds it into W, so routing is unchanged). AdamW moves every weight at about the same rate, so the
    /// 2 x 384 embedding inputs move h far faster than a one-hot domain or the per-RM bias; with a weak prompt signal
    /// that fits noise within an epoch. A small scale is a smaller learning rate for the embedding weights: the router
    /// learns the bias and the domain first and takes from the embeddings only what holds up (docs/offline-router.md).
    /// 1 = the paper's plain layer.
    /// </summary>
    public double EmbeddingScale { get; init; } = 0.01;

    /// <summary>Feed the pair's domain (one-hot) to the fusing layer beside [e + e'; |e - e'|].</summary>
    public bool UseDomain { get; init; }

    /// <summary>
    /// Do no harm (issue 17): the nested choice's validation part picks what the artifact routes by: the router or the
    /// per-domain table where one is credibly more accurate than the best single RM of the offline side, else that RM
    /// (<see cref="NestedSelection"/>, <see cref="OfflineRouter.WithDomainTable"/>, <see cref="OfflineRouter.ShrinkToSingle"/>).
    /// Default on; false keeps the neural router whatever its validation says.
    /// </summary>
    public bool ShrinkToBestSingle { get; init; } = true;

    /// <summary>Seeds every random draw of training: initial weights, shuffling, dropout, the validation split.</summary>
    public int Seed { get; init; } = 1;

    public FusionActivation Activation { get; init; } = FusionActivation.Tanh;

    /// <summary>CPU threads for the training maths (results are reproducible for a given thread count). One is fastest for
    /// these small matrices, and much faster when other work shares the cores.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>The encoder that produced the embeddings (recorded in the artifact; the router refuses other encoders).</summary>
    public string EncoderId { get; init; } = "unknown";

    /// <summary>The encoder's truncation in tokens (recorded in the artifact).</summary>
    public int MaxTokens { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"training option {name} = {value}: {rule}");
        }
        Require(Dimension >= 1, "dimension", Dimension, "must be at least 1");
        Require(Lambda >= 0 && double.IsFinite(Lambda), "lambda", Lambda, "must be a finite number >= 0");
        Require(Epochs >= 1, "epochs", Epochs, "must be at least 1");
        Require(BatchSize >= 1, "batch size", BatchSize, "must be at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "learning rate", LearningRate, "must be > 0");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), "weight decay", WeightDecay, "must be >= 0");
        Require(Dropout >= 0 && Dropout < 1, "dropout", Dropout, "must lie in [0, 1)");
        Require(ValidationFraction >= 0 && ValidationFraction < 1, "validation fraction", ValidationFraction, "must lie in [0, 1)");
        Require(Patience >= 1, "patience", Patience, "must be at least 1");
        Require(Threads >= 1, "threads", Threads, "must be at least 1");
        Require(EmbeddingScale > 0 && double.IsFinite(EmbeddingScale), "embedding scale", EmbeddingScale, "must be a finite number > 0");
    }

    /// <summary>The options as one JSON object (artifact metadata).</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Reads options written by <see cref="ToJson"/>.</summary>
    public static OfflineTrainingOptions FromJson(string json) =>
        JsonSerializer.Deserialize<OfflineTrainingOptions>(json) ?? throw new InvalidDataException("empty training options");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"d={Dimension} lambda={Lambda} epochs={Epochs} batch={BatchSize} lr={LearningRate} wd={WeightDecay} dropout={Dropout} embedding-scale={EmbeddingScale} val={ValidationFraction} patience={Patience} domain={UseDomain} shrink={ShrinkToBestSingle} seed={Seed}");
}

/// <summary>The non-linearity of the single fusing layer h = act(W x + b).</summary>
public enum FusionActivation
{
    Identity,
    Tanh,
    Relu,
}
