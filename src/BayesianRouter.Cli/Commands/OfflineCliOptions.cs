using System.CommandLine;
using BayesianRouter.Data;
using BayesianRouter.Encoding;
using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Cli.Commands;

/// <summary>Options shared by the <c>offline</c> commands: training hyper-parameters, the split, the encoder.</summary>
internal sealed class OfflineCliOptions
{
    private static readonly OfflineTrainingOptions Defaults = new();

    public Option<FileInfo> Pairs { get; } = new("--pairs")
    {
        Description = "Pair file (JSON lines, see README \"The pair file\") with ground truth (\"preferred\") and the pool RMs' judgments.",
    };

    public Option<string> Pool { get; } = new("--pool")
    {
        Description = "Comma-separated RM names, in arm order, as they appear under \"judgments\" in the pair file (e.g. ArmoRM,internlm2_20b).",
    };

    public Option<double> TestFraction { get; } = new("--test-fraction")
    {
        Description = "Share of the groups (pairs sharing a prompt) held out for evaluation; a group is never split. 0.5 = half the problems.",
        DefaultValueFactory = _ => 0.5,
    };

    public Option<string> Split { get; } = SplitOption(
        "How the held-out side is drawn: random = a seeded random share of the groups (in-distribution); " +
        "domain = a seeded random share of the domains, whole (out-of-distribution), pairs without a domain by group.");

    /// <summary>The <c>--split random|domain</c> option, one vocabulary for every command.</summary>
    public static Option<string> SplitOption(string description)
    {
        var o = new Option<string>("--split") { Description = description, DefaultValueFactory = _ => "random" };
        o.AcceptOnlyFromAmong("random", "domain");
        return o;
    }

    /// <summary>The split kind named by <c>--split</c>.</summary>
    public static SplitKind ParseSplit(string? text) => text == "domain" ? SplitKind.Domain : SplitKind.Group;

    /// <summary>A seed option's value, refused when negative.</summary>
    public static int NonNegativeSeed(ParseResult r, Option<int> option)
    {
        int v = r.GetValue(option);
        if (v < 0) throw new CliUsageException($"{option.Name} {v}: seeds are whole numbers >= 0");
        return v;
    }

    public Option<int> Dim { get; } = new("--dim") { Description = "d, the size of the fused pair feature h (the BT and CLS heads have d + 1 columns: h plus a constant 1 bias feature).", DefaultValueFactory = _ => Defaults.Dimension };
    public Option<double> Lambda { get; } = new("--lambda") { Description = "Weight of the CLS loss in L_bt + lambda L_cls (paper: 0.2; 0 = the \"w/o CLS\" ablation).", DefaultValueFactory = _ => Defaults.Lambda };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the training pairs (with --validation-fraction, early stopping may stop sooner).", DefaultValueFactory = _ => Defaults.Epochs };
    /// <summary>Pairs per AdamW step: <c>--train-batch-size</c> in every command (<c>--batch-size</c> is always the online batch).</summary>
    public Option<int> BatchSize { get; } = new("--train-batch-size") { Description = "Pairs per AdamW step of offline router training.", DefaultValueFactory = _ => Defaults.BatchSize };
    public Option<double> LearningRate { get; } = new("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => Defaults.LearningRate };
    public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW decoupled weight decay (paper: 0.01).", DefaultValueFactory = _ => Defaults.WeightDecay };
    public Option<double> Dropout { get; } = new("--dropout") { Description = "Dropout probability on h during training (0 = none).", DefaultValueFactory = _ => Defaults.Dropout };
    public Option<double> EmbeddingScale { get; } = new("--embedding-scale") { Description = "Training multiplies the embedding inputs [e + e'; |e - e'|] by this (folded into W in the artifact): a smaller learning rate for the embedding weights, so the per-RM bias and the domain are learned before the weak prompt signal overfits. 1 = the paper's plain layer.", DefaultValueFactory = _ => Defaults.EmbeddingScale };
    public Option<double> ValidationFraction { get; } = new("--validation-fraction") { Description = "Share of the training groups set aside to pick the best epoch (early stopping); 0 = train on all for --epochs.", DefaultValueFactory = _ => Defaults.ValidationFraction };
    public Option<int> Patience { get; } = new("--patience") { Description = "Early stopping: epochs without a lower validation loss before training stops.", DefaultValueFactory = _ => Defaults.Patience };
    public Option<bool> UseDomain { get; } = new("--use-domain") { Description = "Give the router each pair's \"domain\" as a one-hot input beside the embeddings (domains unseen in training count as none)." };
    public Option<FusionActivation> Activation { get; } = new("--activation") { Description = "Non-linearity of the fusing layer h = act(W x + b).", DefaultValueFactory = _ => Defaults.Activation };
    public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads for training (results are reproducible for a given thread count).", DefaultValueFactory = _ => Defaults.Threads };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the held-out split and of every random draw of training (weights, shuffling, dropout, validation split).", DefaultValueFactory = _ => 1 };

