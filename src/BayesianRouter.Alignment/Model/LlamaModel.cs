using BayesianRouter.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Model;

/// <summary>
/// A Llama-family decoder (SmolLM2, Llama 2/3 layout) in one file, in the spirit of nanoGPT: token embedding, then per
/// layer x += Attn(RMSNorm(x)) and x += SwiGLU(RMSNorm(x)), a final RMSNorm and the language-model head (optionally
/// tied to the embedding). Attention is causal, grouped-query (num_key_value_heads shared by num_attention_heads /
/// num_key_value_heads query heads each) with rotary positions (the Hugging Face "rotate half" convention).
/// <para>
/// Weights live in one dictionary under their Hugging Face names (<c>model.layers.0.self_attn.q_proj.weight</c>, ...),
/// so a <c>model.safetensors</c> loads and saves without renaming. LoRA adapters (<see cref="LoraOptions"/>) add
/// (alpha / r) B A beside chosen projections; with <see cref="AdaptersEnabled"/> false the same object computes the
/// base model, which is the DPO reference policy: no second copy of the weights.
/// </para>
/// Not thread-safe: one model per thread. Tensors are float32 on the CPU. No operation takes a number as an implicit
/// TorchSharp Scalar (tensor + tensor included, whose alpha = 1 is one): TorchSharp 0.107 may finalize such a temporary
/// while libtorch still reads it and the process aborts, so numbers go through <see cref="ScalarOps"/> or 0-d tensors.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly Dictionary<string, Parameter> _weights;
    private readonly Dictionary<string, (Parameter A, Parameter B)> _adapters = new(StringComparer.Ordinal);
    private readonly Tensor _invFreq;
    private readonly Tensor _maskedOut, _kept; // 0-d: the additive mask's two values
    private double _loraScale;

    /// <summary>The projections LoRA may target, by their Hugging Face names.</summary>
    public static readonly IReadOnlyList<string> Projections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    private LlamaModel(LlamaConfig config, Dictionary<string, Parameter> weights)
    {
        config.Validate();
        Config = config;
        _weights = weights;
        int half = config.HeadWidth / 2;
        // inv_freq_i = theta^(-2i / head_dim), i = 0 .. head_dim/2 - 1
        var invFreq = Enumerable.Range(0, half).Select(i => (float)Math.Pow(config.RopeTheta, -2.0 * i / config.HeadWidth)).ToArray();
        _invFreq = torch.tensor(invFreq).DetachFromDisposeScope();
        _maskedOut = torch.tensor(-1e9f).DetachFromDisposeScope();
        _kept = torch.tensor(0f).DetachFromDisposeScope();
        CheckShapes();
    }

    public LlamaConfig Config { get; }

    /// <summary>When false, forward passes ignore the LoRA adapters: the reference policy.</summary>
    public bool AdaptersEnabled { get; set; } = true;

    /// <summary>The LoRA setting, or null without adapters.</summary>
    public LoraOptions? Lora { get; private set; }

    /// <summary>The base weights by Hugging Face name (tied models have no <c>lm_head.weight</c>).</summary>
    public IReadOnlyDictionary<string, Parameter> Weights => _weights;

    /// <summary>What training updates: the adapters when there are any, else every base weight.</summary>
    public IReadOnlyList<Parameter> TrainableParameters() =>
        _adapters.Count > 0 ? _adapters.Values.SelectMany(a => new[] { a.A, a.B }).ToArray() : _weights.Values.ToArray();

    public long ParameterCount => _weights.Values.Sum(p => p.numel());

    /// <summary>A new model with weights drawn like Hugging Face's initialiser (normal, std 0.02; norms 1).</summary>
    public static LlamaModel CreateRandom(LlamaConfig config, long seed)
    {
        config.Validate();
        using var g = new Generator((ulong)seed);
        var w = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var (name, shape) in ExpectedShapes(config))
        {
            using var scope = torch.NewDisposeScope();
            var t = name.EndsWith("norm.weight", StringComparison.Ordinal)
                ? torch.ones(shape)
                : torch.randn(shape, generator: g).Mul(0.02);
            w[name] = new Parameter(t.DetachFromDisposeScope(), requires_grad: true);
        }
        return new LlamaModel(config, w);
    }

    /// <summary>A model over given weights (Hugging Face names; float32 CPU tensors, which the model now owns).</summary>
    public static LlamaModel FromWeights(LlamaConfig config, IReadOnlyDictionary<string, Tensor> weights)
    {
        var w = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var (name, _) in ExpectedShapes(config))
        {
            if (!weights.TryGetValue(name, out var t))
            {
                if (name == "lm_head.weight" && config.TieWordEmbeddings) continue;
                throw new InvalidDataException($"model.safetensors has no tensor \"{name}\"");
            }
            w[name] = new Parameter(t.to_type(ScalarType.Float32).DetachFromDisposeScope(), requires_grad: true);
        }
        return new LlamaModel(config, w);
    }

    /// <summary>Every weight name and shape a checkpoint of this config holds (lm_head only when untied).</summary>
    public static IEnumerable<(string Name, long[] Shape)> ExpectedShapes(LlamaConfig c)
    {
        long d = c.HiddenSize, hd = c.HeadWidth;
        yield return ("model.embed_tokens.weight", [c.VocabSize, d]);
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            yield return (p + "input_layernorm.weight", [d]);
            yield return (p + "self_attn.q_proj.weight", [c.Heads * hd, d]);
            yield return (p + "self_attn.k_proj.weight", [c.KeyValueHeads * hd, d]);
            yield return (p + "self_attn.v_proj.weight", [c.KeyValueHeads * hd, d]);
            yield return (p + "self_attn.o_proj.weight", [d, c.Heads * hd]);
            yield return (p + "post_attention_layernorm.weight", [d]);
            yield return (p + "mlp.gate_proj.weight", [c.IntermediateSize, d]);
            yield return (p + "mlp.up_proj.weight", [c.IntermediateSize, d]);
            yield return (p + "mlp.down_proj.weight", [d, c.IntermediateSize]);
        }
        yield return ("model.norm.weight", [d]);
        if (!c.TieWordEmbeddings) yield return ("lm_head.weight", [c.VocabSize, d]);
    }

    private void CheckShapes()
    {
        foreach (var (name, shape) in ExpectedShapes(Config))
        {
            if (!_weights.TryGetValue(name, out var t)) throw new InvalidDataException($"missing weight \"{name}\"");
            if (!t.shape.SequenceEqual(shape))
                throw new InvalidDataException($"weight \"{name}\" has shape [{string.Join(", ", t.shape)}], config.json implies [{string.Join(", ", shape)}]");
        }
    }

    /// <summary>
    /// Attaches fresh LoRA adapters (A ~ Kaiming-uniform as in PEFT, B = 0, so the model is unchanged until trained) to
    /// the target projections of every layer; the base weights stop requiring gradients. Seeded.
    /// </summary>
    public void AttachLora(LoraOptions options, long seed)
    {
        options.Validate();
        if (_adapters.Count > 0) throw new InvalidOperationException("adapters are already attached");
        using var g = new Generator((ulong)seed);
        foreach (var p in _weights.Values) p.requires_grad_(false);
        for (int l = 0; l < Config.Layers; l++)
        {
            foreach (var target in options.TargetModules)
            {
                string name = ProjectionName(l, target);
                var w = _weights[name + ".weight"];
                long outF = w.shape[0], inF = w.shape[1];
                using var scope = torch.NewDisposeScope();
                double bound = 1.0 / Math.Sqrt(inF); // kaiming_uniform_(a = sqrt 5) on [r, in]
                var a = torch.rand([options.Rank, inF], generator: g).Mul(2).AddInPlace(-1).MulInPlace(bound);
                var b = torch.zeros(outF, options.Rank);
                _adapters[name] = (new Parameter(a.DetachFromDisposeScope(), true), new Parameter(b.DetachFromDisposeScope(), true));
            }
        }
        Lora = options;
        _loraScale = options.Alpha / options.Rank;
    }

    private static string ProjectionName(int layer, string target) => target switch
    {
        "q_proj" or "k_proj" or "v_proj" or "o_proj" => $"model.layers.{layer}.self_attn.{target}",
        "gate_proj" or "up_proj" or "down_proj" => $"model.layers.{layer}.mlp.{target}",
        _ => throw new ArgumentException($"unknown LoRA target module \"{target}\" (known: {string.Join(", ", Projections)})"),
    };

    /// <summary>The base weights with the adapters folded in (W + (alpha / r) B A), for saving; new tensors the caller owns.</summary>
    public Dictionary<string, Tensor> MergedWeights()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var noGrad = torch.no_grad();
        foreach (var (name, w) in _weights)
        {
            var merged = w.detach().clone();
            string module = name.EndsWith(".weight", StringComparison.Ordinal) ? name[..^".weight".Length] : name;
            if (_adapters.TryGetValue(module, out var ad))
            {
                using var delta = ad.B.matmul(ad.A).Mul(_loraScale);
                merged.AddScaledInPlace(delta, 1.0);
            }
            result[name] = merged;
        }
        return result;
    }

    /// <summary>
    /// Logits [batch, time, vocab] for token ids [batch, time] at positions [batch, time] (int64). With a
    /// <paramref name="cache"/>, keys and values of earlier calls are reused and this call's are appended
    /// (incremental decoding). <paramref name="keyMask"/> [batch, past + time] (bool, true = a real token) masks
    /// padding; null = every key is real. Attention is causal over the whole (cached + new) sequence.
    /// </summary>
    public Tensor Forward(Tensor ids, Tensor positions, Tensor? keyMask = null, KvCache? cache = null)
    {
        long batch = ids.shape[0], time = ids.shape[1];
        var c = Config;
        int hd = c.HeadWidth;
        long past = cache?.Length ?? 0;

        var x = _weights["model.embed_tokens.weight"].index_select(0, ids.reshape(-1)).view(batch, time, c.HiddenSize);

        // Rotary tables for these positions: [batch, 1, time, head_dim], frequencies repeated (rotate-half layout).
        var freqs = positions.to_type(ScalarType.Float32).unsqueeze(-1) * _invFreq;
        var angles = torch.cat([freqs, freqs], -1).unsqueeze(1);
        var cos = angles.cos();
        var sin = angles.sin();

        // Additive mask [batch or 1, 1, time, past + time]: causal, plus padded keys. A finite large negative keeps fully
        // masked rows (left padding) finite; their outputs are never read.
        long keys = past + time;
        var causal = torch.ones(time, keys, dtype: ScalarType.Bool).tril(past);
        var allowed = keyMask is null ? causal.unsqueeze(0) : causal.unsqueeze(0) & keyMask.unsqueeze(1);
        var mask = torch.where(allowed, _kept, _maskedOut).unsqueeze(1);

        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            var h = RmsNorm(x, _weights[p + "input_layernorm.weight"]);
            var q = Linear(h, p + "self_attn.q_proj").view(batch, time, c.Heads, hd).transpose(1, 2);
            var k = Linear(h, p + "self_attn.k_proj").view(batch, time, c.KeyValueHeads, hd).transpose(1, 2);
            var v = Linear(h, p + "self_attn.v_proj").view(batch, time, c.KeyValueHeads, hd).transpose(1, 2);
            q = (q * cos).Plus(RotateHalf(q) * sin);
            k = (k * cos).Plus(RotateHalf(k) * sin);
            if (cache != null) (k, v) = cache.Append(l, k, v);
            if (c.KeyValueHeads < c.Heads)
            {
                int groups = c.Heads / c.KeyValueHeads; // each key/value head serves `groups` query heads
                k = k.repeat_interleave(groups, dim: 1);
                v = v.repeat_interleave(groups, dim: 1);
            }
            var scores = q.matmul(k.transpose(-2, -1)).Div(Math.Sqrt(hd)).Plus(mask);
            var attended = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(batch, time, c.Heads * hd);
            x = x.Plus(Linear(attended, p + "self_attn.o_proj"));

            h = RmsNorm(x, _weights[p + "post_attention_layernorm.weight"]);
            var gated = torch.nn.functional.silu(Linear(h, p + "mlp.gate_proj")) * Linear(h, p + "mlp.up_proj");
            x = x.Plus(Linear(gated, p + "mlp.down_proj"));
        }
        if (cache != null) cache.Length = keys;
        x = RmsNorm(x, _weights["model.norm.weight"]);
        var head = c.TieWordEmbeddings ? _weights["model.embed_tokens.weight"] : _weights["lm_head.weight"];
        return torch.nn.functional.linear(x, head);
    }

    /// <summary>Logits for right-padded sequences starting at position 0 (no cache): the training forward pass.</summary>
    public Tensor Forward(Tensor ids)
    {
        long time = ids.shape[1];
        var positions = torch.tensor(Enumerable.Range(0, (int)time).Select(t => (long)t).ToArray()).unsqueeze(0).expand(ids.shape[0], -1);
        return Forward(ids, positions);
    }

    private Tensor RmsNorm(Tensor x, Tensor weight) =>
        x * (x * x).mean([-1L], keepdim: true).AddInPlace(Config.RmsNormEps).rsqrt() * weight;

    private static Tensor RotateHalf(Tensor x)
    {
        long half = x.shape[^1] / 2;
        return torch.cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }

    private Tensor Linear(Tensor x, string module)
    {
        var y = torch.nn.functional.linear(x, _weights[module + ".weight"]);
        if (AdaptersEnabled && _adapters.TryGetValue(module, out var ad))
            y = y.Plus(torch.nn.functional.linear(torch.nn.functional.linear(x, ad.A), ad.B).Mul(_loraScale));
        return y;
    }

    public void Dispose()
    {
        foreach (var p in _weights.Values) p.Dispose();
        foreach (var (a, b) in _adapters.Values)
        {
            a.Dispose();
            b.Dispose();
        }
        _invFreq.Dispose();
        _maskedOut.Dispose();
        _kept.Dispose();
    }
}

