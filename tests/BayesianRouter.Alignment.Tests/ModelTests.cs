using BayesianRouter.Alignment.Model;
using BayesianRouter.Alignment.Training;
using BayesianRouter.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Tests;

public class ModelTests
{
    private static readonly int[][] Prompts = [[3, 7, 9], [5, 2], [11, 12, 13, 14]];
    private static readonly int[][] Responses = [[4, 8, 0], [6], [1, 2, 3, 0]];

    [Fact]
    public void SequenceLogProbsEqualTokenByTokenComputation()
    {
        using var model = TinyModels.Random(seed: 3, tied: false);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batched = Generation.SequenceLogProbs(model, Prompts, Responses).data<float>().ToArray();
        for (int i = 0; i < Prompts.Length; i++)
        {
            // Step by step: run the model on each prefix alone and read the next token's log-probability.
            double sum = 0;
            var prefix = Prompts[i].ToList();
            foreach (var token in Responses[i])
            {
                var ids = tensor(prefix.Select(t => (long)t).ToArray(), [1, prefix.Count]);
                var logProbs = model.Forward(ids).select(1, -1).log_softmax(-1);
                sum += logProbs[0, token].item<float>();
                prefix.Add(token);
            }
            Assert.Equal(sum, batched[i], 4);
        }
        Assert.All(batched, v => Assert.True(v < 0));
    }

