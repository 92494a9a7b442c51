using BayesianRouter.Training;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Model;

/// <summary>How responses are sampled.</summary>
public sealed record GenerationOptions
{
    /// <summary>New tokens per response at most (the end-of-sequence token included).</summary>
    public int MaxNewTokens { get; init; } = 8;

    /// <summary>Softmax temperature; 0 = greedy (argmax).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p (1 = all).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Reuse keys and values of earlier positions (a KV cache); false recomputes the whole sequence each token.</summary>
    public bool UseKvCache { get; init; } = true;

    public static GenerationOptions Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens, Temperature = 0 };

    public void Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be at least 1 (got {MaxNewTokens})");
        if (!(Temperature >= 0) || !double.IsFinite(Temperature)) throw new ArgumentException($"temperature must be >= 0 (got {Temperature})");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p must be in (0, 1] (got {TopP})");
    }
}

/// <summary>
/// Batched autoregressive generation and sequence log-probabilities for a <see cref="LlamaModel"/>.
/// Prompts are left-padded (positions count real tokens only, padded keys are masked), so every row's next token
/// sits in the last column; with the KV cache each new token costs one position of work.
/// </summary>
public static class Generation
{
    /// <summary>
    /// Samples one response per prompt (token ids, ending with <paramref name="eosId"/> when the model stopped).
    /// Draws come only from <paramref name="generator"/>, so a seed fixes the output.
    /// </summary>
    public static int[][] Generate(LlamaModel model, IReadOnlyList<int[]> prompts, int eosId, GenerationOptions options, Generator? generator)
    {
        options.Validate();
        if (prompts.Count == 0) return [];
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("every prompt needs at least one token");
        int batch = prompts.Count, width = prompts.Max(p => p.Length);
        if (width + options.MaxNewTokens > model.Config.MaxPositions)
            throw new ArgumentException($"prompt ({width} tokens) plus {options.MaxNewTokens} new tokens exceeds max_position_embeddings {model.Config.MaxPositions}");
        var outputs = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var done = new bool[batch];

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = new long[batch * width];
        var valid = new bool[batch * width];
        var pos = new long[batch * width];
        for (int b = 0; b < batch; b++)
        {
            int pad = width - prompts[b].Length;
            Array.Fill(ids, Math.Max(eosId, 0), b * width, pad);
            for (int t = 0; t < prompts[b].Length; t++)
            {
                ids[b * width + pad + t] = prompts[b][t];
                valid[b * width + pad + t] = true;
                pos[b * width + pad + t] = t;
            }
        }
        var tokens = tensor(ids, [batch, width]);
        var keyMask = tensor(valid, [batch, width]);
        var positions = tensor(pos, [batch, width]);
        var next = prompts.Select(p => (long)p.Length).ToArray();

        using var cache = options.UseKvCache ? new KvCache(model.Config.Layers) : null;
        var logits = model.Forward(tokens, positions, keyMask, cache).select(1, -1);
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            var chosen = Pick(logits, options, generator).data<long>().ToArray();
            for (int b = 0; b < batch; b++)
            {
                if (done[b]) continue;
                outputs[b].Add((int)chosen[b]);
                if (chosen[b] == eosId) done[b] = true;
            }
            if (done.All(d => d) || step == options.MaxNewTokens - 1) break;
            var newTok = tensor(chosen, [batch, 1]);
            var newPos = tensor(next, [batch, 1]);
            for (int b = 0; b < batch; b++) next[b]++;
            var newMask = cat([keyMask, ones(batch, 1, dtype: ScalarType.Bool)], 1);
            keyMask.Dispose();
            keyMask = newMask.MoveToOuterDisposeScope();
            Tensor stepLogits;
            if (cache != null) stepLogits = model.Forward(newTok, newPos, keyMask, cache).select(1, -1);
            else
            {
                var allTokens = cat([tokens, newTok], 1);
                var allPos = cat([positions, newPos], 1);
                tokens.Dispose();
                positions.Dispose();
                tokens = allTokens.MoveToOuterDisposeScope();
                positions = allPos.MoveToOuterDisposeScope();
                stepLogits = model.Forward(tokens, positions, keyMask).select(1, -1);
            }
            logits.Dispose();
            logits = stepLogits.MoveToOuterDisposeScope();
        }
        return outputs.Select(o => o.ToArray()).ToArray();
    }

    /// <summary>Next token per row: argmax at temperature 0, else a draw from the temperature-scaled, top-p-truncated softmax.</summary>
    private static Tensor Pick(Tensor logits, GenerationOptions o, Generator? generator)
    {
        if (o.Temperature == 0) return logits.argmax(-1);
        var probs = logits.Div(o.Temperature).softmax(-1);
        if (o.TopP < 1)
        {
            var (sorted, order) = probs.sort(-1, descending: true);
            // Drop a token when the tokens ranked above it already reach top_p (the first token always stays).
            var keep = sorted.cumsum(-1).Plus(sorted.neg()).lt(tensor((float)o.TopP)).to_type(ScalarType.Float32);
            sorted = sorted * keep;
            var pick = multinomial(sorted / sorted.sum(-1, keepdim: true), 1, generator: generator);
            return order.gather(-1, pick).squeeze(-1);
        }
        return multinomial(probs, 1, generator: generator).squeeze(-1);
    }

    /// <summary>
    /// log pi(response | prompt) = sum over response tokens of log softmax(logits) at the token, one value per pair of
    /// (prompt, response), as a tensor [n] that carries gradients when the model's weights do. Sequences are
    /// right-padded and start at position 0.
    /// </summary>
    public static Tensor SequenceLogProbs(LlamaModel model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses, int padId = 0)
    {
        if (prompts.Count != responses.Count) throw new ArgumentException($"{prompts.Count} prompts for {responses.Count} responses");
        int n = prompts.Count;
        int width = Enumerable.Range(0, n).Max(i => prompts[i].Length + responses[i].Length);
        var ids = new long[n * width];
        var targetMask = new float[n * (width - 1)];
        for (int i = 0; i < n; i++)
        {
            Array.Fill(ids, padId, i * width, width);
            var p = prompts[i];
            var r = responses[i];
            for (int t = 0; t < p.Length; t++) ids[i * width + t] = p[t];
            for (int t = 0; t < r.Length; t++)
            {
                ids[i * width + p.Length + t] = r[t];
                targetMask[i * (width - 1) + p.Length + t - 1] = 1; // logits at position j predict token j + 1
            }
        }
        var tokens = tensor(ids, [n, width]);
        var logits = model.Forward(tokens).narrow(1, 0, width - 1);
        var targets = tokens.narrow(1, 1, width - 1).unsqueeze(-1);
        var tokenLogProbs = logits.log_softmax(-1).gather(-1, targets).squeeze(-1);
        return (tokenLogProbs * tensor(targetMask, [n, width - 1])).sum(1);
    }
}
