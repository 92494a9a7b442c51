using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BayesianRouter.Alignment.Model;

/// <summary>
/// The fields of a Hugging Face <c>config.json</c> for <c>LlamaForCausalLM</c> (SmolLM2 and Llama checkpoints) that
/// the decoder reads. Unknown fields are ignored; a field out of range is an <see cref="InvalidDataException"/>
/// naming it.
/// </summary>
public sealed record LlamaConfig
{
    public int VocabSize { get; init; } = 256;
    public int HiddenSize { get; init; } = 64;
    public int IntermediateSize { get; init; } = 172;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KeyValueHeads { get; init; } = 2;

    /// <summary>Per-head width; HF default hidden_size / num_attention_heads.</summary>
    public int HeadDim { get; init; }

    public int MaxPositions { get; init; } = 256;
    public double RmsNormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000;
    public bool TieWordEmbeddings { get; init; } = true;
    public int BosTokenId { get; init; } = -1;
    public int EosTokenId { get; init; } = -1;

    /// <summary>The per-head width actually used.</summary>
    public int HeadWidth => HeadDim > 0 ? HeadDim : HiddenSize / Heads;

    public void Validate()
    {
        static void Require(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new InvalidDataException($"config.json: {field} = {value}: {rule}");
        }
        Require(VocabSize >= 2, "vocab_size", VocabSize, "must be at least 2");
        Require(HiddenSize >= 1, "hidden_size", HiddenSize, "must be at least 1");
        Require(IntermediateSize >= 1, "intermediate_size", IntermediateSize, "must be at least 1");
        Require(Layers >= 1, "num_hidden_layers", Layers, "must be at least 1");
        Require(Heads >= 1, "num_attention_heads", Heads, "must be at least 1");
        Require(KeyValueHeads >= 1 && Heads % KeyValueHeads == 0, "num_key_value_heads", KeyValueHeads, $"must divide num_attention_heads ({Heads})");
        Require(HeadDim > 0 || HiddenSize % Heads == 0, "hidden_size", HiddenSize, $"must be a multiple of num_attention_heads ({Heads}) when head_dim is not given");
        Require(HeadWidth % 2 == 0, "head_dim", HeadWidth, "must be even (rotary positions rotate pairs)");
        Require(MaxPositions >= 1, "max_position_embeddings", MaxPositions, "must be at least 1");
        Require(RmsNormEps > 0, "rms_norm_eps", RmsNormEps, "must be > 0");
        Require(RopeTheta > 0, "rope_theta", RopeTheta, "must be > 0");
        Require(EosTokenId < VocabSize, "eos_token_id", EosTokenId, $"must be below vocab_size ({VocabSize})");
    }

    /// <summary>Reads <c>config.json</c>.</summary>
    public static LlamaConfig Read(string path)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})");
        }
        if (o["model_type"] is JsonNode mt && mt.GetValue<string>() is var type && type != "llama")
            throw new InvalidDataException($"{path}: model_type \"{type}\" is not supported (only \"llama\": SmolLM2, Llama)");
        if (o["rope_scaling"] is JsonObject)
            throw new InvalidDataException($"{path}: rope_scaling is not supported (SmolLM2 and Llama 2 have none)");
        if (o["hidden_act"] is JsonNode act && act.GetValue<string>() != "silu")
            throw new InvalidDataException($"{path}: hidden_act \"{act}\" is not supported (only silu: SwiGLU)");
        int Int(string name, int fallback)
        {
            var n = o[name];
            if (n is null) return fallback;
            if (n is JsonArray arr) return arr.Count > 0 ? arr[0]!.GetValue<int>() : fallback; // eos_token_id may be a list
            try { return n.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}: {name} must be a whole number (got {n.ToJsonString()})");
            }
        }
        double Num(string name, double fallback) => o[name] is JsonNode n ? n.GetValue<double>() : fallback;
        int hidden = Int("hidden_size", 64);
        var c = new LlamaConfig
        {
            VocabSize = Int("vocab_size", 256),
            HiddenSize = hidden,
            IntermediateSize = Int("intermediate_size", 4 * hidden),
            Layers = Int("num_hidden_layers", 2),
            Heads = Int("num_attention_heads", 4),
            KeyValueHeads = Int("num_key_value_heads", Int("num_attention_heads", 4)),
            HeadDim = Int("head_dim", 0),
            MaxPositions = Int("max_position_embeddings", 2048),
            RmsNormEps = Num("rms_norm_eps", 1e-6),
            RopeTheta = Num("rope_theta", 10000),
            TieWordEmbeddings = o["tie_word_embeddings"] is JsonNode t ? t.GetValue<bool>() : true,
            BosTokenId = Int("bos_token_id", -1),
            EosTokenId = Int("eos_token_id", -1),
        };
        c.Validate();
        return c;
    }

    /// <summary>The <c>config.json</c> text a Hugging Face <c>LlamaForCausalLM</c> reads.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KeyValueHeads,
            ["head_dim"] = HeadWidth,
            ["max_position_embeddings"] = MaxPositions,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = null,
            ["hidden_act"] = "silu",
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = "float32",
        };
        if (BosTokenId >= 0) o["bos_token_id"] = BosTokenId;
        if (EosTokenId >= 0) o["eos_token_id"] = EosTokenId;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"vocab {VocabSize}, hidden {HiddenSize}, mlp {IntermediateSize}, layers {Layers}, heads {Heads}/{KeyValueHeads} kv, head dim {HeadWidth}, tied {TieWordEmbeddings}");
}
