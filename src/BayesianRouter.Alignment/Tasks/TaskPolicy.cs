using BayesianRouter.Alignment.Model;
using static TorchSharp.torch;

namespace BayesianRouter.Alignment.Tasks;

/// <summary>A policy as the task uses it: prompts in, answer texts out (the model, its tokenizer and the end token).</summary>
public sealed class TaskPolicy(LlamaModel model, ByteLevelBpeTokenizer tokenizer) : IDisposable
{
    public const string EndOfText = "<|endoftext|>";
    private readonly Dictionary<string, int[]> _promptIds = new(StringComparer.Ordinal);

    public LlamaModel Model { get; } = model;
    public ByteLevelBpeTokenizer Tokenizer { get; } = tokenizer;
    public int EosId { get; } = tokenizer.TokenId(EndOfText) is int id and >= 0 ? id
        : throw new InvalidDataException($"tokenizer.json has no {EndOfText} token");

    /// <summary>Token ids of a prompt (cached).</summary>
    public int[] PromptIds(string prompt)
    {
        if (!_promptIds.TryGetValue(prompt, out var ids)) _promptIds[prompt] = ids = Tokenizer.Encode(prompt);
        return ids;
    }

    /// <summary>Token ids of a response as the policy emits it: the text, then the end token.</summary>
    public int[] ResponseIds(string response) => [.. Tokenizer.Encode(response), EosId];

    /// <summary>The text of a generated response (up to, without, the end token).</summary>
    public string Text(int[] generated)
    {
        int end = Array.IndexOf(generated, EosId);
        return Tokenizer.Decode(end >= 0 ? generated[..end] : generated);
    }

    /// <summary>One response per prompt, in order, in batches of <paramref name="batchSize"/>.</summary>
    public string[] Respond(IReadOnlyList<string> prompts, GenerationOptions options, Generator? generator, int batchSize = 256)
    {
        var result = new string[prompts.Count];
        for (int start = 0; start < prompts.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, prompts.Count - start);
            var ids = Enumerable.Range(start, n).Select(i => PromptIds(prompts[i])).ToArray();
            var outs = Generation.Generate(Model, ids, EosId, options, generator);
            for (int i = 0; i < n; i++) result[start + i] = Text(outs[i]);
        }
        return result;
    }

    /// <summary>Greedy accuracy: overall and per domain, with the answers given.</summary>
    public PolicyScore Evaluate(IReadOnlyList<Problem> problems, int maxNewTokens)
    {
        var answers = Respond(problems.Select(p => p.Prompt).ToArray(), GenerationOptions.Greedy(maxNewTokens), null);
        return PolicyScore.Of(problems, answers);
    }

    public void Dispose() => Model.Dispose();
}

/// <summary>Greedy accuracy of a policy on a set of problems, overall and per domain.</summary>
public sealed record PolicyScore(double Accuracy, IReadOnlyDictionary<string, double> PerDomain, int Count)
{
    public static PolicyScore Of(IReadOnlyList<Problem> problems, IReadOnlyList<string> answers)
    {
        var right = problems.Select((p, i) => ArithmeticTask.IsCorrect(p, answers[i])).ToArray();
        var perDomain = ArithmeticTask.Domains
            .Where(d => problems.Any(p => p.Domain == d))
            .ToDictionary(d => d, d => problems.Select((p, i) => (p, i)).Where(x => x.p.Domain == d).Average(x => right[x.i] ? 1.0 : 0.0));
        return new PolicyScore(right.Length == 0 ? double.NaN : right.Average(r => r ? 1.0 : 0.0), perDomain, problems.Count);
    }
}