    public Option<string> TuneEmbeddingScales { get; } = new("--tune-embedding-scales")
    {
        Description = "Embedding scales tried, chosen by routing accuracy on a validation part carved out of the training side (nested: the held-out or online side is never seen); \"none\" keeps --embedding-scale.",
        DefaultValueFactory = _ => "0.01,0.1,1",
    };

    public Option<string> TuneEpochs { get; } = new("--tune-epochs")
    {
        Description = "Epoch counts tried likewise; \"none\" keeps --epochs.",
        DefaultValueFactory = _ => "20,40",
    };

    public Option<double> TuneShare { get; } = new("--tune-share")
    {
        Description = "Share of the training groups (of the training domains with --split domain) held out to choose the options above and to calibrate the online stage (written into the router as online.*); the chosen options are then retrained on the whole training side.",
        DefaultValueFactory = _ => 0.25,
    };

    public Option<bool> NoShrink { get; } = new("--no-shrink")
    {
        Description = "Keep the neural offline router whatever its validation part says (by default the artifact routes by the router or the per-domain table where one is credibly more accurate than the best single RM of the offline side, else by that RM: do no harm, docs/online-model.md).",
    };

    /// <summary>Adds the nested-choice options (the candidates, the validation share, and the shrinkage to the best single RM).</summary>
    public void AddTuning(Command cmd)
    {
        cmd.Options.Add(TuneEmbeddingScales);
        cmd.Options.Add(TuneEpochs);
        cmd.Options.Add(TuneShare);
        cmd.Options.Add(NoShrink);
    }

    /// <summary>The candidate option sets of the nested choice (the base options crossed with the listed values).</summary>
    public IReadOnlyList<OfflineTrainingOptions> Candidates(ParseResult r, OfflineTrainingOptions baseOptions) =>
        NestedSelection.Grid(baseOptions, NumberList(r.GetValue(TuneEmbeddingScales)!, "--tune-embedding-scales", double.Parse),
            NumberList(r.GetValue(TuneEpochs)!, "--tune-epochs", int.Parse));

    public double ReadTuneShare(ParseResult r)
    {
        double f = r.GetValue(TuneShare);
        if (!(f > 0 && f < 1)) throw new CliUsageException($"--tune-share {f}: must lie strictly between 0 and 1");
        return f;
    }

