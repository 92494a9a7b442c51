using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BayesianRouter.Features;
using BayesianRouter.IO;

namespace BayesianRouter.Offline;

/// <summary>
/// The trained offline router (paper section 3.2), evaluated without libtorch: the fusing layer
/// h = act(W [e + e'; |e - e'|; onehot(domain)] + b), a constant 1 appended to h (so each head row carries a
/// per-RM bias: the fallback to the globally best RM where h says nothing), the BT head E_bt (ability scores
/// s_n = &lt;h, E_bt[n]&gt;, Eq. 2) and the CLS head E_cls (logits z_n = &lt;h, E_cls[n]&gt;, Eq. 3).
/// E_bt is the prior mean of the online router (section 3.4).
/// </summary>
public sealed class OfflineRouter
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "BAYESROUTER-OFFLINE\n"u8.ToArray();

    public OfflineRouter(
        IReadOnlyList<string> pool, string encoderId, int encoderDimension, int maxTokens,
        IReadOnlyList<string> domains, FusionActivation activation, int fusedDimension,
        double[] w, double[] b, double[] ebt, double[] ecls, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Pool = pool.ToArray();
        EncoderId = encoderId;
        EncoderDimension = encoderDimension;
        MaxTokens = maxTokens;
        Domains = domains.ToArray();
        Activation = activation;
        FusedDimension = fusedDimension;
        Check(w.Length == fusedDimension * InputDimension, "W", w.Length, fusedDimension * InputDimension);
        Check(b.Length == fusedDimension, "b", b.Length, fusedDimension);
        Check(ebt.Length == Pool.Count * FeatureDimension, "E_bt", ebt.Length, Pool.Count * FeatureDimension);
        Check(ecls.Length == Pool.Count * FeatureDimension, "E_cls", ecls.Length, Pool.Count * FeatureDimension);
        if (w.Concat(b).Concat(ebt).Concat(ecls).Any(x => !double.IsFinite(x)))
            throw new InvalidDataException("offline router weights must be finite");
        W = w; B = b; Ebt = ebt; Ecls = ecls;
        Metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
    }

    private static void Check(bool ok, string what, int got, int want)
    {
        if (!ok) throw new InvalidDataException($"offline router: {what} has {got} values, expected {want}");
    }

    /// <summary>RM names, in arm order.</summary>
    public IReadOnlyList<string> Pool { get; }
    public string EncoderId { get; }
    public int EncoderDimension { get; }
    public int MaxTokens { get; }

    /// <summary>Domain vocabulary of the one-hot domain input; empty when the router does not read domains.</summary>
    public IReadOnlyList<string> Domains { get; }
    public FusionActivation Activation { get; }

    /// <summary>d: outputs of the fusing layer.</summary>
    public int FusedDimension { get; }

    /// <summary>Length of h as the heads and the online router see it: d plus the constant bias feature.</summary>
    public int FeatureDimension => FusedDimension + 1;

    /// <summary>Inputs of the fusing layer: 2 x encoder dimension, plus one per known domain.</summary>
    public int InputDimension => 2 * EncoderDimension + Domains.Count;

    /// <summary>Fusing layer weights, row-major [FusedDimension, InputDimension].</summary>
    public double[] W { get; }
    public double[] B { get; }

    /// <summary>BT head, row-major [Pool.Count, FeatureDimension].</summary>
    public double[] Ebt { get; }

    /// <summary>CLS head, row-major [Pool.Count, FeatureDimension].</summary>
    public double[] Ecls { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The fusing layer's input x = [e + e'; |e - e'|; onehot(domain)] (an unknown domain is all zeros).</summary>
    public double[] FusionInput(PairEmbedding embedding, string? domain)
    {
        if (embedding.E.Length != EncoderDimension || embedding.EPrime.Length != EncoderDimension)
            throw new ArgumentException($"embedding has dimension {embedding.E.Length}, the router expects {EncoderDimension}");
        return FusionInput(embedding, domain, Domains);
    }

    /// <summary>
    /// x = [e + e'; |e - e'|; onehot(domain over <paramref name="domains"/>)]: the input layout shared by the
    /// trainer and the artifact (an unknown or missing domain is all zeros).
    /// </summary>
    public static double[] FusionInput(PairEmbedding embedding, string? domain, IReadOnlyList<string> domains)
    {
        if (embedding.E.Length != embedding.EPrime.Length)
            throw new ArgumentException($"e has dimension {embedding.E.Length} but e' has {embedding.EPrime.Length}");
        var fused = embedding.FusionInput();
        if (domains.Count == 0) return fused;
        var x = new double[fused.Length + domains.Count];
        fused.CopyTo(x, 0);
        if (domain != null)
        {
            for (int k = 0; k < domains.Count; k++)
                if (domains[k] == domain) x[fused.Length + k] = 1;
        }
        return x;
    }

    /// <summary>The argmax-BT arm for every pair (embeddings aligned with pairs; the pair supplies its domain).</summary>
    public int[] Route(IReadOnlyList<PairEmbedding> embeddings, IReadOnlyList<Data.PreferencePair> pairs)
    {
        if (embeddings.Count != pairs.Count)
            throw new ArgumentException($"{embeddings.Count} embeddings for {pairs.Count} pairs");
        var choices = new int[pairs.Count];
        for (int i = 0; i < choices.Length; i++) choices[i] = Choose(Features(embeddings[i], pairs[i].Domain));
        return choices;
    }

    /// <summary>The same router with <paramref name="extra"/> added to (or replacing entries of) its metadata.</summary>
    public OfflineRouter WithMetadata(IReadOnlyDictionary<string, string> extra)
    {
        var merged = new Dictionary<string, string>(Metadata, StringComparer.Ordinal);
        foreach (var (k, v) in extra) merged[k] = v;
        return new OfflineRouter(Pool, EncoderId, EncoderDimension, MaxTokens, Domains, Activation, FusedDimension,
            W, B, Ebt, Ecls, merged);
    }

    /// <summary>The metadata key naming the RM a shrunk router always routes to (<see cref="ShrinkToSingle"/>).</summary>
    public const string ShrunkToKey = "offline.shrunk_to";

    /// <summary>The RM this router was shrunk to (<see cref="ShrinkToSingle"/>), or null for a router that reads h.</summary>
    public string? ShrunkTo => Metadata.TryGetValue(ShrunkToKey, out var rm) ? rm : null;

    /// <summary>
    /// The same router shrunk to the best single RM of <paramref name="accuracies"/> (issue 17, do no harm): its heads
    /// keep only the bias column, set to each RM's log-odds of being right there, logit(clamp(accuracy, 0.01, 0.99)), so
    /// every pair is routed to that RM (<see cref="ArmAccuracies.Best"/>, lowest index on ties), the BT scores and CLS
    /// logits no longer depend on the pair, and the online stage starts from the RMs' accuracies (the hierarchical
    /// model's prior prediction, the paper model's prior mean). The fusing layer is kept: h still describes the pair
    /// for an online model that learns on it. Taken where the router's own validation part says it is not better than
    /// that RM (<see cref="NestedSelection"/>).
    /// </summary>
    public OfflineRouter ShrinkToSingle(ArmAccuracies accuracies)
    {
        ArgumentNullException.ThrowIfNull(accuracies);
        if (!accuracies.Pool.SequenceEqual(Pool, StringComparer.Ordinal))
            throw new ArgumentException($"the accuracies are for the pool ({string.Join(",", accuracies.Pool)}), not this router's ({string.Join(",", Pool)})");
        var head = new double[Pool.Count * FeatureDimension];
        for (int n = 0; n < Pool.Count; n++)
        {
            double acc = accuracies.Pairs == 0 ? 0.5 : Math.Clamp(accuracies.Accuracy(n), 0.01, 0.99);
            head[n * FeatureDimension + FusedDimension] = Math.Log(acc / (1 - acc));
        }
        var meta = new Dictionary<string, string>(Metadata, StringComparer.Ordinal) { [ShrunkToKey] = Pool[accuracies.Best] };
        meta.Remove(DomainTableKey);
        meta.Remove(DomainTablePseudoPairsKey);
        return new OfflineRouter(Pool, EncoderId, EncoderDimension, MaxTokens, Domains, Activation, FusedDimension, W, B, head, (double[])head.Clone(), meta);
    }

    /// <summary>The metadata key holding a per-domain router's picks (<see cref="WithDomainTable"/>): a JSON object, domain -> RM.</summary>
    public const string DomainTableKey = "offline.domain_table";

    /// <summary>The metadata key holding the pseudo-pairs of a per-domain router's table (<see cref="DomainTable.PseudoPairs"/>).</summary>
    public const string DomainTablePseudoPairsKey = "offline.domain_table_pseudo_pairs";

    /// <summary>
    /// For a router that routes by a per-domain table (<see cref="WithDomainTable"/>), the RM it picks in each domain of
    /// its vocabulary (any other domain gets the best single RM); null for a router that reads h or is shrunk to one RM.
    /// </summary>
    public IReadOnlyDictionary<string, string>? DomainTablePicks =>
        Metadata.TryGetValue(DomainTableKey, out var json) ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) : null;

    /// <summary>
    /// The same router made to route by a per-domain table (issue 17, do no harm: the per-domain incumbent). The fusing
    /// layer gains one output per domain of <see cref="Domains"/> that reads only that domain's one-hot input
    /// (h_{d+k} = act(1) on the domain's pairs, act(0) = 0 elsewhere), and the heads read only those outputs and the bias
    /// column: E[n, d + k] = (logit p_nk - logit p_n) / act(1) and E[n, bias] = logit p_n, with p_nk and p_n the table's
    /// shrunk and overall accuracies (<see cref="DomainTable.Scores"/>). So the BT scores and CLS logits of a pair in
    /// domain k are the table's log-odds there, its argmax is the table's pick, and a pair of a domain outside the
    /// vocabulary (or none) gets the scores of <see cref="ShrinkToSingle"/>: the best single RM. The online stage starts
    /// from these scores (the hierarchical model's prior prediction, the paper model's prior mean) and the anchor from
    /// the table's pick. The first d outputs of the fusing layer are kept (h still describes the pair; the heads give
    /// them weight 0). The artifact's format does not change: an older build routes it the same way.
    /// </summary>
    public OfflineRouter WithDomainTable(DomainTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!table.Pool.SequenceEqual(Pool, StringComparer.Ordinal))
            throw new ArgumentException($"the table is for the pool ({string.Join(",", table.Pool)}), not this router's ({string.Join(",", Pool)})");
        if (Domains.Count == 0) throw new ArgumentException("the router reads no domain (trained without --use-domain): a per-domain table cannot be encoded");
        int domains = Domains.Count, d = FusedDimension, fused = d + domains, input = InputDimension, feature = fused + 1;
        var w = new double[fused * input];
        W.CopyTo(w, 0);
        for (int k = 0; k < domains; k++) w[(d + k) * input + 2 * EncoderDimension + k] = 1;
        var b = new double[fused];
        B.CopyTo(b, 0);
        double one = Activate(Activation, 1);
        var head = new double[Pool.Count * feature];
        var picks = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int n = 0; n < Pool.Count; n++)
        {
            double overall = DomainTable.Logit(table.OverallAccuracy(n));
            head[n * feature + fused] = overall;
            for (int k = 0; k < domains; k++)
                head[n * feature + d + k] = (table.Scores(Domains[k])[n] - overall) / one;
        }
        var meta = new Dictionary<string, string>(Metadata, StringComparer.Ordinal);
        meta.Remove(ShrunkToKey);
        var routed = new OfflineRouter(Pool, EncoderId, EncoderDimension, MaxTokens, Domains, Activation, fused, w, b, head, (double[])head.Clone(), meta);
        // the picks as the artifact routes them (the first d outputs have weight 0, so only the domain decides)
        for (int k = 0; k < domains; k++)
        {
            var h = new double[feature];
            h[d + k] = one;
            h[fused] = 1;
            picks[Domains[k]] = Pool[routed.Choose(h)];
        }
        meta[DomainTableKey] = JsonSerializer.Serialize(new SortedDictionary<string, string>(picks, StringComparer.Ordinal));
        meta[DomainTablePseudoPairsKey] = table.PseudoPairs.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return routed.WithMetadata(meta);
    }

    private static double Activate(FusionActivation activation, double s) => activation switch
    {
        FusionActivation.Tanh => Math.Tanh(s),
        FusionActivation.Relu => Math.Max(0, s),
        _ => s,
    };

    /// <summary>h = [act(W x + b); 1], length <see cref="FeatureDimension"/>.</summary>
    public double[] Features(PairEmbedding embedding, string? domain)
    {
        var x = FusionInput(embedding, domain);
        var h = new double[FeatureDimension];
        int n = InputDimension;
        for (int r = 0; r < FusedDimension; r++)
        {
            double s = B[r];
            var row = W.AsSpan(r * n, n);
            for (int c = 0; c < n; c++) s += row[c] * x[c];
            h[r] = Activate(Activation, s);
        }
        h[FusedDimension] = 1.0;
        return h;
    }

    /// <summary>BT ability scores s_n = &lt;h, E_bt[n]&gt; for every RM of the pool.</summary>
    public double[] BtScores(double[] h) => Head(Ebt, h);

    /// <summary>CLS logits z_n = &lt;h, E_cls[n]&gt;: log-odds that RM n is right on the pair.</summary>
    public double[] ClsLogits(double[] h) => Head(Ecls, h);

    /// <summary>Row n of E_bt: the prior mean of arm n's weight vector in the online router.</summary>
    public double[] BtRow(int arm) => Ebt.AsSpan(arm * FeatureDimension, FeatureDimension).ToArray();

    /// <summary>The arm with the highest BT score (lowest index on ties).</summary>
    public int Choose(double[] h)
    {
        var s = BtScores(h);
        int best = 0;
        for (int n = 1; n < s.Length; n++) if (s[n] > s[best]) best = n;
        return best;
    }

    private double[] Head(double[] e, double[] h)
    {
        if (h.Length != FeatureDimension) throw new ArgumentException($"h has dimension {h.Length}, expected {FeatureDimension}");
        var s = new double[Pool.Count];
        for (int n = 0; n < s.Length; n++)
        {
            double acc = 0;
            var row = e.AsSpan(n * FeatureDimension, FeatureDimension);
            for (int k = 0; k < row.Length; k++) acc += row[k] * h[k];
            s[n] = acc;
        }
        return s;
    }

    /// <summary>
    /// Writes the artifact atomically: magic line, format version, a JSON header (names, sizes, metadata), the
    /// weights as little-endian float64, and a SHA-256 of everything before it.
    /// </summary>
    public void Save(string path) => AtomicFile.Write(path, s =>
    {
        var bytes = ToBytes();
        s.Write(bytes);
    });

    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            var header = JsonSerializer.SerializeToUtf8Bytes(new Header(
                Pool.ToArray(), EncoderId, EncoderDimension, MaxTokens, Domains.ToArray(), Activation.ToString(),
                FusedDimension, new SortedDictionary<string, string>(Metadata.ToDictionary(), StringComparer.Ordinal)));
            w.Write(header.Length);
            w.Write(header);
            foreach (var array in new[] { W, B, Ebt, Ecls })
                foreach (var x in array) w.Write(x);
        }
        var body = ms.ToArray();
        return [.. body, .. SHA256.HashData(body)];
    }

    public static OfflineRouter Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such router file", path);
        try
        {
            return FromBytes(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"{path}: not a valid offline router file ({e.Message})", e);
        }
    }

    public static OfflineRouter FromBytes(byte[] bytes)
    {
        if (bytes.Length < Magic.Length + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException("not a BayesianRouter offline router (bad magic)");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new InvalidDataException("checksum mismatch: the file is corrupt or truncated");
        using var r = new BinaryReader(new MemoryStream(body.ToArray()));
        r.ReadBytes(Magic.Length);
        int version = r.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"format version {version} is not supported (this build reads {FormatVersion})");
        int headerLength = r.ReadInt32();
        var h = JsonSerializer.Deserialize<Header>(r.ReadBytes(headerLength)) ?? throw new InvalidDataException("empty header");
        var activation = Enum.Parse<FusionActivation>(h.Activation);
        int input = 2 * h.EncoderDimension + h.Domains.Length, feat = h.FusedDimension + 1, n = h.Pool.Length;
        double[] Read(int count)
        {
            var a = new double[count];
            for (int i = 0; i < count; i++) a[i] = r.ReadDouble();
            return a;
        }
        var wts = Read(h.FusedDimension * input);
        var bias = Read(h.FusedDimension);
        var ebt = Read(n * feat);
        var ecls = Read(n * feat);
        if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("trailing bytes after the weights");
        return new OfflineRouter(h.Pool, h.EncoderId, h.EncoderDimension, h.MaxTokens, h.Domains, activation,
            h.FusedDimension, wts, bias, ebt, ecls, h.Metadata);
    }

    private sealed record Header(
        string[] Pool, string EncoderId, int EncoderDimension, int MaxTokens, string[] Domains, string Activation,
        int FusedDimension, SortedDictionary<string, string> Metadata);
}