/// <summary>LoRA adapters (Hu et al. 2021): rank r, scale alpha / r, on the named projections of every layer.</summary>
public sealed record LoraOptions
{
    /// <summary>r (paper's policy: 16).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>alpha; the update is scaled by alpha / r (paper's policy: 32).</summary>
    public double Alpha { get; init; } = 16;

    /// <summary>Projections that get adapters (paper's policy: q_proj, v_proj).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];

    public void Validate()
    {
        if (Rank < 1) throw new ArgumentException($"LoRA rank must be at least 1 (got {Rank})");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) throw new ArgumentException($"LoRA alpha must be > 0 (got {Alpha})");
        if (TargetModules.Count == 0) throw new ArgumentException("LoRA needs at least one target module");
        foreach (var t in TargetModules)
            if (!LlamaModel.Projections.Contains(t))
                throw new ArgumentException($"unknown LoRA target module \"{t}\" (known: {string.Join(", ", LlamaModel.Projections)})");
    }
}

/// <summary>
/// Keys and values of earlier positions, per layer ([batch, kv heads, length, head dim]), for incremental decoding.
/// The cache owns its tensors (outside any dispose scope) and frees the old ones as it grows.
/// </summary>
public sealed class KvCache(int layers) : IDisposable
{
    private readonly Tensor?[] _k = new Tensor?[layers];
    private readonly Tensor?[] _v = new Tensor?[layers];