    [Fact]
    public void DpoLossIsLog2AtTheReferenceAndItsGradientFavoursTheChosenResponse()
    {
        using var model = TinyModels.Random(seed: 5);
        model.AttachLora(new LoraOptions { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "gate_proj"] }, seed: 2);
        int[][] prompt = [[3, 4, 5]];
        int[][] chosen = [[7, 8, 0]], rejected = [[9, 10, 0]];
        double before = Gap(model, prompt, chosen, rejected);
        using var optimizer = new ExplicitAdamW(model.TrainableParameters(), 0.02, weightDecay: 0);
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            var pc = Generation.SequenceLogProbs(model, prompt, chosen);
            var pr = Generation.SequenceLogProbs(model, prompt, rejected);
            Tensor rc, rr;
            using (no_grad())
            {
                model.AdaptersEnabled = false;
                rc = Generation.SequenceLogProbs(model, prompt, chosen);
                rr = Generation.SequenceLogProbs(model, prompt, rejected);
                model.AdaptersEnabled = true;
            }
            var loss = DpoLoss.Mean(DpoLoss.PerPair(pc, pr, rc, rr, beta: 0.5));
            if (step == 0) Assert.Equal(Math.Log(2), loss.item<float>(), 5); // policy = reference: margin 0
            // The gradient with respect to the chosen log-probability is negative: raising it lowers the loss.
            var (pcLeaf, prLeaf) = (pc.detach().requires_grad_(true), pr.detach().requires_grad_(true));
            var probe = DpoLoss.Mean(DpoLoss.PerPair(pcLeaf, prLeaf, rc, rr, beta: 0.5));
            probe.backward();
            Assert.True(pcLeaf.grad!.item<float>() < 0);
            Assert.True(prLeaf.grad!.item<float>() > 0);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
        }
        Assert.True(Gap(model, prompt, chosen, rejected) > before + 1e-3, "DPO steps must widen log pi(chosen) - log pi(rejected)");
        var (ifA, ifB) = DpoLoss.BothLabels(2.0);
        Assert.Equal(Math.Log(1 + Math.Exp(-2)), ifA, 10);
        Assert.Equal(Math.Log(1 + Math.Exp(2)), ifB, 10);
    }

    private static double Gap(LlamaModel model, int[][] prompt, int[][] chosen, int[][] rejected)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Generation.SequenceLogProbs(model, prompt, chosen).item<float>() - Generation.SequenceLogProbs(model, prompt, rejected).item<float>();
    }

    [Fact]
    public void LoraOffEqualsTheReferenceAndOnDiffersAfterTraining()
    {
        using var reference = TinyModels.Random(seed: 7);
        using var model = TinyModels.Random(seed: 7);
        model.AttachLora(new LoraOptions { Rank = 2, Alpha = 4, TargetModules = LlamaModel.Projections }, seed: 1);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Tensor Logits(LlamaModel m) { using var g = no_grad(); return m.Forward(ids); }
        Assert.True(Logits(model).allclose(Logits(reference), rtol: 0, atol: 0), "fresh adapters (B = 0) leave the model unchanged");
        using var optimizer = new ExplicitAdamW(model.TrainableParameters(), 0.05, weightDecay: 0);
        var output = model.Forward(ids);
        var loss = (output * output).mean();
        loss.backward();
        optimizer.Step();
        Assert.False(Logits(model).allclose(Logits(reference), rtol: 0, atol: 1e-4), "trained adapters change the output");
        model.AdaptersEnabled = false;
        Assert.True(Logits(model).allclose(Logits(reference), rtol: 0, atol: 0), "adapters off = the reference policy, exactly");
        Assert.All(model.Weights.Values, w => Assert.False(w.requires_grad));
        Assert.Equal(2 * 2 * 7, model.TrainableParameters().Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SafetensorsRoundTripGivesIdenticalLogits(bool tied)
    {
        using var model = TinyModels.Random(seed: 11, tied);
        model.AttachLora(new LoraOptions { Rank = 2, Alpha = 2 }, seed: 3);
        using (no_grad())
            foreach (var p in model.TrainableParameters()) p.AddScaledInPlace(randn(p.shape), 0.1); // non-zero adapters are merged on save
        var dir = TinyModels.TempFolder();
        HfCheckpoint.Save(dir, model, TinyModels.ByteTokenizer(), new Dictionary<string, string> { ["note"] = "test" });
        var (loaded, tokenizer) = HfCheckpoint.Load(dir);
        using (loaded)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var ids = tensor(new long[] { 1, 5, 9, 13, 17, 21, 25, 29 }, [2, 4]);
            Assert.True(model.Forward(ids).allclose(loaded.Forward(ids), rtol: 0, atol: 1e-5));
            Assert.Equal(model.Config with { HeadDim = model.Config.HeadWidth }, loaded.Config);
            Assert.Equal(tied, !SafeTensors.Shapes(Path.Combine(dir, HfCheckpoint.WeightsFile)).ContainsKey("lm_head.weight"));
            Assert.Equal(257, tokenizer.VocabSize);
        }
        // Without adapters the round trip is bit-exact.
        using var plain = TinyModels.Random(seed: 12, tied);
        HfCheckpoint.Save(dir, plain, TinyModels.ByteTokenizer());
        using var again = HfCheckpoint.Load(dir).Model;
        using var s2 = NewDisposeScope();
        using var ng = no_grad();
        var x = tensor(new long[] { 2, 4, 6 }, [1, 3]);
        Assert.True(plain.Forward(x).allclose(again.Forward(x), rtol: 0, atol: 0));
    }

    [Fact]
    public void SafetensorsReadsBf16AndF16AndRejectsATruncatedFile()
    {
        var dir = TinyModels.TempFolder();
        var path = Path.Combine(dir, "x.safetensors");
        // Hand-made file: one BF16 tensor [2] = (1.5, -2) and one F16 tensor [1] = 0.25.
        var header = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]}}";
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
        bytes.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(1.5f) >> 16)));
        bytes.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(-2f) >> 16)));
        bytes.AddRange(BitConverter.GetBytes((Half)0.25f));
        File.WriteAllBytes(path, bytes.ToArray());
        var t = SafeTensors.Read(path);
        Assert.Equal([1.5f, -2f], t["a"].data<float>().ToArray());
        Assert.Equal(0.25f, t["b"].item<float>());
        File.WriteAllBytes(path, bytes.Take(bytes.Count - 3).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains("x.safetensors", e.Message);
    }

    [Fact]
    public void SamplingIsDeterministicForASeed()
    {
        using var model = TinyModels.Random(seed: 13);
        var options = new GenerationOptions { MaxNewTokens = 6, Temperature = 1.0, TopP = 0.9 };
        int[][] Run(ulong seed)
        {
            using var g = new Generator(seed);
            return Generation.Generate(model, Prompts, eosId: 0, options, g);
        }
        var a = Run(42);
        Assert.Equal(a, Run(42));
        Assert.NotEqual(a, Run(43));
        Assert.All(a, r => Assert.InRange(r.Length, 1, 6));
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 0.8)]
    public void KvCacheGenerationEqualsGenerationWithoutIt(double temperature, double topP)
    {
        using var model = TinyModels.Random(seed: 17, tied: false);
        var options = new GenerationOptions { MaxNewTokens = 7, Temperature = temperature, TopP = topP };
        int[][] Run(bool cache)
        {
            using var g = new Generator(5);
            return Generation.Generate(model, Prompts, eosId: 0, options with { UseKvCache = cache }, g);
        }
        Assert.Equal(Run(false), Run(true));
    }

    [Fact]
    public void LeftPaddingDoesNotChangeAPromptsContinuation()
    {
        using var model = TinyModels.Random(seed: 19);
        var greedy = GenerationOptions.Greedy(5);
        var alone = Generation.Generate(model, [Prompts[1]], 0, greedy, null);
        var batched = Generation.Generate(model, Prompts, 0, greedy, null);
        Assert.Equal(alone[0], batched[1]);
    }

    /// <summary>SmolLM2-135M's config.json as published (extra fields ignored, rope_scaling null, a bf16 dtype tag).</summary>
    [Fact]
    public void ReadsASmolLm2Config()
    {
        var dir = TinyModels.TempFolder();
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 0,
             "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 576, "initializer_range": 0.041, "intermediate_size": 1536,
             "is_llama_config": true, "max_position_embeddings": 8192, "model_type": "llama", "num_attention_heads": 9,
             "num_hidden_layers": 30, "num_key_value_heads": 3, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_interleaved": false, "rope_scaling": null, "rope_theta": 100000, "tie_word_embeddings": true,
             "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true, "vocab_size": 49152}
            """);
        var c = LlamaConfig.Read(path);
        Assert.Equal((49152, 576, 1536, 30, 9, 3, 64), (c.VocabSize, c.HiddenSize, c.IntermediateSize, c.Layers, c.Heads, c.KeyValueHeads, c.HeadWidth));
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(100000, c.RopeTheta);
        Assert.Equal(0, c.EosTokenId);
        var shapes = LlamaModel.ExpectedShapes(c).ToDictionary(x => x.Name, x => x.Shape);
        Assert.Equal([192L, 576L], shapes["model.layers.29.self_attn.k_proj.weight"]); // 3 key/value heads of 64
        Assert.False(shapes.ContainsKey("lm_head.weight"));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"llama3\"}"));
        Assert.Contains("rope_scaling", Assert.Throws<InvalidDataException>(() => LlamaConfig.Read(path)).Message);
    }

    [Fact]
    public void BadConfigAndMissingFilesNameTheProblem()
    {
        var dir = TinyModels.TempFolder();
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\":\"llama\",\"hidden_size\":30,\"num_attention_heads\":4}");
        var e = Assert.Throws<InvalidDataException>(() => LlamaConfig.Read(Path.Combine(dir, "config.json")));
        Assert.Contains("hidden_size", e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => HfCheckpoint.Load(dir));
        Assert.Contains("model.safetensors", missing.Message);
    }
}