    /// <summary>A comma-separated list of numbers, or "none" for an empty list.</summary>
    public static IReadOnlyList<T> NumberList<T>(string text, string option, Func<string, IFormatProvider, T> parse)
    {
        if (text.Trim() == "none") return [];
        try
        {
            var values = text.Split(',', StringSplitOptions.TrimEntries).Select(x => parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return values;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new CliUsageException($"{option} {text}: expected comma-separated numbers, or none");
        }
    }

    public Option<DirectoryInfo?> EncoderCache { get; } = new("--encoder-cache")
    {
        Description = "Folder of the persistent embedding cache (default: $BAYESROUTER_CACHE, else ~/.cache/bayesrouter/embeddings). A second run encodes nothing.",
    };

    public Option<int> MaxTokens { get; } = new("--max-tokens")
    {
        Description = "Encoder truncation: most tokens of prompt plus response (4-512); the prompt is cut from the left when needed.",
        DefaultValueFactory = _ => EncoderOptions.DefaultMaxTokens,
    };

    public void AddTraining(Command cmd)
    {
        foreach (var o in new Option[] { Dim, Lambda, Epochs, BatchSize, LearningRate, WeightDecay, Dropout, EmbeddingScale, ValidationFraction, Patience, UseDomain, Activation, Threads })
            cmd.Options.Add(o);
    }

    public void AddSplit(Command cmd)
    {
        cmd.Options.Add(TestFraction);
        cmd.Options.Add(Split);
    }

    public void AddEncoder(Command cmd, bool withMaxTokens)
    {
        cmd.Options.Add(EncoderCache);
        if (withMaxTokens) cmd.Options.Add(MaxTokens);
    }

    public OfflineTrainingOptions Training(ParseResult r, int seed)
    {
        var o = new OfflineTrainingOptions
        {
            Dimension = r.GetValue(Dim), Lambda = r.GetValue(Lambda), Epochs = r.GetValue(Epochs), BatchSize = r.GetValue(BatchSize),
            LearningRate = r.GetValue(LearningRate), WeightDecay = r.GetValue(WeightDecay), Dropout = r.GetValue(Dropout),
            EmbeddingScale = r.GetValue(EmbeddingScale),
            ValidationFraction = r.GetValue(ValidationFraction), Patience = r.GetValue(Patience), UseDomain = r.GetValue(UseDomain),
            Activation = r.GetValue(Activation), Threads = r.GetValue(Threads), Seed = seed,
            ShrinkToBestSingle = !r.GetValue(NoShrink),
        };
        o.Validate();
        return o;
    }

    public double ReadTestFraction(ParseResult r)
    {
        double f = r.GetValue(TestFraction);
        if (!(f > 0 && f < 1)) throw new CliUsageException($"--test-fraction {f}: must lie strictly between 0 and 1");
        return f;
    }

    /// <summary>Reads the pair file and checks every pool RM judged at least one pair.</summary>
    public static (List<PreferencePair> Pairs, IReadOnlyList<string> Pool) ReadPairs(string path, string poolText)
    {
        var pool = CliParsing.List(poolText, "--pool");
        if (pool.Count < 2) throw new CliUsageException($"--pool {poolText}: name at least 2 RMs to route between");
        var dup = pool.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new CliUsageException($"--pool names {dup.Key} twice");
        if (Directory.Exists(path))
            throw new CliUsageException($"--pairs {path}: is a folder; the offline commands read a pair file (their artifact records its SHA-256). A RewardMATH folder: bayesrouter data import rewardmath {path} -o rm.jsonl, then --pairs rm.jsonl");
        var pairs = PairFile.ReadAll(path);
        if (pairs.Count == 0) throw new InvalidDataException($"{path}: no pairs");
        var missing = PoolCoverage.Unjudged(pairs, pool);
        if (missing.Count > 0)
            throw new CliUsageException($"--pool: {string.Join(", ", missing)} judged no pair of {path} (RMs in the file: {string.Join(", ", PoolCoverage.JudgedRms(pairs))})");
        return (pairs, pool);
    }

    /// <summary>Embeds pairs with the built-in MiniLM encoder (cached), logging progress lines to the error stream.</summary>
    public static IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, int maxTokens, DirectoryInfo? cache,
        CliIO io, string? expectedEncoderId, out string encoderId)
    {
        using var embedder = CachedPairEmbedder.CreateMiniLm(new EncoderOptions { MaxTokens = maxTokens }, cache?.FullName);
        encoderId = embedder.EncoderId;
        if (expectedEncoderId != null && embedder.EncoderId != expectedEncoderId)
            throw new InvalidDataException($"the router was trained on encoder \"{expectedEncoderId}\", this build embeds with \"{embedder.EncoderId}\"");
        int lastDecile = -1;
        var progress = new SyncProgress<(int Done, int Total)>(p =>
        {
            if (p.Total == 0) return;
            int decile = (int)(10L * p.Done / p.Total);
            if (decile == lastDecile) return;
            lastDecile = decile;
            io.Err.WriteLine($"embedding: {p.Done}/{p.Total} pairs");
        });
        return embedder.Embed(pairs, progress);
    }

    /// <summary>
    /// Training progress: one line per run, redrawn in place on a terminal (the last epoch's line stays), and only the
    /// last epoch's line when the error stream is redirected.
    /// </summary>
    public static IProgress<string> TrainingProgress(CliIO io, string prefix) => new SyncProgress<string>(line =>
    {
        var epoch = line.StartsWith("epoch ", StringComparison.Ordinal) ? line["epoch ".Length..].Split(':')[0].Split('/') : [];
        bool last = epoch.Length == 2 && epoch[0] == epoch[1];
        if (io.Interactive) io.Err.Write("\r" + prefix + line + (last ? "\n" : ""));
        else if (last || epoch.Length != 2) io.Err.WriteLine(prefix + line);
    });
}