    /// <summary>Positions held (past keys per row, padding included).</summary>
    public long Length { get; internal set; }

    internal (Tensor K, Tensor V) Append(int layer, Tensor k, Tensor v)
    {
        var nk = _k[layer] is { } ok ? torch.cat([ok, k], 2) : k.alias();
        var nv = _v[layer] is { } ov ? torch.cat([ov, v], 2) : v.alias();
        _k[layer]?.Dispose();
        _v[layer]?.Dispose();
        _k[layer] = nk.detach().DetachFromDisposeScope();
        _v[layer] = nv.detach().DetachFromDisposeScope();
        return (nk, nv);
    }

    /// <summary>Keeps only the rows in <paramref name="rows"/> (int64 indices), e.g. after finished rows are dropped.</summary>
    public void Select(Tensor rows)
    {
        for (int l = 0; l < _k.Length; l++)
        {
            if (_k[l] is not { } k) continue;
            var nk = k.index_select(0, rows).DetachFromDisposeScope();
            var nv = _v[l]!.index_select(0, rows).DetachFromDisposeScope();
            k.Dispose();
            _v[l]!.Dispose();
            _k[l] = nk;
            _v[l] = nv;
        }
    }

    public void Dispose()
    {
        foreach (var t in _k) t?.Dispose();
        foreach (var t in _v) t?.Dispose();
    }
}
